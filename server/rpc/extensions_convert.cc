#include "server/rpc/extensions_convert.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"

namespace sctpgw::rpc {
namespace {

using core::Error;
using core::Reason;

absl::Status OutOfRange(const std::string& field, uint64_t value, absl::string_view range) {
  return Error(Reason::kInvalidArgument, absl::StrCat(field, " is ", value, "; allowed: ", range),
               {{"field", field}});
}

absl::StatusOr<net::StreamScheduler> ToScheduler(v1::StreamScheduler scheduler,
                                                 const char* field) {
  switch (scheduler) {
    case v1::STREAM_SCHEDULER_UNSPECIFIED: return net::StreamScheduler::kDefault;
    case v1::STREAM_SCHEDULER_FIRST_COME: return net::StreamScheduler::kFirstCome;
    case v1::STREAM_SCHEDULER_PRIORITY: return net::StreamScheduler::kPriority;
    case v1::STREAM_SCHEDULER_ROUND_ROBIN: return net::StreamScheduler::kRoundRobin;
    case v1::STREAM_SCHEDULER_FAIR_CAPACITY: return net::StreamScheduler::kFairCapacity;
    case v1::STREAM_SCHEDULER_WEIGHTED_FAIR: return net::StreamScheduler::kWeightedFair;
    default: break;
  }
  return OutOfRange(field, static_cast<uint32_t>(scheduler), "a StreamScheduler value");
}

// Chunk types that must never be authenticated (RFC 4895 section 3.2).
bool NeverAuthenticated(uint32_t chunk) { return chunk == 1 || chunk == 2 || chunk == 14 || chunk == 15; }

absl::StatusOr<net::AuthConfig> ToAuth(const v1::AuthOptions& in) {
  net::AuthConfig auth;
  auth.enabled = in.enabled();
  if (in.chunk_types_size() > kMaxAuthChunkTypes) {
    return OutOfRange("auth.chunk_types", in.chunk_types_size(), "at most 32 chunk types");
  }
  for (int i = 0; i < in.chunk_types_size(); ++i) {
    uint32_t chunk = in.chunk_types(i);
    const std::string field = absl::StrCat("auth.chunk_types[", i, "]");
    if (chunk > 255) return OutOfRange(field, chunk, "0..255");
    if (NeverAuthenticated(chunk)) {
      return OutOfRange(field, chunk,
                        "any chunk type but INIT (1), INIT ACK (2), SHUTDOWN COMPLETE (14) and "
                        "AUTH (15), which are never authenticated");
    }
    auth.chunk_types.push_back(static_cast<uint8_t>(chunk));
  }
  if (in.keys_size() > kMaxAuthKeys) return OutOfRange("auth.keys", in.keys_size(), "at most 16 keys");
  std::set<uint32_t> ids;
  for (int i = 0; i < in.keys_size(); ++i) {
    const v1::AuthKey& key = in.keys(i);
    const std::string field = absl::StrCat("auth.keys[", i, "]");
    if (key.key_id() > 65535) return OutOfRange(field + ".key_id", key.key_id(), "0..65535");
    if (!ids.insert(key.key_id()).second) {
      return Error(Reason::kInvalidArgument,
                   absl::StrCat(field, ".key_id ", key.key_id(), " is given twice"),
                   {{"field", field + ".key_id"}});
    }
    if (key.secret().empty() || key.secret().size() > kMaxAuthSecretBytes) {
      // The length only: a secret is never echoed.
      return Error(Reason::kInvalidArgument,
                   absl::StrCat(field, ".secret is ", key.secret().size(),
                                " bytes long; allowed: 1..128 bytes"),
                   {{"field", field + ".secret"}});
    }
    auth.keys.push_back(net::AuthKey{static_cast<uint16_t>(key.key_id()), key.secret()});
  }
  if (in.has_active_key_id()) {
    if (in.active_key_id() != 0 && ids.count(in.active_key_id()) == 0) {
      return Error(Reason::kInvalidArgument,
                   absl::StrCat("auth.active_key_id ", in.active_key_id(),
                                " is not one of auth.keys (nor the empty key 0)"),
                   {{"field", "auth.active_key_id"}});
    }
    auth.active_key = static_cast<uint16_t>(in.active_key_id());
  }
  return auth;
}

}  // namespace

absl::Status ToExtensions(const v1::OpenEndpointRequest& request, core::EndpointSpec* spec) {
  spec->stream_reconfiguration.reset_streams = request.stream_reconfiguration().reset_streams();
  spec->stream_reconfiguration.reset_association =
      request.stream_reconfiguration().reset_association();
  spec->stream_reconfiguration.add_streams = request.stream_reconfiguration().add_streams();
  spec->interleaving = request.interleaving();
  auto scheduler = ToScheduler(request.stream_scheduler(), "stream_scheduler");
  if (!scheduler.ok()) return scheduler.status();
  spec->scheduler = *scheduler;
  auto auth = ToAuth(request.auth());
  if (!auth.ok()) return auth.status();
  spec->auth = *std::move(auth);
  return absl::OkStatus();
}

void ExtensionsToProto(const core::EndpointInfo& info, v1::Endpoint* out) {
  out->set_reset_streams(info.stream_reconfiguration.reset_streams);
  out->set_reset_association(info.stream_reconfiguration.reset_association);
  out->set_add_streams(info.stream_reconfiguration.add_streams);
  out->set_interleaving(info.interleaving);
  out->set_stream_scheduler(ToProto(info.scheduler));
  out->set_auth(info.auth);
  for (uint8_t chunk : info.auth_chunk_types) out->add_auth_chunk_types(chunk);
  for (uint16_t key : info.auth_key_ids) out->add_auth_key_ids(key);
}

absl::StatusOr<net::StreamReconfigRequest> ToStreamReset(const v1::ResetStreamsRequest& request) {
  net::StreamReconfigRequest reset;
  reset.kind = net::StreamReconfigRequest::Kind::kResetStreams;
  switch (request.direction()) {
    case v1::STREAM_RESET_DIRECTION_OUTGOING: reset.outgoing = true; break;
    case v1::STREAM_RESET_DIRECTION_INCOMING: reset.incoming = true; break;
    case v1::STREAM_RESET_DIRECTION_BOTH: reset.outgoing = reset.incoming = true; break;
    default:
      return Error(Reason::kInvalidArgument,
                   "direction is required: OUTGOING, INCOMING or BOTH", {{"field", "direction"}});
  }
  if (request.streams_size() > kMaxStreamsPerRequest) {
    return OutOfRange("streams", request.streams_size(), "at most 256 streams (none: every stream)");
  }
  for (int i = 0; i < request.streams_size(); ++i) {
    if (request.streams(i) > 65535) {
      return OutOfRange(absl::StrCat("streams[", i, "]"), request.streams(i), "0..65535");
    }
    reset.streams.push_back(static_cast<uint16_t>(request.streams(i)));
  }
  return reset;
}

absl::StatusOr<net::StreamReconfigRequest> ToStreamAddition(const v1::AddStreamsRequest& request) {
  if (request.outbound() > 65535) return OutOfRange("outbound", request.outbound(), "0..65535");
  if (request.inbound() > 65535) return OutOfRange("inbound", request.inbound(), "0..65535");
  if (request.outbound() == 0 && request.inbound() == 0) {
    return Error(Reason::kInvalidArgument, "outbound and inbound are both 0: nothing to add",
                 {{"field", "outbound"}});
  }
  net::StreamReconfigRequest add;
  add.kind = net::StreamReconfigRequest::Kind::kAddStreams;
  add.add_outbound = static_cast<uint16_t>(request.outbound());
  add.add_inbound = static_cast<uint16_t>(request.inbound());
  return add;
}

absl::StatusOr<std::pair<net::StreamScheduler, std::vector<net::StreamValue>>> ToStreamScheduling(
    const v1::ConfigureStreamsRequest& request) {
  auto scheduler = ToScheduler(request.scheduler(), "scheduler");
  if (!scheduler.ok()) return scheduler.status();
  if (request.values_size() > kMaxStreamsPerRequest) {
    return OutOfRange("values", request.values_size(), "at most 256 streams");
  }
  std::vector<net::StreamValue> values;
  for (int i = 0; i < request.values_size(); ++i) {
    const v1::StreamValue& value = request.values(i);
    const std::string field = absl::StrCat("values[", i, "]");
    if (value.stream() > 65535) return OutOfRange(field + ".stream", value.stream(), "0..65535");
    if (value.value() > 65535) return OutOfRange(field + ".value", value.value(), "0..65535");
    values.push_back(
        net::StreamValue{static_cast<uint16_t>(value.stream()), static_cast<uint16_t>(value.value())});
  }
  return std::make_pair(*scheduler, std::move(values));
}

absl::StatusOr<std::pair<core::AuthKeyTarget, net::AuthKeyChange>> ToAuthKeyChange(
    const v1::ChangeAuthKeyRequest& request) {
  core::AuthKeyTarget target{request.endpoint_id(), request.association_id()};
  if ((target.endpoint_id == 0) == (target.association_id == 0)) {
    return Error(Reason::kInvalidArgument, "exactly one of endpoint_id and association_id is needed",
                 {{"field", "endpoint_id"}});
  }
  net::AuthKeyChange change;
  switch (request.action()) {
    case v1::AUTH_KEY_ACTION_ADD: change.action = net::AuthKeyChange::Action::kAdd; break;
    case v1::AUTH_KEY_ACTION_ACTIVATE: change.action = net::AuthKeyChange::Action::kActivate; break;
    case v1::AUTH_KEY_ACTION_DEACTIVATE:
      change.action = net::AuthKeyChange::Action::kDeactivate;
      break;
    case v1::AUTH_KEY_ACTION_DELETE: change.action = net::AuthKeyChange::Action::kDelete; break;
    default:
      return Error(Reason::kInvalidArgument,
                   "action is required: ADD, ACTIVATE, DEACTIVATE or DELETE", {{"field", "action"}});
  }
  if (request.key_id() > 65535) return OutOfRange("key_id", request.key_id(), "0..65535");
  change.key_id = static_cast<uint16_t>(request.key_id());
  if (change.action == net::AuthKeyChange::Action::kAdd) {
    if (request.secret().empty() || request.secret().size() > kMaxAuthSecretBytes) {
      return Error(Reason::kInvalidArgument,
                   absl::StrCat("secret is ", request.secret().size(),
                                " bytes long; allowed: 1..128 bytes"),
                   {{"field", "secret"}});
    }
    change.secret = request.secret();
  } else if (!request.secret().empty()) {
    return Error(Reason::kInvalidArgument, "secret is for ADD only", {{"field", "secret"}});
  }
  return std::make_pair(target, std::move(change));
}

v1::StreamScheduler ToProto(net::StreamScheduler scheduler) {
  switch (scheduler) {
    case net::StreamScheduler::kDefault: return v1::STREAM_SCHEDULER_UNSPECIFIED;
    case net::StreamScheduler::kFirstCome: return v1::STREAM_SCHEDULER_FIRST_COME;
    case net::StreamScheduler::kPriority: return v1::STREAM_SCHEDULER_PRIORITY;
    case net::StreamScheduler::kRoundRobin: return v1::STREAM_SCHEDULER_ROUND_ROBIN;
    case net::StreamScheduler::kFairCapacity: return v1::STREAM_SCHEDULER_FAIR_CAPACITY;
    case net::StreamScheduler::kWeightedFair: return v1::STREAM_SCHEDULER_WEIGHTED_FAIR;
  }
  return v1::STREAM_SCHEDULER_UNSPECIFIED;
}

void ToProto(const net::StreamSettings& settings, v1::StreamSettings* out) {
  out->set_scheduler(ToProto(settings.scheduler));
  out->set_interleaving(settings.interleaving);
  out->mutable_reconfiguration()->set_reset_streams(settings.reconfiguration.reset_streams);
  out->mutable_reconfiguration()->set_reset_association(settings.reconfiguration.reset_association);
  out->mutable_reconfiguration()->set_add_streams(settings.reconfiguration.add_streams);
}

void ToProto(const net::AuthStatus& status, v1::AuthStatus* out) {
  out->set_peer_supports_auth(status.peer_supports_auth);
  out->set_active_key_id(status.active_key);
  for (uint8_t chunk : status.local_chunk_types) out->add_local_chunk_types(chunk);
  for (uint8_t chunk : status.peer_chunk_types) out->add_peer_chunk_types(chunk);
}

}  // namespace sctpgw::rpc
