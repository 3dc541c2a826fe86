#include "server/core/gateway.h"

#include <algorithm>
#include <cerrno>
#include <random>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/net/errno_status.h"

namespace sctpgw::core {
namespace {

constexpr size_t kEndedRemembered = 4096;

// How long until the core answers a waiting call itself: a little before the
// caller's deadline (5% of the time left, at least `margin`, at most 250 ms),
// so that its answer, and for Receive the messages in it, are not lost to the
// deadline racing it.
std::chrono::milliseconds UntilDeadline(Deadline deadline, std::chrono::milliseconds margin) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  margin = std::clamp(left / 20, margin, std::max(margin, std::chrono::milliseconds(250)));
  // Keep the margin only when there is time to spare for it.
  if (left > 2 * margin) left -= margin;
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

absl::Status DeadlineError(absl::string_view what) {
  return Error(Reason::kDeadlineExceeded, absl::StrCat(what, ": the call's deadline expired"));
}

}  // namespace

const char* AssociationStateName(AssociationState state) {
  switch (state) {
    case AssociationState::kConnecting: return "CONNECTING";
    case AssociationState::kEstablished: return "ESTABLISHED";
    case AssociationState::kShuttingDown: return "SHUTTING_DOWN";
    case AssociationState::kClosed: return "CLOSED";
  }
  return "UNKNOWN";
}

Gateway::Gateway(net::SctpStack& stack, Limits limits)
    : stack_(stack), limits_(limits), events_(limits.event_history) {
  stack_.SetObserver(this);
}

Gateway::~Gateway() { stack_.SetObserver(nullptr); }

// ---------------------------------------------------------------- sessions

namespace {

// 128 bits from the kernel's random source, as 32 hex digits.
std::string NewSessionId() {
  std::random_device random;  // getrandom(2) on Linux.
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&id, absl::Hex(random(), absl::kZeroPad8));
  return id;
}

}  // namespace

std::string SessionKey(const std::string& id, const std::string& identity) {
  bool well_formed = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!well_formed) return id.empty() ? "" : "-";  // "-" names no session.
  return identity.empty() ? id : absl::StrCat(id, "/", identity);
}

absl::StatusOr<SessionInfo> Gateway::OpenSession(std::chrono::milliseconds requested_lease,
                                                 const std::string& client_name,
                                                 const std::string& owner) {
  if (closed_) return Error(Reason::kShuttingDown, "sctpgw is shutting down");
  if (sessions_.size() >= limits_.max_sessions) {
    return Error(Reason::kLimitExceeded,
                 absl::StrCat("at most ", limits_.max_sessions, " sessions may be open"),
                 {{"limit", "max_sessions"}, {"value", absl::StrCat(limits_.max_sessions)}});
  }
  Session session;
  session.info.id = NewSessionId();
  session.info.key = SessionKey(session.info.id, owner);
  session.info.lease = requested_lease.count() == 0
                           ? limits_.default_lease
                           : std::clamp(requested_lease, limits_.min_lease, limits_.max_lease);
  session.client_name = client_name;
  std::string key = session.info.key;
  SessionInfo info = session.info;
  Session& stored = sessions_.emplace(key, std::move(session)).first->second;
  ++counters_.sessions_opened;
  RenewLease(stored);
  return info;
}

absl::Status Gateway::CloseSession(const std::string& session) {
  auto found = UseSession(session);
  if (!found.ok()) return found.status();
  EndSession(session, "closed by its application");
  return absl::OkStatus();
}

absl::Status Gateway::WatchStarted(const std::string& session) {
  auto found = UseSession(session);
  if (!found.ok()) return found.status();
  Session& s = **found;
  ++s.watchers;
  stack_.CancelTimer(s.lease_timer);
  s.lease_timer = 0;
  return absl::OkStatus();
}

void Gateway::WatchEnded(const std::string& session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  if (it->second.watchers > 0) --it->second.watchers;
  RenewLease(it->second);
}

void Gateway::RenewLease(Session& session) {
  stack_.CancelTimer(session.lease_timer);
  session.lease_timer = 0;
  if (session.watchers > 0) return;  // Alive while a stream holds it.
  std::string id = session.info.key;
  session.lease_timer = stack_.StartTimer(session.info.lease, [this, id] {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    it->second.lease_timer = 0;
    EndSession(id, "its lease ran out");
  });
}

absl::StatusOr<Gateway::Session*> Gateway::UseSession(const std::string& session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end() && closed_) {
    // Close() ended every session; while sctpgw drains, callers are told it
    // is stopping (retryable elsewhere), not that their session is gone.
    return Error(Reason::kShuttingDown, "sctpgw is shutting down");
  }
  if (it == sessions_.end()) {
    // Not echoing the id: it is a credential.
    return Error(Reason::kSessionNotFound,
                 session.empty() ? "session_id is required: open a session first"
                                 : "no such session (it ended, or never existed)",
                 {{"field", "session_id"}});
  }
  RenewLease(it->second);
  return &it->second;
}

absl::StatusOr<Gateway::Endpoint*> Gateway::OwnedEndpoint(const std::string& session,
                                                          uint64_t endpoint_id) {
  auto it = endpoints_.find(endpoint_id);
  if (it == endpoints_.end() || it->second.session != session || it->second.closing) {
    return Error(Reason::kEndpointNotFound, absl::StrCat("no endpoint ", endpoint_id),
                 {{"endpoint_id", absl::StrCat(endpoint_id)}});
  }
  return &it->second;
}

absl::StatusOr<Gateway::Association*> Gateway::LiveAssociation(const std::string& session,
                                                               uint64_t association_id,
                                                               bool established) {
  auto owner = UseSession(session);
  if (!owner.ok()) return owner.status();
  auto owned = OwnedAssociation(session, association_id);
  if (!owned.ok()) return owned.status();
  Association* association = *owned;
  AssociationState state = association->info.state;
  if (association->socket == 0 || state == AssociationState::kClosed ||
      (established && state != AssociationState::kEstablished)) {
    return Error(Reason::kAssociationNotEstablished,
                 absl::StrCat("association ", association_id, " is ", AssociationStateName(state)),
                 {{"association_id", absl::StrCat(association_id)}});
  }
  return association;
}

absl::StatusOr<Gateway::Association*> Gateway::OwnedAssociation(const std::string& session,
                                                                uint64_t association_id) {
  Association* association = FindAssociation(association_id);
  if (association == nullptr || association->session != session) {
    return NotFound(session, association_id);
  }
  return association;
}

void Gateway::EndSession(const std::string& session, const char* why) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  stack_.CancelTimer(it->second.lease_timer);
  std::set<uint64_t> endpoints = it->second.endpoints;
  sessions_.erase(it);
  events_.EndSession(session);
  for (uint64_t endpoint_id : endpoints) {
    auto endpoint = endpoints_.find(endpoint_id);
    if (endpoint == endpoints_.end()) continue;
    endpoint->second.closing = true;
    for (OperationId op : std::vector<OperationId>(endpoint->second.receivers)) {
      FailOperation(op, Error(Reason::kSessionNotFound, absl::StrCat("the session ended: ", why)));
    }
    std::set<uint64_t> associations = endpoint->second.associations;
    for (uint64_t association_id : associations) {
      Association* association = FindAssociation(association_id);
      if (association == nullptr) continue;
      // Nothing waits for the application any more.
      std::vector<OperationId> receivers = association->receivers;
      for (OperationId op : receivers) {
        FailOperation(op, Error(Reason::kSessionNotFound, absl::StrCat("the session ended: ", why)));
      }
      association = FindAssociation(association_id);
      if (association == nullptr) continue;
      association->abort_detail = absl::StrCat("its session ended: ", why);
      if (association->info.state == AssociationState::kEstablished) {
        // Graceful first; ABORT if the peer does not complete in time.
        Shutdown(session, association_id, /*abort=*/false, "",
                 std::chrono::steady_clock::now() + limits_.session_shutdown_timeout,
                 [this, session, association_id](absl::StatusOr<bool> done) {
                   if (done.ok() || FindAssociation(association_id) == nullptr) return;
                   Association* a = FindAssociation(association_id);
                   net::SocketId socket = a->socket;
                   if (socket != 0) {
                     (void)stack_.Abort(socket, a->info.kernel_id, "sctpgw session ended");
                     a->abort_detail = "sctpgw aborted the association: its session ended and "
                                       "the peer did not complete the shutdown in time";
                   } else {
                     Ended(association_id, Error(Reason::kAssociationLost, "session ended"));
                   }
                 });
      } else if (association->info.state == AssociationState::kConnecting) {
        if (association->associate_op != 0) {
          FailOperation(association->associate_op,
                        Error(Reason::kSessionNotFound, absl::StrCat("the session ended: ", why)));
        }
      } else {
        Forget(association_id);  // Closed, with unread messages nobody will read.
      }
    }
    MaybeCloseOrphan(endpoint_id);
  }
}

