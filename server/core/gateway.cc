// The Gateway's sessions, its association queries and what follows an
// association's end. Endpoints (gateway_endpoints.cc), the operations that
// complete later (gateway_operations.cc), notifications, handover and
// counters have files of their own.
#include "server/core/gateway.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"

namespace sctpgw::core {
namespace {

absl::Status SessionEnded(absl::string_view why) {
  return Error(Reason::kSessionNotFound, absl::StrCat("the session ended: ", why));
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
