#include "server/core/stream_manager.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/net/errno_status.h"

namespace sctpgw::core {
namespace {

bool Allowed(const net::StreamReconfiguration& allowed, net::StreamReconfigRequest::Kind kind) {
  switch (kind) {
    case net::StreamReconfigRequest::Kind::kResetStreams: return allowed.reset_streams;
    case net::StreamReconfigRequest::Kind::kResetAssociation: return allowed.reset_association;
    case net::StreamReconfigRequest::Kind::kAddStreams: return allowed.add_streams;
  }
  return false;
}

const char* RequestName(net::StreamReconfigRequest::Kind kind) {
  switch (kind) {
    case net::StreamReconfigRequest::Kind::kResetStreams: return "resetting streams";
    case net::StreamReconfigRequest::Kind::kResetAssociation: return "resetting the association";
    case net::StreamReconfigRequest::Kind::kAddStreams: return "adding streams";
  }
  return "reconfiguring streams";
}

}  // namespace

absl::Status StreamManager::Reconfigure(Association& association,
                                        const net::StreamReconfigRequest& request) {
  const Endpoint* endpoint = registry_.FindEndpoint(association.endpoint_id());
  const char* what = RequestName(request.kind);
  if (endpoint == nullptr || !Allowed(endpoint->info.stream_reconfiguration, request.kind)) {
    return Error(Reason::kStreamReconfigurationUnavailable,
                 absl::StrCat("endpoint ", association.endpoint_id(),
                              " was opened without stream_reconfiguration allowing ", what));
  }
  const AssociationInfo& info = association.info();
  if (request.kind == net::StreamReconfigRequest::Kind::kResetStreams) {
    for (size_t i = 0; i < request.streams.size(); ++i) {
      const uint16_t stream = request.streams[i];
      // Each direction reset must have the stream.
      if ((request.outgoing && stream >= info.outbound_streams) ||
          (request.incoming && stream >= info.inbound_streams)) {
        return Error(Reason::kStreamOutOfRange,
                     absl::StrCat("stream ", stream, " is beyond association ", association.id(),
                                  "'s ", info.outbound_streams, " outbound and ",
                                  info.inbound_streams, " inbound streams"),
                     {{"field", absl::StrCat("streams[", i, "]")}});
      }
    }
  }
  if (request.kind == net::StreamReconfigRequest::Kind::kAddStreams &&
      (info.outbound_streams + request.add_outbound > 65535 ||
       info.inbound_streams + request.add_inbound > 65535)) {
    return Error(Reason::kInvalidArgument,
                 absl::StrCat("association ", association.id(), " would have more than 65535 ",
                              "streams in a direction (it has ", info.outbound_streams,
                              " outbound and ", info.inbound_streams, " inbound)"),
                 {{"field", info.outbound_streams + request.add_outbound > 65535 ? "outbound"
                                                                                 : "inbound"}});
  }
  absl::Status status =
      stack_.ReconfigureStreams(association.socket(), association.kernel_id(), request);
  switch (net::StatusErrno(status)) {
    case ENOPROTOOPT:
      return Error(Reason::kStreamReconfigurationUnavailable,
                   absl::StrCat("the peer of association ", association.id(),
                                " does not support stream reconfiguration (RFC 6525)"));
    case EINPROGRESS:
      return Error(Reason::kReconfigurationPending,
                   absl::StrCat("association ", association.id(),
                                " has a reconfiguration request waiting for the peer's answer; "
                                "retry once its event has arrived"));
    case EAGAIN:
      return Error(Reason::kReconfigurationPending,
                   absl::StrCat("messages are still queued on the streams of association ",
                                association.id(), " to reset; retry once they are sent"));
    default:
      break;
  }
  return FromKernel(status, what);
}

absl::StatusOr<net::StreamSettings> StreamManager::Configure(
    Association& association, net::StreamScheduler scheduler,
    const std::vector<net::StreamValue>& values) {
  std::vector<uint16_t> streams;
  for (size_t i = 0; i < values.size(); ++i) {
    const net::StreamValue& value = values[i];
    if (value.stream >= association.info().outbound_streams) {
      return Error(Reason::kStreamOutOfRange,
                   absl::StrCat("stream ", value.stream, " is beyond association ",
                                association.id(), "'s ", association.info().outbound_streams,
                                " outbound streams"),
                   {{"field", absl::StrCat("values[", i, "].stream")}});
    }
    streams.push_back(value.stream);
  }
  absl::Status status = stack_.SetStreamScheduling(association.socket(), association.kernel_id(),
                                                   scheduler, values);
  if (net::StatusErrno(status) == EOPNOTSUPP) {
    return Error(Reason::kSchedulerUnsupported,
                 "this kernel does not offer that stream scheduler (fair capacity and weighted "
                 "fair queueing came with Linux 6.4)",
                 {{"field", "scheduler"}});
  }
  if (!status.ok()) return FromKernel(status, "setting the stream scheduler");
  auto settings = stack_.Streams(association.socket(), association.kernel_id(), streams);
  if (!settings.ok()) return FromKernel(settings.status(), "reading the stream scheduler");
  return settings;
}

absl::StatusOr<net::StreamSettings> StreamManager::Settings(Association& association) {
  auto settings = stack_.Streams(association.socket(), association.kernel_id(), {});
  if (!settings.ok()) return FromKernel(settings.status(), "reading the stream settings");
  return settings;
}

}  // namespace sctpgw::core
