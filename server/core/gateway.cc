#include "server/core/gateway.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/core/overloaded.h"
#include "server/net/errno_status.h"
#include "server/net/socket_settings.h"

namespace sctpgw::core {
namespace {

absl::Status SessionEnded(absl::string_view why) {
  return Error(Reason::kSessionNotFound, absl::StrCat("the session ended: ", why));
}

// Ends an operation that never started: `done` runs later, like any
// completion.
template <typename T>
OperationId Reject(net::TaskRunner& runner, Done<T> done, absl::Status status) {
  Deliver(runner, std::move(done), std::move(status));
  return 0;
}

}  // namespace

Gateway::Gateway(net::SctpStack& stack, Limits limits)
    : stack_(stack),
      limits_(limits),
      events_(limits.event_history),
      sessions_(stack, limits_,
                [this](const std::string& key) {
                  if (frozen_) {
                    expired_while_frozen_.push_back(key);  // Thaw() ends it.
                    return;
                  }
                  EndSession(key, ExpiryReason(key));
                }),
      pending_(stack, limits.deadline_margin,
               [this](OperationId id) {
                 const Operation* operation = pending_.Find(id);
                 FailOperation(id, Error(Reason::kDeadlineExceeded,
                                         absl::StrCat(OperationName(*operation),
                                                      ": the call's deadline expired")));
               }),
      send_pump_(stack, pending_, counters_, captures_),
      receivers_(registry_, pending_, stack, [this](uint64_t id) { Forget(id); }),
      paths_(stack, registry_),
      streams_(stack, registry_),
      auth_(stack, registry_) {
  stack_.SetObserver(this);
}

Gateway::~Gateway() { stack_.SetObserver(nullptr); }

void Gateway::CheckThread() const {
#ifdef SCTPGW_DEBUG_CHECKS
  if (!stack_.OnRunnerThread()) {
    std::fprintf(stderr, "sctpgw: core::Gateway called off the core's thread\n");
    std::abort();
  }
#endif
}

// ---------------------------------------------------------------- sessions

absl::StatusOr<SessionInfo> Gateway::OpenSession(std::chrono::milliseconds requested_lease,
                                                 const std::string& client_name,
                                                 const std::string& owner,
                                                 SessionLiveness liveness) {
  CheckThread();
  if (closed_ || frozen_) return Unavailable();
  auto session = sessions_.Open(requested_lease, client_name, owner, liveness);
  if (session.ok()) ++counters_.sessions_opened;
  return session;
}

absl::StatusOr<SessionInfo> Gateway::RenewLease(const std::string& session,
                                                uint64_t handled_sequence) {
  CheckThread();
  if (closed_ || frozen_) return Unavailable();
  return sessions_.RenewByApplication(session, handled_sequence);
}

absl::StatusOr<CaptureTap::CaptureId> Gateway::OpenCapture(const std::string& session,
                                                           const CaptureScope& scope,
                                                           size_t snap_bytes, size_t capacity,
                                                           std::function<void()> wake) {
  CheckThread();
  if (absl::Status owner = UseSession(session); !owner.ok()) return owner;
  if (scope.association_id != 0) {
    auto owned = registry_.OwnedAssociation(session, scope.association_id);
    if (!owned.ok()) return owned.status();
  } else if (scope.endpoint_id != 0) {
    auto owned = registry_.OwnedEndpoint(session, scope.endpoint_id);
    if (!owned.ok()) return owned.status();
  }
  if (captures_.open_count() >= limits_.max_captures) {
    return LimitExceeded("max_captures", limits_.max_captures,
                         absl::StrCat("at most ", limits_.max_captures,
                                      " captures may be open at once"));
  }
  CaptureScope scoped = scope;
  scoped.session = session;
  return captures_.Open(std::move(scoped), snap_bytes, capacity, std::move(wake));
}

std::string Gateway::ExpiryReason(const std::string& session) const {
  const SessionInfo* info = sessions_.Find(session);
  if (info == nullptr || info->liveness == SessionLiveness::kConnection) {
    return "its lease ran out";
  }
  return absl::StrCat("its application stopped renewing its lease (it had handled events up to ",
                      sessions_.HandledSequence(session), " of ", events_.last_sequence(), ")");
}

absl::Status Gateway::CloseSession(const std::string& session) {
  CheckThread();
  if (absl::Status found = UseSession(session); !found.ok()) return found;
  EndSession(session, "closed by its application");
  return absl::OkStatus();
}

absl::Status Gateway::WatchStarted(const std::string& session) {
  CheckThread();
  if (closed_ || frozen_) return Unavailable();
  return sessions_.Hold(session);
}

void Gateway::WatchEnded(const std::string& session) {
  CheckThread();
  sessions_.Release(session);
}

absl::Status Gateway::UseSession(const std::string& session) {
  // Close() ended every session; while sctpgw drains, callers are told it is
  // stopping (retryable elsewhere), not that their session is gone.
  if (closed_ || frozen_) return Unavailable();
  return sessions_.Use(session);
}

absl::Status Gateway::Unavailable() const {
  if (frozen_ || released_) {
    return Error(Reason::kHandedOver,
                 "sctpgw is handing over to a new process; retry: it answers on the same address");
  }
  return Error(Reason::kShuttingDown, "sctpgw is shutting down");
}

absl::StatusOr<Association*> Gateway::CallersAssociation(const std::string& session,
                                                         uint64_t association_id) {
  if (absl::Status owner = UseSession(session); !owner.ok()) return owner;
  return registry_.OwnedAssociation(session, association_id);
}

absl::StatusOr<Association*> Gateway::LiveAssociation(const std::string& session,
                                                      uint64_t association_id, bool established) {
  auto owned = CallersAssociation(session, association_id);
  if (!owned.ok()) return owned.status();
  Association* association = *owned;
  AssociationState state = association->state();
  if (association->socket() == 0 || state == AssociationState::kClosed ||
      (established && state != AssociationState::kEstablished)) {
    return Error(Reason::kAssociationNotEstablished,
                 absl::StrCat("association ", association_id, " is ", AssociationStateName(state)),
                 {{"association_id", absl::StrCat(association_id)}});
  }
  return association;
}

void Gateway::EndSession(const std::string& session, absl::string_view why) {
  if (!sessions_.Remove(session)) return;
  events_.EndSession(session);
  captures_.EndSession(session);
  for (uint64_t endpoint_id : registry_.EndpointsOf(session)) EndEndpoint(endpoint_id, why);
}

void Gateway::EndEndpoint(uint64_t endpoint_id, absl::string_view why) {
  Endpoint* endpoint = registry_.FindEndpoint(endpoint_id);
  if (endpoint == nullptr) return;
  endpoint->closing = true;
  for (OperationId op : std::vector<OperationId>(endpoint->receivers)) {
    FailOperation(op, SessionEnded(why));
  }
  for (uint64_t association_id : std::set<uint64_t>(endpoint->associations)) {
    Association* association = registry_.FindAssociation(association_id);
    if (association == nullptr) continue;
    // Nothing waits for the application any more.
    for (OperationId op : std::vector<OperationId>(association->receivers())) {
      FailOperation(op, SessionEnded(why));
    }
    association->abort_detail = absl::StrCat("its session ended: ", why);
    switch (association->state()) {
      case AssociationState::kEstablished:
        // Graceful first; ABORT if the peer does not complete in time.
        StartShutdown(*association,
                      std::chrono::steady_clock::now() + limits_.session_shutdown_timeout,
                      [this, association_id](absl::StatusOr<bool> done) {
                        Association* a = registry_.FindAssociation(association_id);
                        // A handover ended the wait: the shutdown starts
                        // again when reading resumes (Thaw).
                        if (done.ok() || a == nullptr ||
                            HasReason(done.status(), Reason::kHandedOver)) {
                          return;
                        }
                        if (a->socket() == 0) {
                          Ended(association_id, Error(Reason::kAssociationLost, "session ended"));
                          return;
                        }
                        (void)stack_.Abort(a->socket(), a->kernel_id(), "sctpgw session ended");
                        a->abort_detail =
                            "sctpgw aborted the association: its session ended and the peer "
                            "did not complete the shutdown in time";
                      });
        break;
      case AssociationState::kConnecting:
        if (association->associate_op != 0) {
          FailOperation(association->associate_op, SessionEnded(why));
        } else {
          // Left half-open by a handover: nobody waits for it.
          (void)AbortAssociation(*association, "its session ended");
          Forget(association_id);
        }
        break;
      case AssociationState::kShuttingDown:
      case AssociationState::kClosed:
        // The kernel completes a shutdown under way once the socket is
        // released; unread messages nobody will read.
        Forget(association_id);
        break;
    }
  }
  MaybeCloseOrphan(endpoint_id);
}

void Gateway::MaybeCloseOrphan(uint64_t endpoint_id) {
  Endpoint* endpoint = registry_.FindEndpoint(endpoint_id);
  if (endpoint == nullptr || !endpoint->closing || !endpoint->associations.empty()) return;
  CloseEndpointNow(endpoint_id, /*abort=*/false);
}

// ---------------------------------------------------------------- endpoints

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

// ---------------------------------------------------------------- associations

absl::StatusOr<std::vector<AssociationInfo>> Gateway::ListAssociations(const std::string& session,
                                                                       uint64_t endpoint_id) {
  CheckThread();
  if (absl::Status owner = UseSession(session); !owner.ok()) return owner;
  if (endpoint_id != 0) {
    auto endpoint = registry_.OwnedEndpoint(session, endpoint_id);
    if (!endpoint.ok()) return endpoint.status();
  }
  std::vector<AssociationInfo> result;
  for (const Association* association : registry_.AssociationsOf(session, endpoint_id)) {
    result.push_back(association->Snapshot());
  }
  return result;
}

absl::StatusOr<AssociationInfo> Gateway::GetAssociation(const std::string& session,
                                                        uint64_t association_id) {
  CheckThread();
  auto association = CallersAssociation(session, association_id);
  if (!association.ok()) return association.status();
  return (*association)->Snapshot();
}

absl::StatusOr<AssociationDescription> Gateway::DescribeAssociation(
    const std::string& session, uint64_t association_id,
    const std::vector<uint16_t>& counter_streams) {
  auto info = GetAssociation(session, association_id);
  if (!info.ok()) return info.status();
  if (info->state == AssociationState::kEstablished ||
      info->state == AssociationState::kShuttingDown) {
    auto live = LiveAssociation(session, association_id, /*established=*/false);
    if (live.ok()) {
      // What the kernel cannot tell now (the association is ending) is left
      // out; what sctpgw holds is still the answer.
      auto described = paths_.Describe(**live);
      if (described.ok()) {
        // Left out where the kernel cannot say.
        if (auto streams = streams_.Settings(**live); streams.ok()) described->streams = *streams;
        if (auto auth = auth_.Status(**live); auth.ok()) described->auth = *auth;
        AddCounters(**live, counter_streams, &*described);
        return described;
      }
    }
  }
  AssociationDescription description;
  description.association = *std::move(info);
  return description;
}

absl::Status Gateway::SetPrimaryPath(const std::string& session, uint64_t association_id,
                                     const net::SocketAddress& peer) {
  CheckThread();
  auto live = LiveAssociation(session, association_id, /*established=*/true);
  if (!live.ok()) return live.status();
  return paths_.SetPrimary(**live, peer);
}

absl::Status Gateway::RequestPeerPrimaryPath(const std::string& session,
                                             uint64_t association_id,
                                             const net::SocketAddress& local) {
  CheckThread();
  auto live = LiveAssociation(session, association_id, /*established=*/true);
  if (!live.ok()) return live.status();
  return paths_.RequestPeerPrimary(**live, local);
}

absl::Status Gateway::RequestHeartbeat(const std::string& session, uint64_t association_id,
                                       const std::optional<net::SocketAddress>& peer) {
  CheckThread();
  auto live = LiveAssociation(session, association_id, /*established=*/true);
  if (!live.ok()) return live.status();
  return paths_.RequestHeartbeat(**live, peer);
}

absl::Status Gateway::ReconfigureStreams(const std::string& session, uint64_t association_id,
                                         const net::StreamReconfigRequest& request) {
  CheckThread();
  auto live = LiveAssociation(session, association_id, /*established=*/true);
  if (!live.ok()) return live.status();
  return streams_.Reconfigure(**live, request);
}

absl::StatusOr<net::StreamSettings> Gateway::ConfigureStreams(
    const std::string& session, uint64_t association_id, net::StreamScheduler scheduler,
    const std::vector<net::StreamValue>& values) {
  CheckThread();
  auto live = LiveAssociation(session, association_id, /*established=*/true);
  if (!live.ok()) return live.status();
  return streams_.Configure(**live, scheduler, values);
}

absl::Status Gateway::ChangeAuthKey(const std::string& session, const AuthKeyTarget& target,
                                    const net::AuthKeyChange& change) {
  CheckThread();
  if (target.association_id != 0) {
    auto live = LiveAssociation(session, target.association_id, /*established=*/true);
    if (!live.ok()) return live.status();
    return auth_.ChangeKey(**live, change);
  }
  if (absl::Status owner = UseSession(session); !owner.ok()) return owner;
  auto endpoint = registry_.OwnedEndpoint(session, target.endpoint_id);
  if (!endpoint.ok()) return endpoint.status();
  return auth_.ChangeKey(**endpoint, change);
}

absl::StatusOr<PathConfiguration> Gateway::ConfigurePaths(const std::string& session,
                                                          uint64_t association_id,
                                                          const net::PathParameters& parameters,
                                                          std::optional<net::SocketAddress> peer) {
  CheckThread();
  auto live = LiveAssociation(session, association_id, /*established=*/false);
  if (!live.ok()) return live.status();
  return paths_.Configure(**live, parameters, std::move(peer));
}

GatewayStats Gateway::Stats() const {
  CheckThread();
  GatewayStats stats = counters_;
  stats.sessions = sessions_.size();
  stats.endpoints = registry_.endpoint_count();
  for (const auto& [id, association] : registry_.associations()) {
    ++stats.associations[association.state()];
    stats.queued_messages += association.queued_messages();
    stats.queued_bytes += association.queued_bytes();
  }
  stats.waiting_operations = pending_.size();
  return stats;
}

// ---------------------------------------------------------------- operations

void Gateway::FailOperation(OperationId id, const absl::Status& status, bool undo) {
  std::optional<Operation> taken = pending_.Take(id);
  if (!taken.has_value()) return;
  absl::Status result = status;
  std::visit(
      Overloaded{
          [&](AssociateOperation& op) {
            // Abort the half-open association and forget it.
            Association* association = registry_.FindAssociation(op.association_id);
            if (association == nullptr || association->state() != AssociationState::kConnecting) {
              return;
            }
            association->associate_op = 0;
            if (!undo) return;
            (void)AbortAssociation(*association, "associate cancelled");
            Forget(op.association_id);
          },
          [&](SendOperation& op) {
            if (Association* association = registry_.FindAssociation(op.association_id)) {
              Unlist(association->outbound(), id);
            }
            result = WithAcceptedCount(status, op);
          },
          [&](ReceiveOperation& op) {
            // Not waiting any more: out of the list it waited in.
            if (Association* association = registry_.FindAssociation(op.spec.association_id)) {
              Unlist(association->receivers(), id);
            } else if (Endpoint* endpoint = registry_.FindEndpoint(op.spec.endpoint_id)) {
              Unlist(endpoint->receivers, id);
            }
          },
          [&](ShutdownOperation& op) {
            if (Association* association = registry_.FindAssociation(op.association_id)) {
              Unlist(association->outbound(), id);
              Unlist(association->shutdowns(), id);
            }
          },
      },
      *taken);
  pending_.Fail(std::move(*taken), result);
}

void Gateway::Cancel(OperationId id) {
  CheckThread();
  FailOperation(id, Error(Reason::kCancelled, "the call was cancelled"));
}

absl::Status Gateway::AbortAssociation(const Association& association, absl::string_view reason) {
  net::SocketId socket = association.socket();
  if (socket == 0) {
    const Endpoint* endpoint = registry_.FindEndpoint(association.endpoint_id());
    if (endpoint == nullptr) return absl::OkStatus();
    socket = endpoint->socket;
  }
  return stack_.Abort(socket, association.kernel_id(), reason);
}

absl::Status Gateway::AssociationLimit(const std::string& session) const {
  if (registry_.AssociationCountOf(session) >= limits_.max_associations_per_session) {
    return LimitExceeded("max_associations_per_session", limits_.max_associations_per_session,
                         absl::StrCat("a session may hold at most ",
                                      limits_.max_associations_per_session, " associations"));
  }
  if (registry_.association_count() >= limits_.max_associations) {
    return LimitExceeded("max_associations", limits_.max_associations,
                         absl::StrCat("at most ", limits_.max_associations, " associations"));
  }
  return absl::OkStatus();
}

OperationId Gateway::Associate(const std::string& session, const AssociateSpec& spec,
                               Deadline deadline, Done<AssociationInfo> done) {
  CheckThread();
  if (absl::Status owner = UseSession(session); !owner.ok()) {
    return Reject(stack_, std::move(done), owner);
  }
  auto owned = registry_.OwnedEndpoint(session, spec.endpoint_id);
  if (!owned.ok()) return Reject(stack_, std::move(done), owned.status());
  Endpoint& endpoint = **owned;
  if (registry_.AssociationCountOf(session) >= limits_.max_associations_per_session) {
    return Reject(stack_, std::move(done), AssociationLimit(session));
  }
  if (spec.peers.empty()) {
    return Reject(stack_, std::move(done),
                  Error(Reason::kInvalidAddress, "associate needs at least one peer address",
                        {{"field", "peer_addresses"}}));
  }
  // The same Associate again after a handover ended the first with
  // HANDED_OVER: it gets the association the first one started, waiting
  // for it if it is still coming up.
  for (uint64_t id : endpoint.associations) {
    Association* started = registry_.FindAssociation(id);
    if (started == nullptr || !started->associate_interrupted || started->associate_op != 0 ||
        started->info().peer_port != spec.peers.front().port() ||
        !registry_.HasAssociationWith(endpoint, spec.peers)) {
      continue;
    }
    started->associate_interrupted = false;
    if (started->state() == AssociationState::kConnecting) {
      started->associate_op =
          pending_.Add(AssociateOperation{started->id(), std::move(done)}, deadline);
      return started->associate_op;
    }
    if (started->state() == AssociationState::kEstablished) {
      Deliver(stack_, std::move(done), started->Snapshot());
      return 0;
    }
  }
  if (absl::Status limit = AssociationLimit(session); !limit.ok()) {
    return Reject(stack_, std::move(done), limit);
  }
  auto kernel_id = stack_.Connect(endpoint.socket, spec.peers, spec.init);
  if (!kernel_id.ok()) {
    absl::Status status = FromKernel(kernel_id.status(), "sctp_connectx");
    int error = net::StatusErrno(kernel_id.status());
    if (error == ECONNREFUSED || error == ENETUNREACH || error == EHOSTUNREACH) {
      status = Error(Reason::kAssociateFailed, status.message(), {{"errno", absl::StrCat(error)}});
    }
    // SCTP allows one association between two endpoints; the kernel says
    // EISCONN/EALREADY, or EADDRNOTAVAIL once the first was peeled off.
    if (error == EISCONN || error == EALREADY ||
        (error == EADDRNOTAVAIL && registry_.HasAssociationWith(endpoint, spec.peers))) {
      status = Error(Reason::kAssociationExists,
                     absl::StrCat("endpoint ", spec.endpoint_id, " already has an association with ",
                                  spec.peers.front().ToString(),
                                  "; SCTP allows one per pair of endpoints"),
                     {{"errno", absl::StrCat(error)}});
    }
    return Reject(stack_, std::move(done), status);
  }
  Association& association = registry_.AddAssociation(endpoint, *kernel_id, /*incoming=*/false,
                                                       limits_.association_queue_bytes);
  association.info().peer_port = spec.peers.front().port();
  association.info().peer_addresses = spec.peers;  // As asked for, until COMM_UP says.
  association.associate_op =
      pending_.Add(AssociateOperation{association.id(), std::move(done)}, deadline);
  return association.associate_op;
}

OperationId Gateway::Send(const std::string& session, uint64_t association_id,
                          std::vector<OutboundMessage> messages, Deadline deadline,
                          Done<size_t> done) {
  CheckThread();
  auto owned = CallersAssociation(session, association_id);
  if (!owned.ok()) return Reject(stack_, std::move(done), owned.status());
  Association& association = **owned;
  if (association.closed()) {
    return Reject(stack_, std::move(done),
                  Error(Reason::kAssociationClosed,
                        absl::StrCat("association ", association_id, " has ended"),
                        {{"association_id", absl::StrCat(association_id)}}));
  }
  if (association.state() != AssociationState::kEstablished) {
    const char* state = AssociationStateName(association.state());
    return Reject(stack_, std::move(done),
                  Error(Reason::kAssociationNotEstablished,
                        absl::StrCat("association ", association_id, " is ", state),
                        {{"association_id", absl::StrCat(association_id)}, {"state", state}}));
  }
  size_t max_size = limits_.max_message_bytes;
  const Endpoint* endpoint = registry_.FindEndpoint(association.endpoint_id());
  if (endpoint != nullptr && endpoint->max_send_bytes > 0) {
    max_size = std::min(max_size, endpoint->max_send_bytes);
  }
  if (absl::Status valid = ValidateMessages(association, messages, max_size, limits_);
      !valid.ok()) {
    return Reject(stack_, std::move(done), valid);
  }
  OperationId id =
      pending_.Add(SendOperation{association_id, std::move(messages), 0, std::move(done)}, deadline);
  association.outbound().push_back(id);
  send_pump_.Pump(association);
  return id;
}

OperationId Gateway::Receive(const std::string& session, const ReceiveSpec& spec,
                             Deadline deadline, Done<std::vector<ReceivedMessage>> done) {
  CheckThread();
  if (absl::Status owner = UseSession(session); !owner.ok()) {
    return Reject(stack_, std::move(done), owner);
  }
  auto valid = ReceiveDispatcher::Validate(spec, limits_);
  if (!valid.ok()) return Reject(stack_, std::move(done), valid.status());
  std::vector<OperationId>* waiting;
  if (spec.association_id != 0) {
    auto owned = registry_.OwnedAssociation(session, spec.association_id);
    if (!owned.ok()) return Reject(stack_, std::move(done), owned.status());
    Association& association = **owned;
    if (association.closed() && !association.has_messages()) {
      // Its last messages are being written to another receive.
      return Reject(stack_, std::move(done),
                    Error(Reason::kAssociationClosed,
                          absl::StrCat("association ", spec.association_id, " has ended"),
                          {{"association_id", absl::StrCat(spec.association_id)}}));
    }
    waiting = &association.receivers();
  } else {
    auto owned = registry_.OwnedEndpoint(session, spec.endpoint_id);
    if (!owned.ok()) return Reject(stack_, std::move(done), owned.status());
    waiting = &(*owned)->receivers;
  }
  OperationId id = pending_.Add(ReceiveOperation{*valid, std::move(done)}, deadline);
  if (!receivers_.TryReceive(id)) waiting->push_back(id);
  return id;
}

OperationId Gateway::Shutdown(const std::string& session, uint64_t association_id, bool abort,
                              const std::string& reason, Deadline deadline, Done<bool> done) {
  CheckThread();
  auto owned = CallersAssociation(session, association_id);
  if (!owned.ok() || (*owned)->closed()) {
    // A graceful Shutdown made again after a handover ended the first: the
    // association has since ended by SHUTDOWN_COMP, which is what it asked.
    if (!abort && (owned.ok() || !HasReason(owned.status(), Reason::kSessionNotFound)) &&
        shut_down_for_retry_.Take(association_id, session)) {
      Deliver(stack_, std::move(done), true);
      return 0;
    }
    return Reject(stack_, std::move(done),
                  owned.ok() ? registry_.NotFound(session, association_id) : owned.status());
  }
  Association& association = **owned;
  if (abort) {
    absl::Status status = AbortAssociation(association, reason);
    if (!status.ok()) return Reject(stack_, std::move(done), FromKernel(status, "sending ABORT"));
    if (association.associate_op != 0) {
      FailOperation(association.associate_op,
                    Error(Reason::kAssociateFailed, "the association was aborted"));
    } else if (association.socket() == 0) {
      Ended(association_id, Error(Reason::kAssociationLost,
                                  absl::StrCat("association ", association_id, " was aborted")));
    } else {
      // Over for the application at once; the kernel's COMM_LOST follows on
      // the association's socket, reaches the event stream and ends it.
      association.set_state(AssociationState::kClosed);
      association.abort_detail = reason.empty()
                                     ? "aborted by the application"
                                     : absl::StrCat("aborted by the application: ", reason);
      FailWaiting(association, Error(Reason::kAssociationClosed,
                                     absl::StrCat("association ", association_id, " was aborted")));
    }
    Deliver(stack_, std::move(done), true);
    return 0;
  }
  if (association.state() != AssociationState::kEstablished &&
      association.state() != AssociationState::kShuttingDown) {
    return Reject(stack_, std::move(done),
                  Error(Reason::kAssociationNotEstablished,
                        absl::StrCat("association ", association_id, " is ",
                                     AssociationStateName(association.state()))));
  }
  return StartShutdown(association, deadline, std::move(done));
}

OperationId Gateway::StartShutdown(Association& association, Deadline deadline, Done<bool> done) {
  OperationId id = pending_.Add(ShutdownOperation{association.id(), std::move(done)}, deadline);
  association.outbound().push_back(id);
  send_pump_.Pump(association);
  return id;
}

// ---------------------------------------------------------------- lifecycle

void Gateway::Ended(uint64_t association_id, const absl::Status& why) {
  Association* association = registry_.FindAssociation(association_id);
  if (association == nullptr) return;
  association->set_state(AssociationState::kClosed);
  if (why.ok() && association->shutdown_interrupted) {
    // Its Shutdown call, ended by a handover, is made again: it succeeds.
    shut_down_for_retry_.Add(association_id, association->session());
  }
  // Graceful shutdowns under way: done if the association ended by
  // SHUTDOWN_COMP (`why` is OK), failed otherwise.
  std::vector<OperationId> shutdowns;
  shutdowns.swap(association->shutdowns());
  for (OperationId id : shutdowns) {
    if (!why.ok()) {
      FailOperation(id, why);
    } else {
      pending_.Complete<ShutdownOperation>(id, true);
    }
  }
  FailWaiting(*association, why.ok() ? Error(Reason::kAssociationClosed,
                                             absl::StrCat("association ", association_id,
                                                          " was shut down"))
                                     : why);
  // Receivers: only those with nothing left to read.
  if (!association->has_messages()) {
    std::vector<OperationId> receivers;
    receivers.swap(association->receivers());
    for (OperationId id : receivers) {
      FailOperation(id, Error(Reason::kAssociationClosed,
                              absl::StrCat("association ", association_id, " has ended")));
    }
  }
  ReleaseSocket(*association);
  // Kept while messages wait to be read; forgotten after the last is read
  // (or at once when its session has ended: nobody will read them).
  const Endpoint* endpoint = registry_.FindEndpoint(association->endpoint_id());
  bool orphan = endpoint == nullptr || endpoint->closing;
  // Messages being written to a receive keep it too: they may come back.
  if (association->read_out() || orphan) Forget(association_id);
}

void Gateway::FailWaiting(Association& association, const absl::Status& why) {
  std::deque<OperationId> outbound;
  outbound.swap(association.outbound());
  std::vector<OperationId> shutdowns;
  shutdowns.swap(association.shutdowns());
  for (OperationId id : outbound) FailOperation(id, why);
  for (OperationId id : shutdowns) FailOperation(id, why);
}

void Gateway::ReleaseSocket(Association& association) {
  // What the kernel queued as the association ended (SEND_FAILED for each
  // undelivered message) is still read and reported before the close.
  net::SocketId socket = registry_.Detach(association);
  if (socket != 0) stack_.CloseWhenDrained(socket);
}

void Gateway::Forget(uint64_t association_id) {
  Association* association = registry_.FindAssociation(association_id);
  if (association == nullptr) return;
  ReleaseSocket(*association);
  std::vector<OperationId> receivers;
  receivers.swap(association->receivers());
  for (OperationId id : receivers) {
    FailOperation(id, Error(Reason::kAssociationClosed,
                            absl::StrCat("association ", association_id, " has ended")));
  }
  if (association->queue_mirrored()) {
    association->MirrorQueueLength(nullptr);
    tally_->Untrack(association_id);
  }
  uint64_t endpoint_id = association->endpoint_id();
  registry_.RemoveAssociation(association_id);
  MaybeCloseOrphan(endpoint_id);
}

void Gateway::Close() {
  CheckThread();
  if (released_) return;  // Everything has another owner.
  closed_ = true;
  // Calls still waiting learn why first; then every association is shut
  // down (gracefully, by the kernel, as its socket closes).
  for (OperationId id : pending_.ids()) {
    FailOperation(id, Error(Reason::kShuttingDown, "sctpgw is stopping"));
  }
  for (uint64_t id : registry_.EndpointIds()) CloseEndpointNow(id, /*abort=*/false);
  sessions_.Clear();
  events_.Close(Error(Reason::kShuttingDown, "sctpgw is stopping"));
}

}  // namespace sctpgw::core