void Gateway::MaybeCloseOrphan(uint64_t endpoint_id) {
  auto endpoint = endpoints_.find(endpoint_id);
  if (endpoint == endpoints_.end() || !endpoint->second.closing) return;
  if (!endpoint->second.associations.empty()) return;
  CloseEndpointNow(endpoint_id, /*abort=*/false);
}

// ---------------------------------------------------------------- endpoints

absl::StatusOr<EndpointInfo> Gateway::OpenEndpoint(const std::string& session,
                                                   const EndpointSpec& spec) {
  if (closed_) return Error(Reason::kShuttingDown, "sctpgw is shutting down");
  auto owner = UseSession(session);
  if (!owner.ok()) return owner.status();
  if ((*owner)->endpoints.size() >= limits_.max_endpoints_per_session) {
    return Error(Reason::kLimitExceeded,
                 absl::StrCat("a session may hold at most ", limits_.max_endpoints_per_session,
                              " endpoints"),
                 {{"limit", "max_endpoints_per_session"},
                  {"value", absl::StrCat(limits_.max_endpoints_per_session)}});
  }
  if (spec.addresses.empty()) {
    return Error(Reason::kInvalidAddress, "an endpoint needs at least one local address",
                 {{"field", "local_addresses"}});
  }
  if (endpoints_.size() >= limits_.max_endpoints) {
    return Error(Reason::kLimitExceeded,
                 absl::StrCat("at most ", limits_.max_endpoints, " endpoints may be open"),
                 {{"limit", "max_endpoints"}, {"value", absl::StrCat(limits_.max_endpoints)}});
  }
  net::EndpointConfig config;
  config.addresses = spec.addresses;
  config.listen = spec.listen;
  config.backlog = spec.backlog;
  config.init = spec.init;
  config.path_parameters = spec.path_parameters;
  config.address_reconfiguration = spec.address_reconfiguration;
  config.send_buffer_bytes = limits_.socket_send_buffer_bytes;
  config.receive_buffer_bytes = limits_.socket_receive_buffer_bytes;
  config.no_delay = true;
  auto socket = stack_.OpenEndpoint(config);
  if (!socket.ok()) return FromKernel(socket.status(), "opening the endpoint");

  auto port = stack_.LocalPort(*socket);
  auto local = stack_.LocalAddresses(*socket, 0);
  auto max_send = stack_.MaxSendSize(*socket);
  if (!port.ok() || !local.ok() || !max_send.ok()) {
    stack_.Close(*socket);
    absl::Status status = !port.ok() ? port.status() : !local.ok() ? local.status() : max_send.status();
    return FromKernel(status, "reading the endpoint's addresses");
  }
  Endpoint endpoint;
  endpoint.session = session;
  endpoint.info.id = next_endpoint_id_++;
  (*owner)->endpoints.insert(endpoint.info.id);
  endpoint.info.local_addresses = *local;
  endpoint.info.port = *port;
  endpoint.info.listening = spec.listen;
  endpoint.info.address_reconfiguration = spec.address_reconfiguration;
  endpoint.socket = *socket;
  endpoint.max_send_bytes = *max_send;
  uint64_t id = endpoint.info.id;
  endpoint_sockets_[*socket] = id;
  EndpointInfo info = endpoint.info;
  endpoints_.emplace(id, std::move(endpoint));
  return info;
}

absl::Status Gateway::CloseEndpoint(const std::string& session, uint64_t endpoint_id,
                                    bool abort) {
  auto owner = UseSession(session);
  if (!owner.ok()) return owner.status();
  auto endpoint = OwnedEndpoint(session, endpoint_id);
  if (!endpoint.ok()) return endpoint.status();
  CloseEndpointNow(endpoint_id, abort);
  return absl::OkStatus();
}

void Gateway::CloseEndpointNow(uint64_t endpoint_id, bool abort) {
  auto it = endpoints_.find(endpoint_id);
  if (it == endpoints_.end()) return;
  std::set<uint64_t> associations = it->second.associations;
  for (uint64_t association_id : associations) {
    Association* association = FindAssociation(association_id);
    if (association == nullptr) continue;
    if (abort) {
      net::SocketId socket = association->socket != 0 ? association->socket : it->second.socket;
      (void)stack_.Abort(socket, association->info.kernel_id, "endpoint closed");
    }
    // Without abort, closing the socket lets the kernel complete a graceful
    // SHUTDOWN in the background.
    Ended(association_id, Error(Reason::kAssociationClosed,
                                absl::StrCat("endpoint ", endpoint_id, " was closed")));
    Forget(association_id);
  }
  // Forgetting the last association of an endpoint that was already closing
  // (its session ended) closes it from within the loop above.
  it = endpoints_.find(endpoint_id);
  if (it == endpoints_.end()) return;
  Endpoint& endpoint = it->second;
  for (OperationId op : std::vector<OperationId>(endpoint.receivers)) {
    FailOperation(op, Error(Reason::kEndpointNotFound,
                            absl::StrCat("endpoint ", endpoint_id, " was closed")));
  }
  endpoint_sockets_.erase(endpoint.socket);
  stack_.Close(endpoint.socket);
  if (auto owner = sessions_.find(endpoint.session); owner != sessions_.end()) {
    owner->second.endpoints.erase(endpoint_id);
  }
  endpoints_.erase(endpoint_id);
}

absl::StatusOr<std::vector<EndpointInfo>> Gateway::ListEndpoints(const std::string& session) {
  auto owner = UseSession(session);
  if (!owner.ok()) return owner.status();
  std::vector<EndpointInfo> result;
  for (const auto& [id, endpoint] : endpoints_) {
    if (endpoint.session != session || endpoint.closing) continue;
    EndpointInfo info = endpoint.info;
    info.association_count = endpoint.associations.size();
    result.push_back(std::move(info));
  }
  return result;
}

