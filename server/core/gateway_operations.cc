// The Gateway's operations that complete later: Associate, Send, Receive
// and Shutdown, their refusals (delivered like any completion, never inside
// the call), their failure and cancellation.
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/core/gateway.h"
#include "server/core/overloaded.h"
#include "server/net/errno_status.h"

namespace sctpgw::core {
namespace {

// Ends an operation that never started: `done` runs later, like any
// completion.
template <typename T>
OperationId Reject(net::TaskRunner& runner, Done<T> done, absl::Status status) {
  Deliver(runner, std::move(done), std::move(status));
  return 0;
}

}  // namespace

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

}  // namespace sctpgw::core
