// The Gateway's endpoints: opening one (the kernel's refusals as named
// errors), closing it with its associations, listing it and changing its
// addresses.
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/core/gateway.h"
#include "server/net/errno_status.h"
#include "server/net/socket_settings.h"

namespace sctpgw::core {

absl::StatusOr<EndpointInfo> Gateway::OpenEndpoint(const std::string& session,
                                                   const EndpointSpec& spec) {
  CheckThread();
  if (absl::Status owner = UseSession(session); !owner.ok()) return owner;
  if (registry_.EndpointsOf(session).size() >= limits_.max_endpoints_per_session) {
    return LimitExceeded("max_endpoints_per_session", limits_.max_endpoints_per_session,
                         absl::StrCat("a session may hold at most ",
                                      limits_.max_endpoints_per_session, " endpoints"));
  }
  if (spec.addresses.empty()) {
    return Error(Reason::kInvalidAddress, "an endpoint needs at least one local address",
                 {{"field", "local_addresses"}});
  }
  if (registry_.endpoint_count() >= limits_.max_endpoints) {
    return LimitExceeded("max_endpoints", limits_.max_endpoints,
                         absl::StrCat("at most ", limits_.max_endpoints, " endpoints may be open"));
  }
  net::EndpointConfig config;
  config.addresses = spec.addresses;
  config.listen = spec.listen;
  config.backlog = spec.backlog;
  config.init = spec.init;
  config.path_parameters = spec.path_parameters;
  config.address_reconfiguration = spec.address_reconfiguration;
  config.udp_encapsulation_port = spec.udp_encapsulation_port;
  config.stream_reconfiguration = spec.stream_reconfiguration;
  config.interleaving = spec.interleaving;
  config.scheduler = spec.scheduler;
  config.auth = spec.auth;
  config.send_buffer_bytes = limits_.socket_send_buffer_bytes;
  config.receive_buffer_bytes = limits_.socket_receive_buffer_bytes;
  config.settings = spec.settings;
  config.abort_oversized_messages = spec.abort_oversized_messages;
  auto socket = stack_.OpenEndpoint(config);
  if (!socket.ok() && !net::RefusedSetting(socket.status()).empty()) {
    const std::string field = absl::StrCat("socket_settings.", net::RefusedSetting(socket.status()));
    if (net::StatusErrno(socket.status()) == EINVAL) {
      return Error(Reason::kInvalidArgument,
                   absl::StrCat("the kernel refused ", field, ": ", socket.status().message()),
                   {{"field", field}});
    }
    absl::Status refused = FromKernel(socket.status(), absl::StrCat("setting ", field));
    AddErrorMetadata(&refused, "field", field);
    return refused;
  }
  if (!socket.ok() && spec.udp_encapsulation_port != 0 &&
      socket.status().code() == absl::StatusCode::kFailedPrecondition &&
      net::StatusErrno(socket.status()) == 0) {
    return Error(Reason::kUdpEncapsulationUnavailable,
                 absl::StrCat("opening the endpoint: ", socket.status().message()),
                 {{"field", "udp_encapsulation_port"}});
  }
  if (!socket.ok() && spec.interleaving && net::StatusErrno(socket.status()) == EPERM) {
    return Error(Reason::kInterleavingUnavailable,
                 absl::StrCat("opening the endpoint: ", socket.status().message()),
                 {{"field", "interleaving"}});
  }
  if (!socket.ok() && net::StatusErrno(socket.status()) == EOPNOTSUPP) {
    return Error(Reason::kSchedulerUnsupported,
                 "this kernel does not offer that stream scheduler (fair capacity and weighted "
                 "fair queueing came with Linux 6.4)",
                 {{"field", "stream_scheduler"}});
  }
  if (!socket.ok()) return FromKernel(socket.status(), "opening the endpoint");

  auto port = stack_.LocalPort(*socket);
  auto local = stack_.LocalAddresses(*socket, 0);
  auto max_send = stack_.MaxSendSize(*socket);
  auto settings = stack_.Settings(*socket);
  if (!port.ok() || !local.ok() || !max_send.ok() || !settings.ok()) {
    stack_.Close(*socket);
    absl::Status status = !port.ok()       ? port.status()
                          : !local.ok()    ? local.status()
                          : !max_send.ok() ? max_send.status()
                                           : settings.status();
    return FromKernel(status, "reading the endpoint back");
  }
  Endpoint endpoint;
  endpoint.session = session;
  endpoint.info.local_addresses = *local;
  endpoint.info.port = *port;
  endpoint.info.listening = spec.listen;
  endpoint.info.address_reconfiguration = spec.address_reconfiguration;
  endpoint.info.udp_encapsulation_port = spec.udp_encapsulation_port;
  endpoint.info.stream_reconfiguration = spec.stream_reconfiguration;
  endpoint.info.interleaving = spec.interleaving;
  endpoint.info.scheduler = spec.scheduler;
  endpoint.info.auth = spec.auth.enabled || !spec.auth.chunk_types.empty() ||
                       !spec.auth.keys.empty() || spec.auth.active_key.has_value();
  endpoint.info.auth_chunk_types = spec.auth.chunk_types;
  for (const net::AuthKey& key : spec.auth.keys) endpoint.info.auth_key_ids.push_back(key.id);
  endpoint.info.settings = *settings;
  endpoint.info.abort_oversized_messages = spec.abort_oversized_messages;
  endpoint.socket = *socket;
  endpoint.max_send_bytes = *max_send;
  return registry_.AddEndpoint(std::move(endpoint)).Snapshot();
}

absl::Status Gateway::CloseEndpoint(const std::string& session, uint64_t endpoint_id,
                                    bool abort) {
  CheckThread();
  if (absl::Status owner = UseSession(session); !owner.ok()) return owner;
  auto endpoint = registry_.OwnedEndpoint(session, endpoint_id);
  if (!endpoint.ok()) return endpoint.status();
  CloseEndpointNow(endpoint_id, abort);
  return absl::OkStatus();
}

void Gateway::CloseEndpointNow(uint64_t endpoint_id, bool abort) {
  Endpoint* endpoint = registry_.FindEndpoint(endpoint_id);
  if (endpoint == nullptr) return;
  // Forgetting the last association of an endpoint that is closing (its
  // session ended) would close the endpoint from within the loop: it is
  // closed here, after the loop, instead.
  endpoint->closing = false;
  for (uint64_t association_id : std::set<uint64_t>(endpoint->associations)) {
    Association* association = registry_.FindAssociation(association_id);
    if (association == nullptr) continue;
    if (abort) (void)AbortAssociation(*association, "endpoint closed");
    // Without abort, closing the socket lets the kernel complete a graceful
    // SHUTDOWN in the background.
    Ended(association_id, Error(Reason::kAssociationClosed,
                                absl::StrCat("endpoint ", endpoint_id, " was closed")));
    Forget(association_id);
  }
  endpoint = registry_.FindEndpoint(endpoint_id);
  if (endpoint == nullptr) return;
  for (OperationId op : std::vector<OperationId>(endpoint->receivers)) {
    FailOperation(op, Error(Reason::kEndpointNotFound,
                            absl::StrCat("endpoint ", endpoint_id, " was closed")));
  }
  net::SocketId socket = endpoint->socket;
  registry_.RemoveEndpoint(endpoint_id);
  stack_.Close(socket);
}

absl::StatusOr<std::vector<EndpointInfo>> Gateway::ListEndpoints(const std::string& session) {
  CheckThread();
  if (absl::Status owner = UseSession(session); !owner.ok()) return owner;
  std::vector<EndpointInfo> result;
  for (uint64_t id : registry_.EndpointsOf(session)) {
    const Endpoint* endpoint = registry_.FindEndpoint(id);
    if (endpoint != nullptr && !endpoint->closing) result.push_back(endpoint->Snapshot());
  }
  return result;
}

absl::StatusOr<EndpointInfo> Gateway::ChangeEndpointAddresses(
    const std::string& session, uint64_t endpoint_id, std::vector<net::SocketAddress> add,
    std::vector<net::SocketAddress> remove) {
  CheckThread();
  if (absl::Status owner = UseSession(session); !owner.ok()) return owner;
  auto endpoint = registry_.OwnedEndpoint(session, endpoint_id);
  if (!endpoint.ok()) return endpoint.status();
  absl::Status status = paths_.ChangeAddresses(**endpoint, std::move(add), std::move(remove));
  if (!status.ok()) return status;
  return (*endpoint)->Snapshot();
}

}  // namespace sctpgw::core