absl::StatusOr<EndpointInfo> Gateway::ChangeEndpointAddresses(
    const std::string& session, uint64_t endpoint_id, std::vector<net::SocketAddress> add,
    std::vector<net::SocketAddress> remove) {
  auto owner = UseSession(session);
  if (!owner.ok()) return owner.status();
  auto owned = OwnedEndpoint(session, endpoint_id);
  if (!owned.ok()) return owned.status();
  Endpoint& endpoint = **owned;
  if (add.empty() && remove.empty()) {
    return Error(Reason::kInvalidArgument, "nothing to add or remove",
                 {{"field", "add_addresses"}});
  }
  for (auto* list : {&add, &remove}) {
    for (net::SocketAddress& address : *list) address.set_port(endpoint.info.port);
  }
  // With ASCONF, live associations change too (their peers are told). Their
  // sockets bind new addresses before the endpoint's: a listening socket
  // holding an address keeps any other socket from binding it.
  std::vector<net::SocketId> sockets;
  if (endpoint.info.address_reconfiguration) {
    for (uint64_t association_id : endpoint.associations) {
      Association* association = FindAssociation(association_id);
      if (association != nullptr && association->socket != 0 &&
          association->info.state == AssociationState::kEstablished) {
        sockets.push_back(association->socket);
      }
    }
  }
  sockets.push_back(endpoint.socket);
  for (size_t i = 0; i < sockets.size(); ++i) {
    absl::Status status = stack_.ChangeAddresses(sockets[i], add, remove);
    if (!status.ok()) {
      for (size_t j = 0; j < i; ++j) (void)stack_.ChangeAddresses(sockets[j], remove, add);
      return FromKernel(status, sockets[i] == endpoint.socket
                                    ? "changing the endpoint's addresses"
                                    : "changing the addresses of a live association");
    }
  }
  if (auto local = stack_.LocalAddresses(endpoint.socket, 0); local.ok()) {
    endpoint.info.local_addresses = *local;
  }
  EndpointInfo info = endpoint.info;
  info.association_count = endpoint.associations.size();
  return info;
}

absl::StatusOr<std::vector<AssociationInfo>> Gateway::ListAssociations(const std::string& session,
                                                                       uint64_t endpoint_id) {
  auto owner = UseSession(session);
  if (!owner.ok()) return owner.status();
  if (endpoint_id != 0) {
    auto endpoint = OwnedEndpoint(session, endpoint_id);
    if (!endpoint.ok()) return endpoint.status();
  }
  std::vector<AssociationInfo> result;
  for (const auto& [id, association] : associations_) {
    if (association.session != session) continue;
    if (endpoint_id != 0 && association.info.endpoint_id != endpoint_id) continue;
    result.push_back(Snapshot(association));
  }
  return result;
}

absl::StatusOr<AssociationInfo> Gateway::GetAssociation(const std::string& session,
                                                        uint64_t association_id) {
  auto owner = UseSession(session);
  if (!owner.ok()) return owner.status();
  auto association = OwnedAssociation(session, association_id);
  if (!association.ok()) return association.status();
  return Snapshot(**association);
}

absl::StatusOr<AssociationDetail> Gateway::GetAssociationDetail(const std::string& session,
                                                                uint64_t association_id) {
  auto live = LiveAssociation(session, association_id, /*established=*/false);
  if (!live.ok()) return live.status();
  Association* association = *live;
  net::SocketId socket = association->socket;
  sctp_assoc_t kernel_id = association->info.kernel_id;
  AssociationDetail detail;
  auto status = stack_.Status(socket, kernel_id);
  if (!status.ok()) return FromKernel(status.status(), "getsockopt(SCTP_STATUS)");
  detail.status = *status;
  // Addresses can change (ASCONF, peer restart): read them afresh.
  if (auto peers = stack_.PeerAddresses(socket, kernel_id); peers.ok()) {
    association->info.peer_addresses = *peers;
  }
  if (auto local = stack_.LocalAddresses(socket, kernel_id); local.ok()) {
    association->info.local_addresses = *local;
  }
  detail.local_addresses = association->info.local_addresses;
  for (const net::SocketAddress& peer : association->info.peer_addresses) {
    auto path = stack_.Path(socket, kernel_id, peer);
    if (path.ok()) detail.paths.push_back(*path);
  }
  auto parameters = stack_.Parameters(socket, kernel_id);
  if (!parameters.ok()) return FromKernel(parameters.status(), "reading path parameters");
  detail.parameters = *parameters;
  return detail;
}

absl::Status Gateway::SetPrimaryPath(const std::string& session, uint64_t association_id,
                                     const net::SocketAddress& peer) {
  auto live = LiveAssociation(session, association_id, /*established=*/true);
  if (!live.ok()) return live.status();
  Association* association = *live;
  net::SocketAddress target = peer;
  target.set_port(association->info.peer_port);
  bool known = false;
  for (const net::SocketAddress& address : association->info.peer_addresses) {
    known = known || address == target;
  }
  if (!known) {
    return Error(Reason::kInvalidAddress,
                 absl::StrCat(target.Ip(), " is not a peer address of association ",
                              association_id),
                 {{"field", "peer_address"}});
  }
  return FromKernel(stack_.SetPrimary(association->socket, association->info.kernel_id, target),
                    "setting the primary path");
}

absl::Status Gateway::RequestPeerPrimaryPath(const std::string& session,
                                             uint64_t association_id,
                                             const net::SocketAddress& local) {
  auto live = LiveAssociation(session, association_id, /*established=*/true);
  if (!live.ok()) return live.status();
  Association* association = *live;
  auto endpoint = endpoints_.find(association->info.endpoint_id);
  if (endpoint == endpoints_.end() || !endpoint->second.info.address_reconfiguration) {
    return Error(Reason::kReconfigurationUnsupported,
                 absl::StrCat("endpoint ", association->info.endpoint_id,
                              " was opened without address_reconfiguration"));
  }
  net::SocketAddress target = local;
  target.set_port(endpoint->second.info.port);
  auto addresses = stack_.LocalAddresses(association->socket, association->info.kernel_id);
  if (!addresses.ok()) return FromKernel(addresses.status(), "reading the local addresses");
  association->info.local_addresses = *addresses;
  bool known = false;
  for (const net::SocketAddress& address : *addresses) known = known || address == target;
  if (!known) {
    return Error(Reason::kInvalidAddress,
                 absl::StrCat(target.Ip(), " is not a local address of association ",
                              association_id),
                 {{"field", "local_address"}});
  }
  absl::Status status =
      stack_.SetPeerPrimary(association->socket, association->info.kernel_id, target);
  if (net::StatusErrno(status) == EPERM) {
    return Error(Reason::kReconfigurationUnsupported,
                 absl::StrCat("the peer of association ", association_id,
                              " does not support address reconfiguration (ASCONF with AUTH)"));
  }
  return FromKernel(status, "asking the peer to change its primary path");
}

absl::StatusOr<PathConfiguration> Gateway::ConfigurePaths(const std::string& session,
                                                          uint64_t association_id,
                                                          const net::PathParameters& parameters,
                                                          std::optional<net::SocketAddress> peer) {
  auto live = LiveAssociation(session, association_id, /*established=*/false);
  if (!live.ok()) return live.status();
  Association* association = *live;
  net::SocketId socket = association->socket;
  sctp_assoc_t kernel_id = association->info.kernel_id;
  PathConfiguration result;
  if (peer.has_value()) {
    peer->set_port(association->info.peer_port);
    if (auto peers = stack_.PeerAddresses(socket, kernel_id); peers.ok()) {
      association->info.peer_addresses = *peers;
    }
    bool known = false;
    for (const net::SocketAddress& address : association->info.peer_addresses) {
      known = known || address == *peer;
    }
    if (!known) {
      return Error(Reason::kInvalidAddress,
                   absl::StrCat(peer->Ip(), " is not a peer address of association ",
                                association_id),
                   {{"field", "peer_address"}});
    }
    absl::Status status = stack_.SetPathParameters(socket, kernel_id, *peer, parameters);
    if (!status.ok()) return FromKernel(status, "setting the path's parameters");
    auto path = stack_.Path(socket, kernel_id, *peer);
    if (!path.ok()) return FromKernel(path.status(), "reading the path");
    result.path = *path;
  } else {
    absl::Status status = stack_.SetParameters(socket, kernel_id, parameters);
    if (!status.ok()) return FromKernel(status, "setting path parameters");
  }
  auto now = stack_.Parameters(socket, kernel_id);
  if (!now.ok()) return FromKernel(now.status(), "reading path parameters");
  result.parameters = *now;
  return result;
}

