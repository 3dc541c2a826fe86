// What the network reports, through net::SctpStack::Observer: messages,
// notifications, sockets that failed, became writable or were read out. An
// association's lifecycle moves here: COMM_UP peels it off onto its own
// socket and completes its Associate; COMM_LOST, SHUTDOWN_COMP and
// CANT_STR_ASSOC end it; every notification is appended to the event log.
#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/core/gateway.h"

namespace sctpgw::core {

void Gateway::LogEvent(uint64_t endpoint_id, uint64_t association_id,
                       net::Notification notification, std::string detail) {
  Event event;
  event.detail = std::move(detail);
  if (const Endpoint* endpoint = registry_.FindEndpoint(endpoint_id)) {
    event.session = endpoint->session;
  }
  if (const Association* association = registry_.FindAssociation(association_id);
      association != nullptr && !association->info().peer_addresses.empty()) {
    event.peer = association->info().peer_addresses.front().ToString();
  }
  event.endpoint_id = endpoint_id;
  event.association_id = association_id;
  std::string state;
  if (notification.type == net::NotificationType::kAssociationChange) {
    state = net::AssociationChangeName(notification.association_change);
  } else if (notification.type == net::NotificationType::kPeerAddressChange) {
    state = net::PeerAddressStateName(notification.address_state);
  }
  ++counters_.events[{net::NotificationTypeName(notification.type), std::move(state)}];
  event.notification = std::move(notification);
  events_.Append(std::move(event));
}

void Gateway::OnMessage(net::SocketId socket, net::InboundMessage message) {
  CheckThread();
  Association* association = registry_.AssociationOnSocket(socket);
  if (association == nullptr) {
    // Data that arrived on the endpoint's socket before the association was
    // peeled off.
    if (Endpoint* endpoint = registry_.EndpointOnSocket(socket)) {
      association = registry_.Unattached(*endpoint, message.assoc_id);
    }
  }
  if (association == nullptr) return;  // An association sctpgw has already let go of.
  // A long message delivered in parts counts once, with its last part.
  if (!message.more_follows) ++counters_.messages_received;
  counters_.bytes_received += message.payload.size();
  if (tally_ != nullptr && !association->queue_mirrored()) {
    association->MirrorQueueLength(tally_->Track(association->id()));
  }
  if (captures_.open_count() != 0) {
    PassingMessage passing;
    passing.peer = &message.source;
    passing.stream = message.stream;
    passing.ssn = message.ssn;
    passing.tsn = message.tsn;
    passing.ppid = message.ppid;
    passing.unordered = message.unordered;
    passing.payload = message.payload;
    passing.offset = message.offset;
    passing.more_follows = message.more_follows;
    captures_.Offer(*association, passing);
  }
  association->Queue(std::move(message));
  receivers_.UpdateReading(*association);
  receivers_.Serve(*association);
}

void Gateway::OnWritable(net::SocketId socket) {
  CheckThread();
  if (frozen_ || released_) return;  // Nothing is queued to send (Freeze).
  if (Association* association = registry_.AssociationOnSocket(socket)) {
    send_pump_.Pump(*association);
  }
}

void Gateway::OnClosed(net::SocketId socket) {
  CheckThread();
  registry_.Drained(socket);
}

void Gateway::OnNotification(net::SocketId socket, net::Notification notification) {
  CheckThread();
  if (auto draining = registry_.Draining(socket)) {
    // The association has ended; its last notifications are still news.
    LogEvent(draining->first, draining->second, std::move(notification));
    return;
  }
  if (Association* association = registry_.AssociationOnSocket(socket)) {
    OnAssociationNotification(*association, std::move(notification));
    return;
  }
  if (Endpoint* endpoint = registry_.EndpointOnSocket(socket)) {
    OnEndpointNotification(*endpoint, std::move(notification));
  }
}

void Gateway::OnEndpointNotification(Endpoint& endpoint, net::Notification notification) {
  Association* association = registry_.Unattached(endpoint, notification.assoc_id);
  bool association_change = notification.type == net::NotificationType::kAssociationChange;
  if (association_change && notification.association_change == net::AssociationChange::kCommUp) {
    if (association == nullptr) {
      if (closed_ || endpoint.closing || !AssociationLimit(endpoint.session).ok()) {
        // Over a limit: refuse the incoming association with a reason rather
        // than accept it and leave it unread.
        (void)stack_.Abort(endpoint.socket, notification.assoc_id,
                           "sctpgw: association limit reached");
        return;
      }
      association = &registry_.AddAssociation(endpoint, notification.assoc_id, /*incoming=*/true,
                                              limits_.association_queue_bytes);
    }
    Established(endpoint, *association, notification);
    return;
  }
  if (association == nullptr) return;  // Not an association sctpgw holds.
  uint64_t association_id = association->id();
  bool failed = association_change &&
                (notification.association_change == net::AssociationChange::kCantStartAssociation ||
                 notification.association_change == net::AssociationChange::kCommLost);
  uint32_t error = notification.error;
  const char* what = net::AssociationChangeName(notification.association_change);
  LogEvent(endpoint.info.id, association_id, std::move(notification));
  if (!failed) return;
  absl::Status status = Error(
      Reason::kAssociateFailed,
      absl::StrCat("the association could not be set up (", what,
                   error != 0 ? absl::StrCat(", error ", error) : std::string(), ")"),
      {{"sctp_event", what}, {"sctp_error", absl::StrCat(error)}});
  if (association->associate_op != 0) {
    OperationId op = association->associate_op;
    association->associate_op = 0;
    association->set_state(AssociationState::kClosed);  // FailOperation must not abort it.
    FailOperation(op, status);
  }
  Ended(association_id, status);
  Forget(association_id);
}

void Gateway::Established(Endpoint& endpoint, Association& association,
                          const net::Notification& up) {
  uint64_t association_id = association.id();
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
      association.set_state(AssociationState::kClosed);
      FailOperation(op, status);
    }
    Forget(association_id);
    return;
  }
  registry_.Attach(association, *socket);
  AssociationInfo& info = association.info();
  info.state = AssociationState::kEstablished;
  info.inbound_streams = up.inbound_streams;
  info.outbound_streams = up.outbound_streams;
  if (auto peers = stack_.PeerAddresses(*socket, up.assoc_id); peers.ok()) {
    info.peer_addresses = *peers;
    if (!peers->empty()) info.peer_port = peers->front().port();
  }
  if (auto local = stack_.LocalAddresses(*socket, up.assoc_id); local.ok()) {
    info.local_addresses = *local;
  }
  LogEvent(endpoint.info.id, association_id, up);
  if (association.associate_op != 0) {
    OperationId id = association.associate_op;
    association.associate_op = 0;
    pending_.Complete<AssociateOperation>(id, association.Snapshot());
  }
}

