// The Gateway's part of a planned handover (docs/handover.md): freezing
// what it holds into a GatewayState, carrying on if the handover fails,
// letting go once the new process has it, and, in the new process, putting
// the state back around the sockets it adopted.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/core/gateway.h"

namespace sctpgw::core {
namespace {

absl::Status HandedOver() {
  return Error(Reason::kHandedOver,
               "sctpgw is handing over to a new process; retry: it answers on the same address");
}

// The event that reports an association lost in the handover.
net::Notification Lost(net::AssocId kernel_id) {
  net::Notification lost;
  lost.type = net::NotificationType::kAssociationChange;
  lost.association_change = net::AssociationChange::kCommLost;
  lost.assoc_id = kernel_id;
  return lost;
}

}  // namespace

absl::StatusOr<GatewayState> Gateway::Freeze() {
  CheckThread();
  if (closed_) return Unavailable();
  if (frozen_) return Error(Reason::kHandedOver, "a handover is already in progress");
  frozen_ = true;
  // Nothing more is read: what the kernel holds stays there for the taker.
  for (uint64_t id : registry_.EndpointIds()) {
    if (const Endpoint* endpoint = registry_.FindEndpoint(id)) {
      stack_.PauseReading(endpoint->socket, true);
    }
  }
  for (const auto& [id, association] : registry_.associations()) {
    if (association.socket() != 0) stack_.PauseReading(association.socket(), true);
  }
  for (net::SocketId socket : registry_.DrainingSockets()) stack_.PauseReading(socket, true);
  // Calls that wait end now, having done nothing more than they say (a
  // Send: its first accepted_messages); their callers retry with the taker.
  // A half-open association stays: the taker sees it come up, and the
  // Associate made again gets it (also if it is up by then).
  for (uint64_t id : registry_.AssociationIds()) {
    Association* association = registry_.FindAssociation(id);
    if (association->associate_op != 0) association->associate_interrupted = true;
    if (!association->shutdowns().empty()) association->shutdown_interrupted = true;
  }
  for (OperationId id : pending_.ids()) FailOperation(id, HandedOver(), /*undo=*/false);
  return FrozenState();
}

GatewayState Gateway::FrozenState() const {
  CheckThread();
  GatewayState state;
  registry_.ExportTo(&state);
  state.sessions = sessions_.Records();
  state.counters = counters_;
  state.events = events_.State();
  return state;
}

void Gateway::Thaw() {
  CheckThread();
  if (!frozen_ || closed_) return;
  frozen_ = false;
  for (uint64_t id : registry_.EndpointIds()) {
    if (const Endpoint* endpoint = registry_.FindEndpoint(id)) {
      stack_.PauseReading(endpoint->socket, false);
    }
  }
  for (uint64_t id : registry_.DrainingSockets()) stack_.CloseWhenDrained(id);
  std::vector<uint64_t> ids;
  for (const auto& [id, association] : registry_.associations()) ids.push_back(id);
  for (uint64_t id : ids) {
    Association* association = registry_.FindAssociation(id);
    if (association == nullptr || association->socket() == 0) continue;
    association->UpdateReading();
    stack_.PauseReading(association->socket(), association->reading_paused());
    receivers_.Serve(*association);
  }
  // Sessions that ended while frozen: their graceful shutdowns (ended by the
  // freeze) start again, or their leases ran out meanwhile.
  for (uint64_t id : registry_.EndpointIds()) {
    const Endpoint* endpoint = registry_.FindEndpoint(id);
    if (endpoint != nullptr && endpoint->closing) EndEndpoint(id, "its session ended");
  }
  std::vector<std::string> expired;
  expired.swap(expired_while_frozen_);
  for (const std::string& key : expired) {
    if (sessions_.Contains(key)) EndSession(key, ExpiryReason(key));
  }
}

void Gateway::Release() {
  CheckThread();
  // Not a word to the kernel: every socket now has another owner. They stay
  // open, unread, until the stack stops; closing them only drops this
  // process's reference.
  released_ = true;
  closed_ = true;
  frozen_ = false;
  for (OperationId id : pending_.ids()) FailOperation(id, HandedOver(), /*undo=*/false);
  expired_while_frozen_.clear();
  sessions_.Clear();
  events_.Close(HandedOver());
}

absl::Status Gateway::Restore(GatewayState state,
                              const std::map<net::SocketId, net::SocketId>& sockets) {
  CheckThread();
  if (sessions_.size() != 0 || registry_.endpoint_count() != 0 || events_.last_sequence() != 0) {
    return Error(Reason::kInvalidArgument, "handover state: this sctpgw already holds state");
  }
  events_.Restore(std::move(state.events));
  counters_ = state.counters;
  frozen_ = true;  // Until Thaw(): the exporter still owns the sockets.
  struct Loss {
    std::string session;
    uint64_t endpoint_id, association_id;
    net::AssocId kernel_id;
    std::string why;
  };
  std::vector<Loss> losses;
  auto adopted = [&](net::SocketId exported) -> net::SocketId {
    auto it = sockets.find(exported);
    return it == sockets.end() ? 0 : it->second;
  };
  // Endpoints whose socket did not come, or is not what the state says,
  // are closed with their associations.
  std::set<uint64_t> lost_endpoints;
  std::vector<EndpointRecord> endpoints;
  for (EndpointRecord& record : state.endpoints) {
    net::SocketId socket = adopted(record.socket);
    auto port = socket == 0 ? absl::NotFoundError("not handed over") : stack_.LocalPort(socket);
    if (port.ok() && *port != record.info.port) {
      port = absl::FailedPreconditionError(
          absl::StrCat("bound to port ", *port, ", not ", record.info.port));
    }
    if (!port.ok()) {
      if (socket != 0) stack_.Close(socket);
      lost_endpoints.insert(record.info.id);
      losses.push_back({record.session, record.info.id, 0, 0,
                        absl::StrCat("handover: the socket of endpoint ", record.info.id,
                                     " was refused: ", port.status().message())});
      continue;
    }
    record.socket = socket;
    endpoints.push_back(std::move(record));
  }
  state.endpoints = std::move(endpoints);
  std::vector<AssociationRecord> associations;
  for (AssociationRecord& record : state.associations) {
    const uint64_t id = record.info.id;
    net::SocketId socket = record.socket == 0 ? 0 : adopted(record.socket);
    absl::Status fault;
    if (lost_endpoints.count(record.info.endpoint_id) != 0) {
      fault = absl::FailedPreconditionError("its endpoint's socket was refused");
    } else if (record.socket != 0 && socket == 0) {
      fault = absl::NotFoundError("its socket was not handed over");
    } else if (socket != 0) {
      // An association that ended while frozen has no status any more; its
      // socket still holds the end and what came before it, and is read.
      auto status = stack_.Status(socket, record.info.kernel_id);
      auto peers = stack_.PeerAddresses(socket, record.info.kernel_id);
      if (status.ok() && (!peers.ok() || peers->empty() ||
                          peers->front().port() != record.info.peer_port)) {
        fault = absl::FailedPreconditionError("it is not connected to the association's peer");
      }
    }
    if (!fault.ok()) {
      if (socket != 0) stack_.Close(socket);
      losses.push_back({record.session, record.info.endpoint_id, id, record.info.kernel_id,
                        absl::StrCat("handover: association ", id, " was lost: ",
                                     fault.message())});
      continue;
    }
    record.socket = socket;
    associations.push_back(std::move(record));
  }
  state.associations = std::move(associations);
  std::vector<DrainingRecord> draining;
  for (DrainingRecord& record : state.draining) {
    record.socket = adopted(record.socket);
    if (record.socket != 0) draining.push_back(record);
  }
  state.draining = std::move(draining);
  for (const SessionRecord& record : state.sessions) {
    if (absl::Status restored = sessions_.Restore(record); !restored.ok()) {
      sessions_.Clear();
      return restored;
    }
  }
  if (absl::Status restored = registry_.Restore(state, limits_.association_queue_bytes);
      !restored.ok()) {
    sessions_.Clear();
    return restored;
  }
  for (const EndpointRecord& record : state.endpoints) {
    if (!sessions_.Contains(record.session) && !record.closing) {
      registry_ = AssociationRegistry();
      sessions_.Clear();
      return Error(Reason::kInvalidArgument, "handover state: an endpoint's session is missing");
    }
  }
  for (Loss& loss : losses) {
    // Reported to the session that owned it, even when the endpoint is gone.
    Event event;
    event.session = std::move(loss.session);
    event.endpoint_id = loss.endpoint_id;
    event.association_id = loss.association_id;
    event.notification = Lost(loss.kernel_id);
    event.detail = std::move(loss.why);
    ++counters_.events[{"assoc_change", "COMM_LOST"}];
    events_.Append(std::move(event));
  }
  return absl::OkStatus();
}

GatewayCondition Gateway::Condition() const {
  CheckThread();
  if (released_) return GatewayCondition::kHandedOver;
  if (frozen_) return GatewayCondition::kHandingOver;
  if (closed_) return GatewayCondition::kStopping;
  return GatewayCondition::kServing;
}

GatewayState Gateway::Snapshot() const {
  CheckThread();
  GatewayState state;
  registry_.ExportTo(&state, /*messages=*/false);
  // As after a handover: an Associate or graceful Shutdown that was waiting
  // can be made again and gets the association (or its end).
  for (AssociationRecord& record : state.associations) {
    const Association& association = registry_.associations().at(record.info.id);
    if (association.associate_op != 0) record.associate_interrupted = true;
    if (association.has_shutdowns()) record.shutdown_interrupted = true;
  }
  state.sessions = sessions_.Records();
  state.counters = counters_;
  state.events.last_sequence = events_.last_sequence();
  return state;
}

void Gateway::SetQueueTally(QueueTally* tally) {
  CheckThread();
  for (const auto& [id, association] : registry_.associations()) {
    if (!association.queue_mirrored()) continue;
    registry_.FindAssociation(id)->MirrorQueueLength(nullptr);
    tally_->Untrack(id);
  }
  tally_ = tally;
}

void Gateway::Settle(const std::map<uint64_t, size_t>& messages) {
  CheckThread();
  for (const auto& [id, count] : messages) {
    Association* association = registry_.FindAssociation(id);
    if (association == nullptr) continue;
    association->Settle(count);
    // An ended association whose last messages are now written.
    if (association->read_out() && !frozen_ && !released_) Forget(id);
  }
}

void Gateway::ReturnUnwritten(std::vector<ReceivedMessage> messages) {
  CheckThread();
  std::map<uint64_t, std::vector<net::InboundMessage>> by_association;
  for (ReceivedMessage& message : messages) {
    by_association[message.association_id].push_back(std::move(message.message));
  }
  for (auto& [id, returned] : by_association) {
    Association* association = registry_.FindAssociation(id);
    if (association == nullptr) continue;
    association->Return(std::move(returned));
    if (frozen_ || released_) continue;  // Reading stays paused; no receive waits.
    receivers_.UpdateReading(*association);
    receivers_.Serve(*association);
  }
}

void Gateway::ReportLostMessages(uint64_t association_id, uint64_t lost, uint64_t unconfirmed,
                                 const std::string& why) {
  CheckThread();
  const Association* association = registry_.FindAssociation(association_id);
  if (association == nullptr || lost + unconfirmed == 0) return;
  Event event;
  event.session = association->session();
  event.endpoint_id = association->endpoint_id();
  event.association_id = association_id;
  event.messages_lost = lost;
  event.messages_unconfirmed = unconfirmed;
  event.detail = why;
  if (!association->info().peer_addresses.empty()) {
    event.peer = association->info().peer_addresses.front().ToString();
  }
  counters_.events[{"messages_lost", ""}] += lost;
  events_.Append(std::move(event));
}

uint64_t Gateway::StateVersion() const {
  CheckThread();
  // Every change that Snapshot() shows moves one of these: sessions open
  // and end, ids are handed out, and associations and endpoints change
  // state with an event.
  uint64_t version = events_.last_sequence();
  for (uint64_t part : {counters_.sessions_opened, uint64_t{sessions_.size()},
                        uint64_t{registry_.endpoint_count()}, uint64_t{registry_.associations().size()},
                        registry_.next_endpoint_id(), registry_.next_association_id()}) {
    version = version * 1000003 + part;
  }
  return version;
}

}  // namespace sctpgw::core