GatewayStats Gateway::Stats() const {
  GatewayStats stats = counters_;
  stats.sessions = sessions_.size();
  stats.endpoints = endpoints_.size();
  for (const auto& [id, association] : associations_) {
    ++stats.associations[association.info.state];
    stats.queued_messages += association.queue.size();
    stats.queued_bytes += association.queued_bytes;
  }
  stats.waiting_operations = operations_.size();
  return stats;
}

Gateway::Association* Gateway::FindAssociation(uint64_t id) {
  auto it = associations_.find(id);
  return it == associations_.end() ? nullptr : &it->second;
}

const Gateway::Association* Gateway::FindAssociation(uint64_t id) const {
  auto it = associations_.find(id);
  return it == associations_.end() ? nullptr : &it->second;
}

absl::Status Gateway::NotFound(const std::string& session, uint64_t association_id) const {
  if (auto ended = ended_.find(association_id); ended != ended_.end() && ended->second == session) {
    return Error(Reason::kAssociationClosed,
                 absl::StrCat("association ", association_id, " has ended"),
                 {{"association_id", absl::StrCat(association_id)}});
  }
  return Error(Reason::kAssociationNotFound, absl::StrCat("no association ", association_id),
               {{"association_id", absl::StrCat(association_id)}});
}

AssociationInfo Gateway::Snapshot(const Association& association) const {
  AssociationInfo info = association.info;
  info.queued_messages = association.queue.size();
  info.queued_bytes = association.queued_bytes;
  info.waiting_receives = association.receivers.size();
  return info;
}

// ---------------------------------------------------------------- operations

OperationId Gateway::AddOperation(Operation op, Deadline deadline) {
  OperationId id = next_operation_id_++;
  op.timer = stack_.StartTimer(UntilDeadline(deadline, limits_.deadline_margin),
                               [this, id] { OnDeadline(id); });
  operations_.emplace(id, std::move(op));
  return id;
}

void Gateway::FailOperation(OperationId id, const absl::Status& status) {
  auto it = operations_.find(id);
  if (it == operations_.end()) return;
  Operation op = std::move(it->second);
  operations_.erase(it);
  stack_.CancelTimer(op.timer);
  switch (op.kind) {
    case OpKind::kAssociate: {
      // Abort the half-open association and forget it.
      Association* association = FindAssociation(op.association_id);
      if (association != nullptr && association->info.state == AssociationState::kConnecting) {
        auto endpoint = endpoints_.find(association->info.endpoint_id);
        if (endpoint != endpoints_.end()) {
          (void)stack_.Abort(endpoint->second.socket, association->info.kernel_id,
                             "associate cancelled");
          endpoint->second.by_kernel_id.erase(association->info.kernel_id);
        }
        association->associate_op = 0;
        Forget(op.association_id);
      }
      op.associate_done(status);
      return;
    }
    case OpKind::kSend: {
      if (Association* association = FindAssociation(op.association_id)) {
        auto& queue = association->outbound;
        queue.erase(std::remove(queue.begin(), queue.end(), id), queue.end());
      }
      absl::Status result = status;
      if (op.next > 0) {
        // Part of the batch is already with the kernel: say how much.
        result = absl::Status(status.code(),
                              absl::StrCat(status.message(), "; the first ", op.next, " of ",
                                           op.messages.size(), " messages were accepted"));
        status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
          result.SetPayload(url, value);
        });
        AddErrorMetadata(&result, "accepted_messages", absl::StrCat(op.next));
      }
      op.send_done(result);
      return;
    }
    case OpKind::kReceive: {
      // Not waiting any more: out of the list it waited in.
      std::vector<OperationId>* waiting = nullptr;
      if (Association* association = FindAssociation(op.association_id)) {
        waiting = &association->receivers;
      } else if (auto endpoint = endpoints_.find(op.endpoint_id); endpoint != endpoints_.end()) {
        waiting = &endpoint->second.receivers;
      }
      if (waiting != nullptr) {
        waiting->erase(std::remove(waiting->begin(), waiting->end(), id), waiting->end());
      }
      op.receive_done(status);
      return;
    }
    case OpKind::kShutdown:
      if (Association* association = FindAssociation(op.association_id)) {
        auto& queue = association->outbound;
        queue.erase(std::remove(queue.begin(), queue.end(), id), queue.end());
        auto& started = association->shutdowns;
        started.erase(std::remove(started.begin(), started.end(), id), started.end());
      }
      op.shutdown_done(status);
      return;
  }
}

void Gateway::OnDeadline(OperationId id) {
  auto it = operations_.find(id);
  if (it == operations_.end()) return;
  it->second.timer = 0;
  const char* what = "the call";
  switch (it->second.kind) {
    case OpKind::kAssociate: what = "associate"; break;
    case OpKind::kSend: what = "send"; break;
    case OpKind::kReceive: what = "receive"; break;
    case OpKind::kShutdown: what = "shutdown"; break;
  }
  FailOperation(id, DeadlineError(what));
}

void Gateway::Cancel(OperationId id) {
  FailOperation(id, Error(Reason::kCancelled, "the call was cancelled"));
}

// ---------------------------------------------------------------- associate

OperationId Gateway::Associate(const std::string& session, const AssociateSpec& spec,
                               Deadline deadline, Done<AssociationInfo> done) {
  auto fail = [&](absl::Status status) -> OperationId {
    done(std::move(status));
    return 0;
  };
  if (closed_) return fail(Error(Reason::kShuttingDown, "sctpgw is shutting down"));
  auto owner = UseSession(session);
  if (!owner.ok()) return fail(owner.status());
  auto owned = OwnedEndpoint(session, spec.endpoint_id);
  if (!owned.ok()) return fail(owned.status());
  auto endpoint_it = endpoints_.find(spec.endpoint_id);
  size_t held = 0;
  for (uint64_t endpoint_id : (*owner)->endpoints) {
    auto e = endpoints_.find(endpoint_id);
    if (e != endpoints_.end()) held += e->second.associations.size();
  }
  if (held >= limits_.max_associations_per_session) {
    return fail(Error(Reason::kLimitExceeded,
                      absl::StrCat("a session may hold at most ",
                                   limits_.max_associations_per_session, " associations"),
                      {{"limit", "max_associations_per_session"},
                       {"value", absl::StrCat(limits_.max_associations_per_session)}}));
  }
  if (spec.peers.empty()) {
    return fail(Error(Reason::kInvalidAddress, "associate needs at least one peer address",
                      {{"field", "peer_addresses"}}));
  }
  if (associations_.size() >= limits_.max_associations) {
    return fail(Error(Reason::kLimitExceeded,
                      absl::StrCat("at most ", limits_.max_associations, " associations"),
                      {{"limit", "max_associations"}}));
  }
  Endpoint& endpoint = endpoint_it->second;
  auto kernel_id = stack_.Connect(endpoint.socket, spec.peers, spec.init);
  if (!kernel_id.ok()) {
    absl::Status status = FromKernel(kernel_id.status(), "sctp_connectx");
    int error = net::StatusErrno(kernel_id.status());
    if (error == ECONNREFUSED || error == ENETUNREACH || error == EHOSTUNREACH) {
      status = Error(Reason::kAssociateFailed, status.message(), {{"errno", absl::StrCat(error)}});
    }
    // SCTP allows one association between two endpoints; the kernel says
    // EISCONN/EALREADY, or EADDRNOTAVAIL once the first was peeled off.
    bool exists = error == EISCONN || error == EALREADY;
    if (error == EADDRNOTAVAIL) {
      for (uint64_t id : endpoint.associations) {
        const Association* other = FindAssociation(id);
        if (other == nullptr) continue;
        for (const net::SocketAddress& peer : other->info.peer_addresses) {
          for (const net::SocketAddress& wanted : spec.peers) exists = exists || peer == wanted;
        }
      }
    }
    if (exists) {
      status = Error(Reason::kAssociationExists,
                     absl::StrCat("endpoint ", spec.endpoint_id, " already has an association with ",
                                  spec.peers.front().ToString(),
                                  "; SCTP allows one per pair of endpoints"),
                     {{"errno", absl::StrCat(error)}});
    }
    return fail(status);
  }
  Association association;
  association.session = session;
  association.info.id = next_association_id_++;
  association.info.endpoint_id = endpoint.info.id;
  association.info.kernel_id = *kernel_id;
  association.info.state = AssociationState::kConnecting;
  association.info.peer_port = spec.peers.front().port();
  uint64_t association_id = association.info.id;
  endpoint.associations.insert(association_id);
  endpoint.by_kernel_id[*kernel_id] = association_id;
  associations_.emplace(association_id, std::move(association));

  Operation op;
  op.kind = OpKind::kAssociate;
  op.association_id = association_id;
  op.endpoint_id = endpoint.info.id;
  op.associate_done = std::move(done);
  OperationId id = AddOperation(std::move(op), deadline);
  associations_[association_id].associate_op = id;
  return id;
}