void Gateway::OnAssociationNotification(Association& association,
                                        net::Notification notification) {
  uint64_t association_id = association.id();
  AssociationInfo& info = association.info();
  bool ended = false;
  absl::Status why;
  if (notification.type == net::NotificationType::kAssociationChange) {
    const char* what = net::AssociationChangeName(notification.association_change);
    switch (notification.association_change) {
      case net::AssociationChange::kCommLost:
      case net::AssociationChange::kCantStartAssociation:
        ended = true;
        why = Error(Reason::kAssociationLost,
                    absl::StrCat("association ", association_id, " was lost (", what, ")"),
                    {{"sctp_event", what}, {"sctp_error", absl::StrCat(notification.error)}});
        break;
      case net::AssociationChange::kShutdownComplete:
        ended = true;
        break;
      case net::AssociationChange::kRestart:
        info.inbound_streams = notification.inbound_streams;
        info.outbound_streams = notification.outbound_streams;
        break;
      case net::AssociationChange::kCommUp:
      case net::AssociationChange::kUnknown:
        break;
    }
  } else if (notification.type == net::NotificationType::kShutdown) {
    info.state = AssociationState::kShuttingDown;
  } else if (notification.type == net::NotificationType::kStreamChange) {
    // Linux's STREAM_CHANGE carries the streams added, not the counts now:
    // they are read back (the event keeps what the kernel said).
    if (association.socket() != 0) {
      auto now = stack_.Status(association.socket(), association.kernel_id());
      if (now.ok()) {
        info.inbound_streams = now->inbound_streams;
        info.outbound_streams = now->outbound_streams;
      }
    }
  }
  std::string detail;
  if (ended) detail = association.abort_detail;
  LogEvent(association.endpoint_id(), association_id, std::move(notification), std::move(detail));
  if (ended) Ended(association_id, why);
}

void Gateway::OnReceiveError(net::SocketId socket, net::AssocId /*assoc_id*/,
                             absl::Status error) {
  CheckThread();
  Association* association = registry_.AssociationOnSocket(socket);
  if (association == nullptr) return;
  if (error.code() == absl::StatusCode::kResourceExhausted) {
    // A message that cannot be delivered whole: abort the association rather
    // than deliver it cut, with the reason in the ABORT. The kernel's
    // COMM_LOST follows on the socket and ends it.
    (void)stack_.Abort(socket, association->kernel_id(), std::string(error.message()));
    association->abort_detail = absl::StrCat("sctpgw aborted the association: ", error.message());
    association->set_state(AssociationState::kClosed);
    return;
  }
  // The socket ended or failed without the kernel's COMM_LOST: say so in
  // the event stream all the same, so that the application sees the end.
  net::Notification lost;
  lost.type = net::NotificationType::kAssociationChange;
  lost.assoc_id = association->kernel_id();
  lost.association_change = net::AssociationChange::kCommLost;
  std::string detail = association->abort_detail.empty()
                           ? absl::StrCat("sctpgw stopped reading the association: ",
                                          error.message())
                           : association->abort_detail;
  uint64_t association_id = association->id();
  LogEvent(association->endpoint_id(), association_id, std::move(lost), std::move(detail));
  Ended(association_id, Error(Reason::kAssociationLost, error.message()));
}

}  // namespace sctpgw::core
