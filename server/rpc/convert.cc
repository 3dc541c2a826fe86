#include "server/rpc/convert.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/core/errors.h"
#include "server/rpc/extensions_convert.h"
#include "server/rpc/options_convert.h"

namespace sctpgw::rpc {
namespace {

using core::Error;
using core::Reason;

constexpr uint32_t kMaxU16 = std::numeric_limits<uint16_t>::max();

absl::Status CheckU16(uint32_t value, const char* field) {
  if (value <= kMaxU16) return absl::OkStatus();
  return Error(Reason::kInvalidArgument,
               absl::StrCat(field, " is ", value, "; the largest allowed is ", kMaxU16),
               {{"field", field}});
}

absl::StatusOr<std::vector<net::SocketAddress>> ParseAddresses(
    const google::protobuf::RepeatedPtrField<std::string>& ips, uint32_t port, const char* field) {
  if (ips.empty()) {
    return Error(Reason::kInvalidAddress, absl::StrCat(field, " needs at least one address"),
                 {{"field", field}});
  }
  if (ips.size() > kMaxAddressesPerRequest) {
    return Error(Reason::kInvalidArgument,
                 absl::StrCat(field, " has ", ips.size(), " addresses; at most ",
                              kMaxAddressesPerRequest, " are allowed"),
                 {{"field", field}});
  }
  std::vector<net::SocketAddress> addresses;
  for (int i = 0; i < ips.size(); ++i) {
    auto address = net::SocketAddress::Parse(ips[i], port);
    if (!address.ok()) {
      std::string name = absl::StrCat(field, "[", i, "]");
      return Error(Reason::kInvalidAddress,
                   absl::StrCat(name, " \"", ips[i].substr(0, kAddressEchoedBytes),
                                "\" is not a numeric IPv4 or IPv6 address"),
                   {{"field", name}});
    }
    addresses.push_back(*address);
  }
  return addresses;
}

absl::StatusOr<net::InitParams> ToInit(const v1::InitOptions& init) {
  for (auto [value, field] : {std::pair{init.outbound_streams(), "init.outbound_streams"},
                              {init.max_inbound_streams(), "init.max_inbound_streams"},
                              {init.max_init_attempts(), "init.max_init_attempts"},
                              {init.max_init_timeout_ms(), "init.max_init_timeout_ms"}}) {
    absl::Status status = CheckU16(value, field);
    if (!status.ok()) return status;
  }
  net::InitParams params;
  params.num_ostreams = static_cast<uint16_t>(init.outbound_streams());
  params.max_instreams = static_cast<uint16_t>(init.max_inbound_streams());
  params.max_attempts = static_cast<uint16_t>(init.max_init_attempts());
  params.max_init_timeout_ms = static_cast<uint16_t>(init.max_init_timeout_ms());
  return params;
}

}  // namespace

void ToProto(const net::SocketAddress& address, v1::TransportAddress* out) {
  out->set_ip(address.Ip());
  out->set_port(address.port());
}

absl::StatusOr<std::vector<net::SocketAddress>> ToAddresses(
    const google::protobuf::RepeatedPtrField<std::string>& ips, const char* field) {
  if (ips.empty()) return std::vector<net::SocketAddress>{};
  return ParseAddresses(ips, 0, field);
}

absl::StatusOr<core::EndpointSpec> ToEndpointSpec(const v1::OpenEndpointRequest& request) {
  if (request.port() > kMaxU16) {
    return Error(Reason::kInvalidPort,
                 absl::StrCat("port ", request.port(), " is outside 0..65535"),
                 {{"field", "port"}});
  }
  core::EndpointSpec spec;
  auto addresses = ParseAddresses(request.local_addresses(), request.port(), "local_addresses");
  if (!addresses.ok()) return addresses.status();
  spec.addresses = std::move(*addresses);
  spec.listen = request.listen();
  absl::Status status = CheckU16(request.backlog(), "backlog");
  if (!status.ok()) return status;
  spec.backlog = request.backlog() == 0 ? 128 : static_cast<int>(request.backlog());
  auto init = ToInit(request.init());
  if (!init.ok()) return init.status();
  spec.init = *init;
  auto paths = ToPathParameters(request.path_parameters(), "path_parameters");
  if (!paths.ok()) return paths.status();
  spec.path_parameters = *paths;
  spec.address_reconfiguration = request.address_reconfiguration();
  if (request.udp_encapsulation_port() > 65535) {
    return Error(Reason::kInvalidPort,
                 absl::StrCat("udp_encapsulation_port ", request.udp_encapsulation_port(),
                              " is not a UDP port (0..65535; 0 = SCTP directly over IP)"),
                 {{"field", "udp_encapsulation_port"}});
  }
  spec.udp_encapsulation_port = static_cast<uint16_t>(request.udp_encapsulation_port());
  if (absl::Status extensions = ToExtensions(request, &spec); !extensions.ok()) return extensions;
  if (absl::Status options = ToSocketOptions(request, &spec); !options.ok()) return options;
  return spec;
}

absl::StatusOr<net::PathParameters> ToPathParameters(const v1::PathParameters& in,
                                                     const std::string& field) {
  net::PathParameters out;
  auto range = [&](bool has, uint32_t value, const char* name, uint32_t min,
                   uint32_t max) -> absl::Status {
    if (!has || (value >= min && value <= max)) return absl::OkStatus();
    std::string full = absl::StrCat(field, ".", name);
    return Error(Reason::kInvalidArgument,
                 absl::StrCat(full, " is ", value, "; it must be within ", min, "..", max),
                 {{"field", full}});
  };
  absl::Status status;
  for (absl::Status check :
       {range(in.has_rto_initial_ms(), in.rto_initial_ms(), "rto_initial_ms", 1, kMaxRtoMs),
        range(in.has_rto_min_ms(), in.rto_min_ms(), "rto_min_ms", 1, kMaxRtoMs),
        range(in.has_rto_max_ms(), in.rto_max_ms(), "rto_max_ms", 1, kMaxRtoMs),
        range(in.has_association_max_retransmissions(), in.association_max_retransmissions(),
              "association_max_retransmissions", 1, kMaxU16),
        range(in.has_heartbeat_interval_ms(), in.heartbeat_interval_ms(), "heartbeat_interval_ms",
              1, kMaxHeartbeatIntervalMs),
        range(in.has_path_max_retransmissions(), in.path_max_retransmissions(),
              "path_max_retransmissions", 1, kMaxU16),
        range(in.has_potentially_failed_threshold(), in.potentially_failed_threshold(),
              "potentially_failed_threshold", 0, kMaxU16),
        range(in.has_sack_delay_ms(), in.sack_delay_ms(), "sack_delay_ms", 1, kMaxSackDelayMs),
        range(in.has_sack_frequency(), in.sack_frequency(), "sack_frequency", 1, kMaxU16)}) {
    if (!check.ok()) return check;
  }
  auto order = [&](bool has_low, uint32_t low, const char* low_name, bool has_high, uint32_t high,
                   const char* high_name) -> absl::Status {
    if (!has_low || !has_high || low <= high) return absl::OkStatus();
    return Error(Reason::kInvalidArgument,
                 absl::StrCat(field, ".", low_name, " (", low, ") is above ", field, ".",
                              high_name, " (", high, ")"),
                 {{"field", absl::StrCat(field, ".", low_name)}});
  };
  for (absl::Status check :
       {order(in.has_rto_min_ms(), in.rto_min_ms(), "rto_min_ms", in.has_rto_initial_ms(),
              in.rto_initial_ms(), "rto_initial_ms"),
        order(in.has_rto_initial_ms(), in.rto_initial_ms(), "rto_initial_ms", in.has_rto_max_ms(),
              in.rto_max_ms(), "rto_max_ms"),
        order(in.has_rto_min_ms(), in.rto_min_ms(), "rto_min_ms", in.has_rto_max_ms(),
              in.rto_max_ms(), "rto_max_ms")}) {
    if (!check.ok()) return check;
  }
  if (in.has_rto_initial_ms()) out.rto_initial_ms = in.rto_initial_ms();
  if (in.has_rto_min_ms()) out.rto_min_ms = in.rto_min_ms();
  if (in.has_rto_max_ms()) out.rto_max_ms = in.rto_max_ms();
  if (in.has_association_max_retransmissions()) {
    out.association_max_retransmissions =
        static_cast<uint16_t>(in.association_max_retransmissions());
  }
  if (in.has_heartbeat_interval_ms()) out.heartbeat_interval_ms = in.heartbeat_interval_ms();
  if (in.has_heartbeat_enabled()) out.heartbeat_enabled = in.heartbeat_enabled();
  if (in.has_path_max_retransmissions()) {
    out.path_max_retransmissions = static_cast<uint16_t>(in.path_max_retransmissions());
  }
  if (in.has_potentially_failed_threshold()) {
    out.potentially_failed_threshold = static_cast<uint16_t>(in.potentially_failed_threshold());
  }
  if (in.has_sack_delay_ms()) out.sack_delay_ms = in.sack_delay_ms();
  if (in.has_sack_frequency()) out.sack_frequency = in.sack_frequency();
  return out;
}

absl::StatusOr<core::AssociateSpec> ToAssociateSpec(const v1::AssociateRequest& request) {
  if (request.peer_port() == 0 || request.peer_port() > kMaxU16) {
    return Error(Reason::kInvalidPort,
                 absl::StrCat("peer_port ", request.peer_port(), " is outside 1..65535"),
                 {{"field", "peer_port"}});
  }
  core::AssociateSpec spec;
  spec.endpoint_id = request.endpoint_id();
  auto peers = ParseAddresses(request.peer_addresses(), request.peer_port(), "peer_addresses");
  if (!peers.ok()) return peers.status();
  spec.peers = std::move(*peers);
  auto init = ToInit(request.init());
  if (!init.ok()) return init.status();
  spec.init = *init;
  return spec;
}

absl::StatusOr<std::vector<core::OutboundMessage>> ToOutboundMessages(v1::SendRequest* request) {
  std::vector<core::OutboundMessage> messages;
  messages.reserve(request->messages_size());
  int index = 0;
  for (v1::OutboundMessage& m : *request->mutable_messages()) {
    core::OutboundMessage out;
    out.stream = m.stream();
    out.ppid = m.ppid();
    out.unordered = m.unordered();
    if (absl::Status options = ToMessageOptions(m, index++, &out); !options.ok()) return options;
    out.context = m.context();
    out.payload = std::move(*m.mutable_payload());
    messages.push_back(std::move(out));
  }
  return messages;
}

absl::StatusOr<core::ReceiveSpec> ToReceiveSpec(const v1::ReceiveRequest& request) {
  core::ReceiveSpec spec;
  switch (request.target_case()) {
    case v1::ReceiveRequest::kAssociationId:
      spec.association_id = request.association_id();
      if (spec.association_id == 0) {
        return Error(Reason::kAssociationNotFound, "association_id 0 names no association",
                     {{"field", "association_id"}});
      }
      break;
    case v1::ReceiveRequest::kEndpointId:
      spec.endpoint_id = request.endpoint_id();
      if (spec.endpoint_id == 0) {
        return Error(Reason::kEndpointNotFound, "endpoint_id 0 names no endpoint",
                     {{"field", "endpoint_id"}});
      }
      break;
    case v1::ReceiveRequest::TARGET_NOT_SET:
      break;  // The core says which target is missing.
  }
  spec.max_messages = request.max_messages();
  spec.max_bytes = request.max_bytes();
  return spec;
}

namespace {

v1::PathState ToPathState(net::PathState state) {
  switch (state) {
    case net::PathState::kActive: return v1::PATH_STATE_ACTIVE;
    case net::PathState::kInactive: return v1::PATH_STATE_INACTIVE;
    case net::PathState::kUnconfirmed: return v1::PATH_STATE_UNCONFIRMED;
    case net::PathState::kPotentiallyFailed: return v1::PATH_STATE_POTENTIALLY_FAILED;
    case net::PathState::kUnknown: break;
  }
  return v1::PATH_STATE_UNSPECIFIED;
}

v1::KernelAssociationState ToKernelState(net::ProtocolState state) {
  switch (state) {
    case net::ProtocolState::kClosed: return v1::KERNEL_ASSOCIATION_STATE_CLOSED;
    case net::ProtocolState::kCookieWait: return v1::KERNEL_ASSOCIATION_STATE_COOKIE_WAIT;
    case net::ProtocolState::kCookieEchoed: return v1::KERNEL_ASSOCIATION_STATE_COOKIE_ECHOED;
    case net::ProtocolState::kEstablished: return v1::KERNEL_ASSOCIATION_STATE_ESTABLISHED;
    case net::ProtocolState::kShutdownPending:
      return v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_PENDING;
    case net::ProtocolState::kShutdownSent: return v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_SENT;
    case net::ProtocolState::kShutdownReceived:
      return v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_RECEIVED;
    case net::ProtocolState::kShutdownAckSent:
      return v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_ACK_SENT;
    case net::ProtocolState::kUnknown: break;
  }
  return v1::KERNEL_ASSOCIATION_STATE_UNSPECIFIED;
}

v1::AssociationChangeType ToChangeType(net::AssociationChange change) {
  switch (change) {
    case net::AssociationChange::kCommUp: return v1::ASSOCIATION_CHANGE_TYPE_COMM_UP;
    case net::AssociationChange::kCommLost: return v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST;
    case net::AssociationChange::kRestart: return v1::ASSOCIATION_CHANGE_TYPE_RESTART;
    case net::AssociationChange::kShutdownComplete:
      return v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP;
    case net::AssociationChange::kCantStartAssociation:
      return v1::ASSOCIATION_CHANGE_TYPE_CANT_STR_ASSOC;
    case net::AssociationChange::kUnknown: break;
  }
  return v1::ASSOCIATION_CHANGE_TYPE_UNSPECIFIED;
}

v1::PeerAddressChangeType ToChangeType(net::PeerAddressState state) {
  switch (state) {
    case net::PeerAddressState::kAvailable: return v1::PEER_ADDRESS_CHANGE_TYPE_AVAILABLE;
    case net::PeerAddressState::kUnreachable: return v1::PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE;
    case net::PeerAddressState::kRemoved: return v1::PEER_ADDRESS_CHANGE_TYPE_REMOVED;
    case net::PeerAddressState::kAdded: return v1::PEER_ADDRESS_CHANGE_TYPE_ADDED;
    case net::PeerAddressState::kMadePrimary: return v1::PEER_ADDRESS_CHANGE_TYPE_MADE_PRIMARY;
    case net::PeerAddressState::kConfirmed: return v1::PEER_ADDRESS_CHANGE_TYPE_CONFIRMED;
    case net::PeerAddressState::kPotentiallyFailed:
      return v1::PEER_ADDRESS_CHANGE_TYPE_POTENTIALLY_FAILED;
    case net::PeerAddressState::kUnknown: break;
  }
  return v1::PEER_ADDRESS_CHANGE_TYPE_UNSPECIFIED;
}

}  // namespace

void ToProto(const core::EndpointInfo& info, v1::Endpoint* out) {
  out->set_endpoint_id(info.id);
  for (const auto& address : info.local_addresses) ToProto(address, out->add_local_addresses());
  out->set_port(info.port);
  out->set_listening(info.listening);
  out->set_address_reconfiguration(info.address_reconfiguration);
  out->set_udp_encapsulation_port(info.udp_encapsulation_port);
  ExtensionsToProto(info, out);
  SocketOptionsToProto(info, out);
  out->set_association_count(static_cast<uint32_t>(info.association_count));
}

void ToProto(const core::AssociationInfo& info, v1::Association* out) {
  out->set_association_id(info.id);
  out->set_endpoint_id(info.endpoint_id);
  out->set_kernel_association_id(info.kernel_id);
  switch (info.state) {
    case core::AssociationState::kConnecting:
      out->set_state(v1::ASSOCIATION_STATE_CONNECTING);
      break;
    case core::AssociationState::kEstablished:
      out->set_state(v1::ASSOCIATION_STATE_ESTABLISHED);
      break;
    case core::AssociationState::kShuttingDown:
      out->set_state(v1::ASSOCIATION_STATE_SHUTTING_DOWN);
      break;
    case core::AssociationState::kClosed:
      out->set_state(v1::ASSOCIATION_STATE_CLOSED);
      break;
  }
  out->set_incoming(info.incoming);
  out->set_inbound_streams(info.inbound_streams);
  out->set_outbound_streams(info.outbound_streams);
  for (const auto& address : info.local_addresses) ToProto(address, out->add_local_addresses());
  for (const auto& address : info.peer_addresses) ToProto(address, out->add_peer_addresses());
  out->set_queued_messages(static_cast<uint32_t>(info.queued_messages));
  out->set_queued_bytes(info.queued_bytes);
  out->set_waiting_receives(static_cast<uint32_t>(info.waiting_receives));
}

void ToProto(const core::AssociationDescription& description, v1::GetAssociationResponse* out) {
  ToProto(description.association, out->mutable_association());
  if (description.status.has_value()) ToProto(*description.status, out->mutable_status());
  for (const net::PathInfo& path : description.paths) ToProto(path, out->add_paths());
  if (description.parameters.has_value()) {
    ToProto(*description.parameters, out->mutable_path_parameters());
  }
  if (description.streams.has_value()) ToProto(*description.streams, out->mutable_streams());
  if (description.auth.has_value()) ToProto(*description.auth, out->mutable_auth());
  if (description.statistics.has_value()) {
    ToProto(*description.statistics, out->mutable_statistics());
  }
  if (description.pr_sctp.has_value()) ToProto(*description.pr_sctp, out->mutable_pr_sctp());
}

void ToProto(const net::AssociationStatus& status, v1::AssociationStatus* out) {
  out->set_state(ToKernelState(status.state));
  out->set_peer_rwnd(status.peer_rwnd);
  out->set_unacked_chunks(status.unacked_chunks);
  out->set_pending_chunks(status.pending_chunks);
  out->set_inbound_streams(status.inbound_streams);
  out->set_outbound_streams(status.outbound_streams);
  out->set_fragmentation_point(status.fragmentation_point);
  out->set_udp_encapsulation_port(status.udp_encapsulation_port);
  v1::PeerPath* primary = out->mutable_primary();
  ToProto(status.primary_address, primary->mutable_address());
  primary->set_state(ToPathState(status.primary_state));
  primary->set_cwnd(status.primary_cwnd);
  primary->set_srtt_ms(status.primary_srtt_ms);
  primary->set_rto_ms(status.primary_rto_ms);
  primary->set_mtu(status.primary_mtu);
}

void ToProto(const net::PathInfo& path, v1::PeerPath* out) {
  ToProto(path.address, out->mutable_address());
  out->set_state(ToPathState(path.state));
  out->set_cwnd(path.cwnd);
  out->set_srtt_ms(path.srtt_ms);
  out->set_rto_ms(path.rto_ms);
  out->set_mtu(path.mtu);
  out->set_heartbeat_interval_ms(path.heartbeat_interval_ms);
  out->set_heartbeat_enabled(path.heartbeat_enabled);
  out->set_path_max_retransmissions(path.path_max_retransmissions);
  out->set_potentially_failed_threshold(path.potentially_failed_threshold);
}

absl::Status CheckPerPathParameters(const v1::PathParameters& in, absl::string_view field) {
  const std::pair<bool, const char*> association_wide[] = {
      {in.has_rto_initial_ms(), "rto_initial_ms"},
      {in.has_rto_min_ms(), "rto_min_ms"},
      {in.has_rto_max_ms(), "rto_max_ms"},
      {in.has_association_max_retransmissions(), "association_max_retransmissions"},
      {in.has_sack_delay_ms(), "sack_delay_ms"},
      {in.has_sack_frequency(), "sack_frequency"},
  };
  for (const auto& [set, name] : association_wide) {
    if (!set) continue;
    std::string path = absl::StrCat(field, ".", name);
    return Error(Reason::kInvalidArgument,
                 absl::StrCat(path, " applies to the whole association; leave peer_address empty"),
                 {{"field", path}});
  }
  return absl::OkStatus();
}

absl::StatusOr<core::SessionLiveness> ToSessionLiveness(v1::SessionLiveness liveness) {
  switch (liveness) {
    case v1::SESSION_LIVENESS_UNSPECIFIED:
    case v1::SESSION_LIVENESS_CONNECTION:
      return core::SessionLiveness::kConnection;
    case v1::SESSION_LIVENESS_APPLICATION:
      return core::SessionLiveness::kApplication;
    default:
      return Error(Reason::kInvalidArgument,
                   absl::StrCat("liveness ", static_cast<int>(liveness), " is not a SessionLiveness"),
                   {{"field", "liveness"}});
  }
}

v1::SessionLiveness ToProto(core::SessionLiveness liveness) {
  return liveness == core::SessionLiveness::kApplication ? v1::SESSION_LIVENESS_APPLICATION
                                                         : v1::SESSION_LIVENESS_CONNECTION;
}

void ToProto(const net::PathParameters& p, v1::PathParameters* out) {
  if (p.rto_initial_ms) out->set_rto_initial_ms(*p.rto_initial_ms);
  if (p.rto_min_ms) out->set_rto_min_ms(*p.rto_min_ms);
  if (p.rto_max_ms) out->set_rto_max_ms(*p.rto_max_ms);
  if (p.association_max_retransmissions) {
    out->set_association_max_retransmissions(*p.association_max_retransmissions);
  }
  if (p.heartbeat_interval_ms) out->set_heartbeat_interval_ms(*p.heartbeat_interval_ms);
  if (p.heartbeat_enabled) out->set_heartbeat_enabled(*p.heartbeat_enabled);
  if (p.path_max_retransmissions) out->set_path_max_retransmissions(*p.path_max_retransmissions);
  if (p.potentially_failed_threshold) {
    out->set_potentially_failed_threshold(*p.potentially_failed_threshold);
  }
  if (p.sack_delay_ms) out->set_sack_delay_ms(*p.sack_delay_ms);
  if (p.sack_frequency) out->set_sack_frequency(*p.sack_frequency);
}

void ToProto(core::ReceivedMessage&& message, v1::InboundMessage* out) {
  out->set_association_id(message.association_id);
  out->set_stream(message.message.stream);
  out->set_ssn(message.message.ssn);
  out->set_tsn(message.message.tsn);
  out->set_ppid(message.message.ppid);
  out->set_unordered(message.message.unordered);
  out->set_payload(std::move(message.message.payload));
  if (message.message.source.has_value()) ToProto(*message.message.source, out->mutable_source());
  out->set_more_follows(message.message.more_follows);
  out->set_offset(message.message.offset);
}

core::ReceivedMessage FromProto(v1::InboundMessage&& message) {
  core::ReceivedMessage out;
  out.association_id = message.association_id();
  out.message.stream = static_cast<uint16_t>(message.stream());
  out.message.ssn = static_cast<uint16_t>(message.ssn());
  out.message.tsn = message.tsn();
  out.message.ppid = message.ppid();
  out.message.unordered = message.unordered();
  out.message.payload = std::move(*message.mutable_payload());
  if (message.has_source()) {
    auto source = net::SocketAddress::Parse(message.source().ip(), message.source().port());
    if (source.ok()) out.message.source = *source;
  }
  out.message.more_follows = message.more_follows();
  out.message.offset = message.offset();
  return out;
}

void ToProto(const core::Event& event, v1::Event* out) {
  out->set_sequence(event.sequence);
  *out->mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(event.time.time_since_epoch()).count());
  out->set_endpoint_id(event.endpoint_id);
  out->set_association_id(event.association_id);
  out->set_detail(event.detail);
  if (event.messages_lost != 0 || event.messages_unconfirmed != 0) {
    out->mutable_messages_lost()->set_messages(event.messages_lost);
    out->mutable_messages_lost()->set_unconfirmed_messages(event.messages_unconfirmed);
    return;
  }
  const net::Notification& n = event.notification;
  switch (n.type) {
    case net::NotificationType::kAssociationChange: {
      auto* change = out->mutable_association_change();
      change->set_type(ToChangeType(n.association_change));
      change->set_error(n.error);
      change->set_outbound_streams(n.outbound_streams);
      change->set_inbound_streams(n.inbound_streams);
      change->set_info(n.data);
      break;
    }
    case net::NotificationType::kPeerAddressChange: {
      auto* change = out->mutable_peer_address_change();
      if (n.address) ToProto(*n.address, change->mutable_address());
      change->set_type(ToChangeType(n.address_state));
      change->set_error(n.error);
      break;
    }
    case net::NotificationType::kRemoteError: {
      auto* error = out->mutable_remote_error();
      error->set_error(n.error);
      error->set_data(n.data);
      break;
    }
    case net::NotificationType::kSendFailed: {
      auto* failed = out->mutable_send_failed();
      failed->set_sent(n.sent);
      failed->set_error(n.error);
      failed->set_stream(n.stream);
      failed->set_ppid(n.ppid);
      failed->set_context(n.context);
      failed->set_unordered(n.unordered);
      failed->set_payload(n.data);
      break;
    }
    case net::NotificationType::kShutdown:
      out->mutable_shutdown();
      break;
    case net::NotificationType::kAdaptationIndication:
      out->mutable_adaptation_indication()->set_indication(n.adaptation_indication);
      break;
    case net::NotificationType::kPartialDelivery: {
      auto* pd = out->mutable_partial_delivery();
      pd->set_indication(n.indication);
      pd->set_stream(n.pd_stream);
      pd->set_sequence(n.pd_sequence);
      break;
    }
    case net::NotificationType::kAuthentication: {
      auto* auth = out->mutable_authentication();
      auth->set_indication(n.indication);
      auth->set_key_number(n.key_number);
      break;
    }
    case net::NotificationType::kSenderDry:
      out->mutable_sender_dry();
      break;
    case net::NotificationType::kStreamReset: {
      auto* reset = out->mutable_stream_reset();
      reset->set_flags(n.flags);
      for (uint16_t stream : n.streams) reset->add_streams(stream);
      break;
    }
    case net::NotificationType::kAssociationReset: {
      auto* reset = out->mutable_association_reset();
      reset->set_flags(n.flags);
      reset->set_local_tsn(n.local_tsn);
      reset->set_remote_tsn(n.remote_tsn);
      break;
    }
    case net::NotificationType::kStreamChange: {
      auto* change = out->mutable_stream_change();
      change->set_flags(n.flags);
      change->set_inbound_streams(n.inbound_streams);
      change->set_outbound_streams(n.outbound_streams);
      break;
    }
  }
}

absl::StatusOr<uint64_t> ParsePageToken(const std::string& token) {
  if (token.empty()) return 0;
  uint64_t after = 0;
  if (!absl::SimpleAtoi(token, &after)) {
    return Error(Reason::kInvalidArgument, "page_token is not one this service returned",
                 {{"field", "page_token"}});
  }
  return after;
}

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0 || requested > kMaxPageSize) {
    return Error(Reason::kInvalidArgument,
                 absl::StrCat("page_size ", requested, " is outside 0..", kMaxPageSize),
                 {{"field", "page_size"}});
  }
  return requested == 0 ? kDefaultPageSize : requested;
}

core::Deadline ToDeadline(std::chrono::system_clock::time_point deadline) {
  auto system_now = std::chrono::system_clock::now();
  auto steady_now = std::chrono::steady_clock::now();
  if (deadline <= system_now) return steady_now;
  auto left = deadline - system_now;
  if (left > kNoDeadlineCap) left = kNoDeadlineCap;
  return steady_now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
}

}  // namespace sctpgw::rpc