// ---------------------------------------------------------------- send

OperationId Gateway::Send(const std::string& session, uint64_t association_id,
                          std::vector<OutboundMessage> messages, Deadline deadline,
                          Done<size_t> done) {
  auto owner = UseSession(session);
  if (!owner.ok()) {
    done(owner.status());
    return 0;
  }
  auto owned = OwnedAssociation(session, association_id);
  if (!owned.ok()) {
    done(owned.status());
    return 0;
  }
  Association* association = *owned;
  if (association->info.state == AssociationState::kClosed) {
    done(Error(Reason::kAssociationClosed,
               absl::StrCat("association ", association_id, " has ended"),
               {{"association_id", absl::StrCat(association_id)}}));
    return 0;
  }
  if (association->info.state != AssociationState::kEstablished) {
    done(Error(Reason::kAssociationNotEstablished,
               absl::StrCat("association ", association_id, " is ",
                            AssociationStateName(association->info.state)),
               {{"association_id", absl::StrCat(association_id)},
                {"state", AssociationStateName(association->info.state)}}));
    return 0;
  }
  if (messages.empty()) {
    done(Error(Reason::kInvalidArgument, "send needs at least one message",
               {{"field", "messages"}}));
    return 0;
  }
  if (messages.size() > limits_.max_messages_per_send) {
    done(Error(Reason::kLimitExceeded,
               absl::StrCat(messages.size(), " messages in one send; the limit is ",
                            limits_.max_messages_per_send),
               {{"limit", "max_messages_per_send"},
                {"value", absl::StrCat(limits_.max_messages_per_send)}}));
    return 0;
  }
  size_t max_size = limits_.max_message_bytes;
  auto endpoint = endpoints_.find(association->info.endpoint_id);
  if (endpoint != endpoints_.end() && endpoint->second.max_send_bytes > 0) {
    max_size = std::min(max_size, endpoint->second.max_send_bytes);
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const OutboundMessage& m = messages[i];
    std::string field = absl::StrCat("messages[", i, "]");
    if (m.stream >= association->info.outbound_streams) {
      done(Error(Reason::kStreamOutOfRange,
                 absl::StrCat(field, ".stream ", m.stream, " is beyond the ",
                              association->info.outbound_streams,
                              " outbound streams negotiated for association ", association_id),
                 {{"field", field + ".stream"},
                  {"outbound_streams", absl::StrCat(association->info.outbound_streams)}}));
      return 0;
    }
    if (m.payload.empty()) {
      done(Error(Reason::kEmptyMessage,
                 absl::StrCat(field, ".payload is empty; SCTP cannot send an empty message"),
                 {{"field", field + ".payload"}}));
      return 0;
    }
    if (m.payload.size() > max_size) {
      done(Error(Reason::kMessageTooLarge,
                 absl::StrCat(field, ".payload has ", m.payload.size(),
                              " bytes; the maximum message size is ", max_size),
                 {{"field", field + ".payload"}, {"max_message_bytes", absl::StrCat(max_size)}}));
      return 0;
    }
  }
  Operation op;
  op.kind = OpKind::kSend;
  op.association_id = association_id;
  op.messages = std::move(messages);
  op.send_done = std::move(done);
  OperationId id = AddOperation(std::move(op), deadline);
  association->outbound.push_back(id);
  PumpOutbound(*association);
  return id;
}

void Gateway::PumpOutbound(Association& association) {
  uint64_t association_id = association.info.id;
  while (!association.outbound.empty()) {
    OperationId id = association.outbound.front();
    auto it = operations_.find(id);
    if (it == operations_.end()) {  // Completed (deadline, cancel) while queued.
      association.outbound.pop_front();
      continue;
    }
    Operation& op = it->second;
    if (op.kind == OpKind::kShutdown) {
      association.outbound.pop_front();
      absl::Status status = stack_.Shutdown(association.socket, association.info.kernel_id);
      if (!status.ok()) {
        FailOperation(id, FromKernel(status, "starting the SHUTDOWN handshake"));
        return;
      }
      association.info.state = AssociationState::kShuttingDown;
      association.shutdowns.push_back(id);
      continue;  // Completes on SHUTDOWN_COMP.
    }
    while (op.next < op.messages.size()) {
      const OutboundMessage& m = op.messages[op.next];
      net::SendInfo info;
      info.assoc_id = association.info.kernel_id;
      info.stream = static_cast<uint16_t>(m.stream);
      info.ppid = m.ppid;
      info.unordered = m.unordered;
      info.lifetime_ms = m.lifetime_ms;
      info.context = m.context;
      absl::Status status = stack_.Send(
          association.socket, info,
          absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(m.payload.data()),
                                    m.payload.size()));
      if (!status.ok()) {
        const int error = net::StatusErrno(status);
        if (error == EAGAIN) return;  // OnWritable resumes.
        ++counters_.send_errors;
        std::string what = absl::StrCat("sending message ", op.next);
        absl::Status failure;
        if (error == ECONNRESET || error == EPIPE || error == ENOTCONN) {
          // The peer aborted and its COMM_LOST is not read yet (the ABORT
          // freed the send buffer first): the association is lost.
          failure = Error(Reason::kAssociationLost, absl::StrCat(what, ": ", status.message()),
                          {{"errno", absl::StrCat(error)}});
        } else if (error == ESHUTDOWN) {
          // A SHUTDOWN (the peer's, not read yet) is under way.
          failure = Error(Reason::kAssociationNotEstablished,
                          absl::StrCat(what, ": ", status.message()),
                          {{"errno", absl::StrCat(error)}});
        } else {
          failure = FromKernel(status, what);
        }
        // Takes the operation out of the queue too.
        FailOperation(id, failure);
        if (FindAssociation(association_id) == nullptr) return;
        break;
      }
      ++counters_.messages_sent;
      counters_.bytes_sent += m.payload.size();
      ++op.next;
    }
    it = operations_.find(id);
    if (it != operations_.end()) {
      Operation done_op = std::move(it->second);
      operations_.erase(it);
      stack_.CancelTimer(done_op.timer);
      association.outbound.pop_front();
      done_op.send_done(done_op.next);
    }
  }
}

void Gateway::OnWritable(net::SocketId socket) {
  auto it = association_sockets_.find(socket);
  if (it == association_sockets_.end()) return;
  Association* association = FindAssociation(it->second);
  if (association != nullptr) PumpOutbound(*association);
}

// ---------------------------------------------------------------- receive

OperationId Gateway::Receive(const std::string& session, const ReceiveSpec& spec,
                             Deadline deadline, Done<std::vector<ReceivedMessage>> done) {
  auto owner = UseSession(session);
  if (!owner.ok()) {
    done(owner.status());
    return 0;
  }
  if ((spec.association_id == 0) == (spec.endpoint_id == 0)) {
    done(Error(Reason::kInvalidArgument,
               "receive needs exactly one of association_id and endpoint_id",
               {{"field", "target"}}));
    return 0;
  }
  if (spec.max_messages > limits_.max_messages_per_receive) {
    done(Error(Reason::kInvalidArgument,
               absl::StrCat("max_messages ", spec.max_messages, " is above the limit of ",
                            limits_.max_messages_per_receive),
               {{"field", "max_messages"},
                {"limit", absl::StrCat(limits_.max_messages_per_receive)}}));
    return 0;
  }
  if (spec.max_bytes > limits_.max_bytes_per_receive) {
    done(Error(Reason::kInvalidArgument,
               absl::StrCat("max_bytes ", spec.max_bytes, " is above the limit of ",
                            limits_.max_bytes_per_receive),
               {{"field", "max_bytes"}, {"limit", absl::StrCat(limits_.max_bytes_per_receive)}}));
    return 0;
  }
  Operation op;
  op.kind = OpKind::kReceive;
  op.receive = spec;
  if (op.receive.max_messages == 0) op.receive.max_messages = limits_.default_messages_per_receive;
  if (op.receive.max_bytes == 0) op.receive.max_bytes = limits_.default_bytes_per_receive;
  op.receive_done = std::move(done);
  if (spec.association_id != 0) {
    auto owned = OwnedAssociation(session, spec.association_id);
    if (!owned.ok()) {
      op.receive_done(owned.status());
      return 0;
    }
    Association* association = *owned;
    if (association->info.state == AssociationState::kClosed && association->queue.empty()) {
      op.receive_done(NotFound(session, spec.association_id));
      return 0;
    }
    op.association_id = spec.association_id;
    OperationId id = AddOperation(std::move(op), deadline);
    if (!TryReceive(id)) association->receivers.push_back(id);
    return id;
  }
  auto owned = OwnedEndpoint(session, spec.endpoint_id);
  if (!owned.ok()) {
    op.receive_done(owned.status());
    return 0;
  }
  auto endpoint = endpoints_.find(spec.endpoint_id);
  op.endpoint_id = spec.endpoint_id;
  OperationId id = AddOperation(std::move(op), deadline);
  if (!TryReceive(id)) endpoint->second.receivers.push_back(id);
  return id;
}

void Gateway::TakeMessages(Association& association, Operation& op,
                           std::vector<ReceivedMessage>* out, size_t* bytes) {
  while (!association.queue.empty() && out->size() < op.receive.max_messages) {
    size_t size = association.queue.front().payload.size();
    // Always at least one message, even one above the byte budget.
    if (!out->empty() && *bytes + size > op.receive.max_bytes) break;
    ReceivedMessage received;
    received.association_id = association.info.id;
    received.message = std::move(association.queue.front());
    association.queue.pop_front();
    association.queued_bytes -= size;
    *bytes += size;
    out->push_back(std::move(received));
  }
}

// Completes receive operation `id` if messages are there; true if it did.
bool Gateway::TryReceive(OperationId id) {
  auto it = operations_.find(id);
  if (it == operations_.end()) return false;
  Operation& op = it->second;
  std::vector<ReceivedMessage> out;
  size_t bytes = 0;
  std::vector<uint64_t> drained;
  if (op.association_id != 0) {
    Association* association = FindAssociation(op.association_id);
    if (association == nullptr) return false;
    TakeMessages(*association, op, &out, &bytes);
    if (!out.empty()) drained.push_back(association->info.id);
  } else {
    auto endpoint = endpoints_.find(op.endpoint_id);
    if (endpoint == endpoints_.end()) return false;
    Endpoint& e = endpoint->second;
    // Round robin: start after the association served last.
    std::vector<uint64_t> order(e.associations.upper_bound(e.next_receive_from),
                                e.associations.end());
    order.insert(order.end(), e.associations.begin(),
                 e.associations.upper_bound(e.next_receive_from));
    for (uint64_t association_id : order) {
      if (out.size() >= op.receive.max_messages || bytes >= op.receive.max_bytes) break;
      Association* association = FindAssociation(association_id);
      if (association == nullptr || association->queue.empty()) continue;
      TakeMessages(*association, op, &out, &bytes);
      drained.push_back(association_id);
      e.next_receive_from = association_id;
    }
  }
  if (out.empty()) return false;
  Operation done_op = std::move(it->second);
  operations_.erase(it);
  stack_.CancelTimer(done_op.timer);
  for (uint64_t association_id : drained) {
    Association* association = FindAssociation(association_id);
    if (association == nullptr) continue;
    UpdateFlowControl(*association);
    if (association->info.state == AssociationState::kClosed && association->queue.empty()) {
      Forget(association_id);
    }
  }
  done_op.receive_done(std::move(out));
  return true;
}

void Gateway::ServeReceivers(Association& association) {
  uint64_t association_id = association.info.id;
  uint64_t endpoint_id = association.info.endpoint_id;
  // Waiters on this association first, oldest first.
  while (!association.receivers.empty() && !association.queue.empty()) {
    OperationId id = association.receivers.front();
    association.receivers.erase(association.receivers.begin());
    TryReceive(id);
    if (FindAssociation(association_id) == nullptr) return;
  }
  auto endpoint = endpoints_.find(endpoint_id);
  if (endpoint == endpoints_.end()) return;
  auto& receivers = endpoint->second.receivers;
  while (!receivers.empty()) {
    Association* current = FindAssociation(association_id);
    if (current == nullptr || current->queue.empty()) return;
    OperationId id = receivers.front();
    receivers.erase(receivers.begin());
    TryReceive(id);
  }
}

void Gateway::UpdateFlowControl(Association& association) {
  if (association.socket == 0) return;
  bool full = association.queued_bytes >= limits_.association_queue_bytes;
  bool low = association.queued_bytes <= limits_.association_queue_bytes / 2;
  if (full && !association.reading_paused) {
    association.reading_paused = true;
    stack_.PauseReading(association.socket, true);
  } else if (low && association.reading_paused) {
    association.reading_paused = false;
    stack_.PauseReading(association.socket, false);
  }
}

void Gateway::OnMessage(net::SocketId socket, net::InboundMessage message) {
  Association* association = nullptr;
  if (auto it = association_sockets_.find(socket); it != association_sockets_.end()) {
    association = FindAssociation(it->second);
  } else if (auto e = endpoint_sockets_.find(socket); e != endpoint_sockets_.end()) {
    // Data that arrived on the endpoint's socket before the association was
    // peeled off.
    auto endpoint = endpoints_.find(e->second);
    if (endpoint != endpoints_.end()) {
      auto k = endpoint->second.by_kernel_id.find(message.assoc_id);
      if (k != endpoint->second.by_kernel_id.end()) association = FindAssociation(k->second);
    }
  }
  if (association == nullptr) return;  // An association sctpgw has already let go of.
  ++counters_.messages_received;
  counters_.bytes_received += message.payload.size();
  association->queued_bytes += message.payload.size();
  association->queue.push_back(std::move(message));
  UpdateFlowControl(*association);
  ServeReceivers(*association);
}

// ---------------------------------------------------------------- shutdown

OperationId Gateway::Shutdown(const std::string& session, uint64_t association_id, bool abort,
                              const std::string& reason, Deadline deadline, Done<bool> done) {
  // Sessions that have ended shut their associations down through here too.
  bool ending = sessions_.count(session) == 0;
  if (!ending) {
    auto owner = UseSession(session);
    if (!owner.ok()) {
      done(owner.status());
      return 0;
    }
  }
  Association* association = FindAssociation(association_id);
  if (association == nullptr || association->session != session) {
    done(!ending   ? NotFound(session, association_id)
         : closed_ ? Error(Reason::kShuttingDown, "sctpgw is shutting down")
                   : Error(Reason::kSessionNotFound, "no such session"));
    return 0;
  }
  if (association->info.state == AssociationState::kClosed) {
    done(NotFound(session, association_id));
    return 0;
  }
  if (abort) {
    auto endpoint = endpoints_.find(association->info.endpoint_id);
    net::SocketId socket = association->socket;
    if (socket == 0 && endpoint != endpoints_.end()) socket = endpoint->second.socket;
    absl::Status status = stack_.Abort(socket, association->info.kernel_id, reason);
    if (!status.ok()) {
      done(FromKernel(status, "sending ABORT"));
      return 0;
    }
    if (association->associate_op != 0) {
      FailOperation(association->associate_op,
                    Error(Reason::kAssociateFailed, "the association was aborted"));
    } else if (association->socket == 0) {
      Ended(association_id, Error(Reason::kAssociationLost,
                                  absl::StrCat("association ", association_id, " was aborted")));
    } else {
      // Over for the application at once; the kernel's COMM_LOST follows on
      // the association's socket, reaches the event stream and ends it.
      association->info.state = AssociationState::kClosed;
      association->abort_detail =
          reason.empty() ? "aborted by the application"
                         : absl::StrCat("aborted by the application: ", reason);
      FailWaiting(*association, Error(Reason::kAssociationClosed,
                                      absl::StrCat("association ", association_id,
                                                   " was aborted")));
    }
    done(true);
    return 0;
  }
  if (association->info.state != AssociationState::kEstablished &&
      association->info.state != AssociationState::kShuttingDown) {
    done(Error(Reason::kAssociationNotEstablished,
               absl::StrCat("association ", association_id, " is ",
                            AssociationStateName(association->info.state))));
    return 0;
  }
  Operation op;
  op.kind = OpKind::kShutdown;
  op.association_id = association_id;
  op.shutdown_done = std::move(done);
  OperationId id = AddOperation(std::move(op), deadline);
  association->outbound.push_back(id);
  PumpOutbound(*association);
  return id;
}

// ---------------------------------------------------------------- notifications

void Gateway::LogEvent(uint64_t endpoint_id, uint64_t association_id,
                       net::Notification notification, std::string detail) {
  Event event;
  event.detail = std::move(detail);
  if (auto endpoint = endpoints_.find(endpoint_id); endpoint != endpoints_.end()) {
    event.session = endpoint->second.session;
  }
  if (const Association* association = FindAssociation(association_id);
      association != nullptr && !association->info.peer_addresses.empty()) {
    event.peer = association->info.peer_addresses.front().ToString();
  }
  event.endpoint_id = endpoint_id;
  event.association_id = association_id;
  std::string state;
  if (notification.type == net::NotificationType::kAssociationChange) {
    state = net::AssociationChangeName(notification.state);
  } else if (notification.type == net::NotificationType::kPeerAddressChange) {
    state = net::PeerAddressStateName(notification.state);
  }
  ++counters_.events[{net::NotificationTypeName(notification.type), std::move(state)}];
  event.notification = std::move(notification);
  events_.Append(std::move(event));
}

void Gateway::OnNotification(net::SocketId socket, net::Notification notification) {
  if (auto it = draining_sockets_.find(socket); it != draining_sockets_.end()) {
    // The association has ended; its last notifications are still news.
    LogEvent(it->second.first, it->second.second, std::move(notification));
    return;
  }
  if (auto it = association_sockets_.find(socket); it != association_sockets_.end()) {
    Association* association = FindAssociation(it->second);
    if (association != nullptr) OnAssociationNotification(*association, std::move(notification));
    return;
  }
  if (auto it = endpoint_sockets_.find(socket); it != endpoint_sockets_.end()) {
    auto endpoint = endpoints_.find(it->second);
    if (endpoint != endpoints_.end()) {
      OnEndpointNotification(endpoint->second, std::move(notification));
    }
  }
}

void Gateway::OnEndpointNotification(Endpoint& endpoint, net::Notification notification) {
  auto known = endpoint.by_kernel_id.find(notification.assoc_id);
  if (notification.type == net::NotificationType::kAssociationChange &&
      notification.state == SCTP_COMM_UP) {
    uint64_t association_id;
    if (known != endpoint.by_kernel_id.end()) {
      association_id = known->second;
    } else {
      size_t held = 0;
      if (auto owner = sessions_.find(endpoint.session); owner != sessions_.end()) {
        for (uint64_t endpoint_id : owner->second.endpoints) {
          auto e = endpoints_.find(endpoint_id);
          if (e != endpoints_.end()) held += e->second.associations.size();
        }
      }
      if (associations_.size() >= limits_.max_associations ||
          held >= limits_.max_associations_per_session || closed_ || endpoint.closing) {
        // Over a limit: refuse the incoming association with a reason rather
        // than accept it and leave it unread.
        (void)stack_.Abort(endpoint.socket, notification.assoc_id,
                           "sctpgw: association limit reached");
        return;
      }
      Association association;
      association.session = endpoint.session;
      association.info.id = next_association_id_++;
      association.info.endpoint_id = endpoint.info.id;
      association.info.kernel_id = notification.assoc_id;
      association.info.incoming = true;
      association_id = association.info.id;
      endpoint.associations.insert(association_id);
      associations_.emplace(association_id, std::move(association));
    }
    endpoint.by_kernel_id.erase(notification.assoc_id);
    Established(endpoint, associations_[association_id], notification);
    return;
  }
  if (known == endpoint.by_kernel_id.end()) return;  // Not an association sctpgw holds.
  uint64_t association_id = known->second;
  Association* association = FindAssociation(association_id);
  if (association == nullptr) return;
  bool failed = notification.type == net::NotificationType::kAssociationChange &&
                (notification.state == SCTP_CANT_STR_ASSOC || notification.state == SCTP_COMM_LOST);
  uint32_t error = notification.error;
  const char* what = net::AssociationChangeName(notification.state);
  LogEvent(endpoint.info.id, association_id, std::move(notification));
  if (failed) {
    endpoint.by_kernel_id.erase(known);
    absl::Status status = Error(
        Reason::kAssociateFailed,
        absl::StrCat("the association could not be set up (", what,
                     error != 0 ? absl::StrCat(", error ", error) : std::string(), ")"),
        {{"sctp_event", what}, {"sctp_error", absl::StrCat(error)}});
    if (association->associate_op != 0) {
      OperationId op = association->associate_op;
      association->associate_op = 0;
      association->info.state = AssociationState::kClosed;  // FailOperation must not abort it.
      FailOperation(op, status);
    }
    Ended(association_id, status);
    Forget(association_id);
  }
}

void Gateway::Established(Endpoint& endpoint, Association& association,
                          const net::Notification& up) {
  uint64_t association_id = association.info.id;
  auto socket = stack_.PeelOff(endpoint.socket, up.assoc_id);
  if (!socket.ok()) {
    (void)stack_.Abort(endpoint.socket, up.assoc_id, "sctpgw could not take the association");
    // Usually the peer aborted right after COMM_UP (the association is gone
    // before it could be taken over).
    absl::Status status = Error(Reason::kAssociateFailed,
                                absl::StrCat("the association ended as it was set up: ",
                                             socket.status().message()));
    if (association.associate_op != 0) {
      OperationId op = association.associate_op;
      association.associate_op = 0;
      association.info.state = AssociationState::kClosed;
      FailOperation(op, status);
    }
    Forget(association_id);
    return;
  }
  association.socket = *socket;
  association_sockets_[*socket] = association_id;
  association.info.state = AssociationState::kEstablished;
  association.info.inbound_streams = up.inbound_streams;
  association.info.outbound_streams = up.outbound_streams;
  if (auto peers = stack_.PeerAddresses(*socket, up.assoc_id); peers.ok()) {
    association.info.peer_addresses = *peers;
    if (!peers->empty()) association.info.peer_port = peers->front().port();
  }
  if (auto local = stack_.LocalAddresses(*socket, up.assoc_id); local.ok()) {
    association.info.local_addresses = *local;
  }
  LogEvent(endpoint.info.id, association_id, up);
  if (association.associate_op != 0) {
    OperationId id = association.associate_op;
    association.associate_op = 0;
    auto it = operations_.find(id);
    if (it != operations_.end()) {
      Operation op = std::move(it->second);
      operations_.erase(it);
      stack_.CancelTimer(op.timer);
      op.associate_done(Snapshot(association));
    }
  }
}

void Gateway::OnAssociationNotification(Association& association,
                                        net::Notification notification) {
  uint64_t association_id = association.info.id;
  bool ended = false;
  absl::Status why;
  if (notification.type == net::NotificationType::kAssociationChange) {
    switch (notification.state) {
      case SCTP_COMM_LOST:
      case SCTP_CANT_STR_ASSOC:
        ended = true;
        why = Error(Reason::kAssociationLost,
                    absl::StrCat("association ", association_id, " was lost (",
                                 net::AssociationChangeName(notification.state), ")"),
                    {{"sctp_event", net::AssociationChangeName(notification.state)},
                     {"sctp_error", absl::StrCat(notification.error)}});
        break;
      case SCTP_SHUTDOWN_COMP:
        ended = true;
        break;
      case SCTP_RESTART:
        association.info.inbound_streams = notification.inbound_streams;
        association.info.outbound_streams = notification.outbound_streams;
        break;
      default:
        break;
    }
  } else if (notification.type == net::NotificationType::kShutdown) {
    association.info.state = AssociationState::kShuttingDown;
  } else if (notification.type == net::NotificationType::kStreamChange) {
    association.info.inbound_streams = notification.inbound_streams;
    association.info.outbound_streams = notification.outbound_streams;
  }
  std::string detail;
  if (ended) detail = association.abort_detail;
  LogEvent(association.info.endpoint_id, association_id, std::move(notification),
           std::move(detail));
  if (ended) Ended(association_id, why);
}

void Gateway::OnReceiveError(net::SocketId socket, sctp_assoc_t /*assoc_id*/,
                             absl::Status error) {
  auto it = association_sockets_.find(socket);
  if (it == association_sockets_.end()) return;
  uint64_t association_id = it->second;
  Association* association = FindAssociation(association_id);
  if (association == nullptr) return;
  if (error.code() == absl::StatusCode::kResourceExhausted) {
    // A message that cannot be delivered whole: abort the association rather
    // than deliver it cut, with the reason in the ABORT. The kernel's
    // COMM_LOST follows on the socket and ends it.
    (void)stack_.Abort(socket, association->info.kernel_id, std::string(error.message()));
    association->abort_detail = absl::StrCat("sctpgw aborted the association: ", error.message());
    association->info.state = AssociationState::kClosed;
    return;
  }
  // The socket ended or failed without the kernel's COMM_LOST: say so in
  // the event stream all the same, so that the application sees the end.
  net::Notification lost;
  lost.type = net::NotificationType::kAssociationChange;
  lost.assoc_id = association->info.kernel_id;
  lost.state = SCTP_COMM_LOST;
  std::string detail = association->abort_detail.empty()
                           ? absl::StrCat("sctpgw stopped reading the association: ",
                                          error.message())
                           : association->abort_detail;
  LogEvent(association->info.endpoint_id, association_id, std::move(lost), std::move(detail));
  Ended(association_id, Error(Reason::kAssociationLost, error.message()));
}

void Gateway::Ended(uint64_t association_id, const absl::Status& why) {
  Association* association = FindAssociation(association_id);
  if (association == nullptr) return;
  association->info.state = AssociationState::kClosed;
  // Graceful shutdowns under way: done if the association ended by
  // SHUTDOWN_COMP (`why` is OK), failed otherwise.
  std::vector<OperationId> shutdowns;
  shutdowns.swap(association->shutdowns);
  for (OperationId id : shutdowns) {
    auto it = operations_.find(id);
    if (it == operations_.end()) continue;
    if (!why.ok()) {
      FailOperation(id, why);
      continue;
    }
    Operation op = std::move(it->second);
    operations_.erase(it);
    stack_.CancelTimer(op.timer);
    op.shutdown_done(true);
  }
  association = FindAssociation(association_id);
  if (association == nullptr) return;
  FailWaiting(*association, why.ok() ? Error(Reason::kAssociationClosed,
                                             absl::StrCat("association ", association_id,
                                                          " was shut down"))
                                     : why);
  // Receivers: only those with nothing left to read.
  association = FindAssociation(association_id);
  if (association == nullptr) return;
  if (association->queue.empty()) {
    std::vector<OperationId> receivers;
    receivers.swap(association->receivers);
    for (OperationId id : receivers) {
      FailOperation(id, Error(Reason::kAssociationClosed,
                              absl::StrCat("association ", association_id, " has ended")));
    }
  }
  association = FindAssociation(association_id);
  if (association == nullptr) return;
  ReleaseSocket(*association);
  // Kept while messages wait to be read; forgotten after the last is read
  // (or at once when its session has ended: nobody will read them).
  auto endpoint = endpoints_.find(association->info.endpoint_id);
  bool orphan = endpoint == endpoints_.end() || endpoint->second.closing;
  if (association->queue.empty() || orphan) Forget(association_id);
}

void Gateway::FailWaiting(Association& association, const absl::Status& why) {
  std::deque<OperationId> outbound;
  outbound.swap(association.outbound);
  std::vector<OperationId> shutdowns;
  shutdowns.swap(association.shutdowns);
  for (OperationId id : outbound) FailOperation(id, why);
  for (OperationId id : shutdowns) FailOperation(id, why);
}

void Gateway::ReleaseSocket(Association& association) {
  if (association.socket == 0) return;
  // What the kernel queued as the association ended (SEND_FAILED for each
  // undelivered message) is still read and reported before the close.
  association_sockets_.erase(association.socket);
  draining_sockets_[association.socket] = {association.info.endpoint_id, association.info.id};
  stack_.CloseWhenDrained(association.socket);
  association.socket = 0;
}

void Gateway::OnClosed(net::SocketId socket) { draining_sockets_.erase(socket); }

void Gateway::Forget(uint64_t association_id) {
  Association* association = FindAssociation(association_id);
  if (association == nullptr) return;
  ReleaseSocket(*association);
  for (OperationId id : std::vector<OperationId>(association->receivers)) {
    FailOperation(id, Error(Reason::kAssociationClosed,
                            absl::StrCat("association ", association_id, " has ended")));
  }
  uint64_t endpoint_id = association->info.endpoint_id;
  auto endpoint = endpoints_.find(endpoint_id);
  if (endpoint != endpoints_.end()) {
    endpoint->second.associations.erase(association_id);
    endpoint->second.by_kernel_id.erase(association->info.kernel_id);
  }
  ended_[association_id] = association->session;
  associations_.erase(association_id);
  ended_order_.push_back(association_id);
  while (ended_order_.size() > kEndedRemembered) {
    ended_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
  MaybeCloseOrphan(endpoint_id);
}

void Gateway::Close() {
  closed_ = true;
  // Calls still waiting learn why first; then every association is shut
  // down (gracefully, by the kernel, as its socket closes).
  std::vector<OperationId> pending;
  for (const auto& [id, op] : operations_) pending.push_back(id);
  for (OperationId id : pending) {
    FailOperation(id, Error(Reason::kShuttingDown, "sctpgw is stopping"));
  }
  std::vector<uint64_t> endpoints;
  for (const auto& [id, endpoint] : endpoints_) endpoints.push_back(id);
  for (uint64_t id : endpoints) CloseEndpointNow(id, /*abort=*/false);
  sessions_.clear();
  events_.Close();
}

}  // namespace sctpgw::core
