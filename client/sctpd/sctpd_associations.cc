// libsctpd's instances and associations: registering instances, starting,
// shutting down and forgetting associations, and the events that reach
// their callbacks (on the application's thread, from Run()).
#include <algorithm>
#include <cstring>

#include "sctpd_library.h"
#include "sctpd_mapping.h"

namespace sctpgw::sctpd {

// ---------------------------------------------------------------- instances

short Library::RegisterInstance(unsigned short port, unsigned short in_streams,
                                unsigned short out_streams, std::vector<std::string> addresses,
                                const UDP_UA_CB& callbacks) {
  if (addresses.empty()) addresses.push_back("0.0.0.0");
  client::EndpointOptions options =
      port != 0 ? client::EndpointOptions::Listening(addresses, port)
                : client::EndpointOptions::Outgoing(addresses);
  options.streams = std::max(in_streams, out_streams);
  auto endpoint = client_->OpenEndpoint(options);
  if (!endpoint.ok()) return static_cast<short>(Result(endpoint.status()));
  Instance instance;
  instance.name = next_instance_++;
  instance.callbacks = callbacks;
  instance.endpoint_id = endpoint->endpoint_id();
  instance.port = static_cast<uint16_t>(endpoint->port());
  instance.local_addresses = IpsOf(endpoint->local_addresses());
  instance.in_streams = in_streams;
  instance.out_streams = out_streams;
  SCTP_InstanceParameters& d = instance.defaults;
  d.noOfLocalAddresses =
      static_cast<unsigned int>(std::min<size_t>(instance.local_addresses.size(), SCTP_MAX_NUM_ADDRESSES));
  for (unsigned int i = 0; i < d.noOfLocalAddresses; ++i) {
    CopyAddress(instance.local_addresses[i], d.localAddressList[i]);
  }
  d.outStreams = out_streams;
  d.inStreams = in_streams;
  client_->StartReceiving(instance.endpoint_id);
  short name = static_cast<short>(instance.name);
  instances_[instance.name] = std::move(instance);
  SetLastError(absl::OkStatus());
  return name;
}

int Library::UnregisterInstance(unsigned short name) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return SCTP_INSTANCE_NOT_FOUND;
  client_->StopReceiving(it->second.endpoint_id);
  int result = Result(client_->CloseEndpoint(it->second.endpoint_id));
  instances_.erase(it);
  return result;
}

int Library::GetAssocDefaults(unsigned short name, SCTP_InstanceParameters* params) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return SCTP_INSTANCE_NOT_FOUND;
  if (params == nullptr) return SCTP_PARAMETER_PROBLEM;
  *params = it->second.defaults;
  return SCTP_SUCCESS;
}

int Library::SetAssocDefaults(unsigned short name, const SCTP_InstanceParameters& params) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return SCTP_INSTANCE_NOT_FOUND;
  SCTP_InstanceParameters& d = it->second.defaults;
  SCTP_InstanceParameters kept = d;  // The addresses are read-only.
  d = params;
  d.noOfLocalAddresses = kept.noOfLocalAddresses;
  std::memcpy(d.localAddressList, kept.localAddressList, sizeof(d.localAddressList));
  return SCTP_SUCCESS;
}

// ---------------------------------------------------------------- associations

unsigned int Library::Associate(unsigned int instance_name, unsigned short out_streams,
                                std::vector<std::string> peers, unsigned short port,
                                void* ulp_data) {
  auto it = instances_.find(static_cast<unsigned short>(instance_name));
  if (it == instances_.end() || peers.empty() || port == 0) {
    SetLastError(absl::InvalidArgumentError(it == instances_.end() ? "no such instance"
                                                                   : "no destination"));
    return 0;  // The SCTP library's "failed".
  }
  const Instance& instance = it->second;
  client::AssociateOptions options;
  options.peer_addresses = peers;
  options.peer_port = port;
  options.outbound_streams = out_streams;
  options.max_inbound_streams = instance.in_streams;
  if (instance.defaults.maxInitRetransmits != 0) {
    options.max_init_attempts = static_cast<uint16_t>(instance.defaults.maxInitRetransmits);
  }
  Association association;
  association.id = next_association_++;
  association.instance = instance.name;
  association.ulp_data = ulp_data;
  association.peer_addresses = std::move(peers);
  association.peer_port = port;
  uint64_t tag = client_->AssociateAsync(instance.endpoint_id, options);
  pending_associates_[tag] = association.id;
  unsigned int id = association.id;
  associations_[id] = std::move(association);
  SetLastError(absl::OkStatus());
  return id;
}

void Library::RunAssociated(uint64_t tag, const absl::StatusOr<v1::Association>& result) {
  auto pending = pending_associates_.find(tag);
  if (pending == pending_associates_.end()) return;
  unsigned int id = pending->second;
  pending_associates_.erase(pending);
  Association* association = Find(id);
  if (association == nullptr || association->ended) {
    // Reported lost meanwhile (sctpgw lost the session), and perhaps
    // deleted: what came for it is not the application's any more.
    if (result.ok()) Forget(result->association_id());
    return;
  }
  if (!result.ok()) {
    SetLastError(result.status());
    Lost(*association, SCTP_COMM_LOST_ENDPOINT_UNREACHABLE);
    return;
  }
  association->gateway_id = result->association_id();
  by_gateway_[association->gateway_id] = id;
  std::vector<v1::Event> early;
  if (auto it = early_events_.find(association->gateway_id); it != early_events_.end()) {
    early = std::move(it->second);
    early_events_.erase(it);
  }
  CameUp(*association, *result, SCTP_COMM_UP_RECEIVED_COOKIE_ACK);
  // What happened to it meanwhile (its COMM_UP, already told, is skipped).
  for (const v1::Event& event : early) RunEvent(event);
}

void Library::CameUp(Association& association, const v1::Association& details, int status) {
  association.up = true;
  association.peer_addresses = IpsOf(details.peer_addresses());
  if (details.peer_addresses_size() > 0) {
    association.peer_port = static_cast<uint16_t>(details.peer_addresses(0).port());
  }
  association.in_streams = static_cast<uint16_t>(details.inbound_streams());
  association.out_streams = static_cast<uint16_t>(details.outbound_streams());
  const Instance* instance = InstanceOf(association);
  if (instance != nullptr) {
    const SCTP_InstanceParameters& d = instance->defaults;
    // The instance's defaults, where set, for this association.
    v1::PathParameters parameters;
    if (d.rtoInitial != 0) parameters.set_rto_initial_ms(d.rtoInitial);
    if (d.rtoMin != 0) parameters.set_rto_min_ms(d.rtoMin);
    if (d.rtoMax != 0) parameters.set_rto_max_ms(d.rtoMax);
    if (d.assocMaxRetransmits != 0) parameters.set_association_max_retransmissions(d.assocMaxRetransmits);
    if (d.pathMaxRetransmits != 0) parameters.set_path_max_retransmissions(d.pathMaxRetransmits);
    if (d.delay != 0) parameters.set_sack_delay_ms(d.delay);
    if (parameters.ByteSizeLong() != 0) {
      // The association stands without them, as it would with defaults the
      // kernel refuses; the reason is kept for sctpd_lastError().
      absl::Status configured = client_->ConfigurePaths(association.gateway_id, parameters).status();
      if (!configured.ok()) SetLastError(configured);
    }
    if (instance->callbacks.communicationUpNotif != nullptr) {
      association.ulp_data = instance->callbacks.communicationUpNotif(
          association.id, status, static_cast<unsigned int>(association.peer_addresses.size()),
          association.in_streams, association.out_streams, /*supportPRSCTP=*/1,
          association.ulp_data);
    }
  }
  // Messages that came before the news, in order.
  auto early = early_messages_.find(association.gateway_id);
  if (early != early_messages_.end()) {
    std::vector<v1::InboundMessage> messages = std::move(early->second);
    early_messages_.erase(early);
    for (const v1::InboundMessage& m : messages) RunMessage(m);
  }
}

int Library::Shutdown(unsigned int id) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  if (a->ended) return SCTP_WRONG_STATE;
  // The SCTP library starts the handshake and reports its end by callback:
  // shutdownCompleteNotif (SHUTDOWN_COMP), or communicationLostNotif.
  client_->ShutdownAsync(a->gateway_id);
  SetLastError(absl::OkStatus());
  return SCTP_SUCCESS;
}

void Library::RunShutDown(uint64_t gateway_id, const absl::Status& status) {
  if (status.ok()) return;  // SHUTDOWN_COMP brings shutdownCompleteNotif.
  SetLastError(status);
  Association* a = ByGateway(gateway_id);
  if (a == nullptr || a->ended) return;
  // DEADLINE_EXCEEDED: the handshake goes on in the kernel and its end
  // comes as an event. NOT_FOUND: the association is gone already; if its
  // end has not been reported, it is now.
  if (status.code() == absl::StatusCode::kNotFound) Lost(*a, SCTP_COMM_LOST_NO_TCB);
}

void Library::RunSessionLost(const absl::Status& status) {
  SetLastError(status);
  for (auto& [id, association] : associations_) {
    if (!association.ended) Lost(association, SCTP_COMM_LOST_FAILURE);
  }
}

void Library::Lost(Association& a, unsigned short status) {
  if (a.ended) return;
  a.ended = true;
  const Instance* instance = InstanceOf(a);
  if (instance != nullptr && instance->callbacks.communicationLostNotif != nullptr) {
    instance->callbacks.communicationLostNotif(a.id, status, a.ulp_data);
  }
}

int Library::Abort(unsigned int id) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  if (a->ended) return SCTP_WRONG_STATE;
  return Result(client_->Abort(a->gateway_id, "aborted by the application"));
}

int Library::DeleteAssociation(unsigned int id) {
  Association* a = Find(id);
  if (a == nullptr) return SCTP_ASSOC_NOT_FOUND;
  if (!a->ended) return SCTP_WRONG_STATE;  // Still up: shut it down or abort it first.
  if (a->gateway_id != 0) {
    by_gateway_.erase(a->gateway_id);
    Forget(a->gateway_id);
  }
  associations_.erase(id);
  return SCTP_SUCCESS;
}

void Library::Forget(uint64_t gateway_id) {
  early_events_.erase(gateway_id);
  early_messages_.erase(gateway_id);
  if (!forgotten_.insert(gateway_id).second) return;
  forgotten_order_.push_back(gateway_id);
  if (forgotten_order_.size() > kMaxForgotten) {
    forgotten_.erase(forgotten_order_.front());
    forgotten_order_.pop_front();
  }
}

int Library::GetInstanceId(unsigned int id, unsigned short* instance) {
  Association* a = Find(id);
  if (a == nullptr) return SCTP_ASSOC_NOT_FOUND;
  if (instance != nullptr) *instance = a->instance;
  return SCTP_SUCCESS;
}

// ---------------------------------------------------------------- events

void Library::RunEvent(const v1::Event& event) {
  Association* a = ByGateway(event.association_id());
  if (a == nullptr) {
    // Not known yet: an outgoing association whose AssociateAsync outcome
    // is still to come keeps its events for then.
    auto early = early_events_.find(event.association_id());
    if (early != early_events_.end()) {
      early->second.push_back(event);
      return;
    }
  }
  if (event.has_association_change() &&
      event.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP) {
    if (a != nullptr) return;  // An outgoing one, already reported.
    // Incoming, or outgoing with its AssociateAsync outcome still to come.
    auto details = client_->GetAssociation(event.association_id());
    if (!details.ok()) {
      Forget(event.association_id());  // Gone already.
      return;
    }
    if (!details->association().incoming()) {
      early_events_[event.association_id()].push_back(event);
      return;
    }
    for (auto& [name, instance] : instances_) {
      if (instance.endpoint_id != event.endpoint_id()) continue;
      Association incoming;
      incoming.id = next_association_++;
      incoming.instance = name;
      incoming.gateway_id = event.association_id();
      unsigned int id = incoming.id;
      associations_[id] = std::move(incoming);
      by_gateway_[event.association_id()] = id;
      CameUp(associations_[id], details->association(), SCTP_COMM_UP_RECEIVED_VALID_COOKIE);
      return;
    }
    Forget(event.association_id());  // On no instance of this application's.
    return;
  }
  if (a == nullptr) {
    Forget(event.association_id());  // Deleted, or never this application's.
    return;
  }
  const Instance* instance = InstanceOf(*a);
  if (instance == nullptr) return;
  const UDP_UA_CB& cb = instance->callbacks;
  const unsigned int id = a->id;
  if (event.has_association_change()) {
    switch (event.association_change().type()) {
      case v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST:
      case v1::ASSOCIATION_CHANGE_TYPE_CANT_STR_ASSOC:
        Lost(*a, ToCommLostStatus(event));
        return;
      case v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP:
        if (a->ended) return;
        a->ended = true;
        if (cb.shutdownCompleteNotif != nullptr) cb.shutdownCompleteNotif(id, a->ulp_data);
        return;
      case v1::ASSOCIATION_CHANGE_TYPE_RESTART:
        if (cb.restartNotif != nullptr) cb.restartNotif(id, a->ulp_data);
        return;
      default:
        return;
    }
  }
  if (event.has_peer_address_change()) {
    const v1::PeerAddressChange& change = event.peer_address_change();
    short index = IndexOf(*a, change.address().ip());
    if (change.type() == v1::PEER_ADDRESS_CHANGE_TYPE_ADDED && index < 0) {
      a->peer_addresses.push_back(change.address().ip());
      index = static_cast<short>(a->peer_addresses.size() - 1);
    }
    int state = ToNetworkStatus(change.type());
    if (state >= 0 && index >= 0 && cb.networkStatusChangeNotif != nullptr) {
      cb.networkStatusChangeNotif(id, index, static_cast<unsigned short>(state), a->ulp_data);
    }
    return;
  }
  if (event.has_send_failed()) {
    const v1::SendFailed& failed = event.send_failed();
    Failed kept;
    kept.payload = failed.payload();
    kept.stream = static_cast<uint16_t>(failed.stream());
    kept.ppid = failed.ppid();
    kept.unordered = failed.unordered();
    kept.context = ContextPointer(failed.context());
    (failed.sent() ? a->unacked : a->unsent).push_back(kept);
    if (cb.sendFailureNotif != nullptr) {
      std::string data = failed.payload();
      cb.sendFailureNotif(id, reinterpret_cast<unsigned char*>(data.data()),
                          static_cast<unsigned int>(data.size()),
                          static_cast<unsigned int*>(kept.context), a->ulp_data);
    }
    return;
  }
  if (event.has_shutdown()) {
    if (cb.peerShutdownReceivedNotif != nullptr) cb.peerShutdownReceivedNotif(id, a->ulp_data);
    return;
  }
  if (event.has_remote_error() && cb.communicationErrorNotif != nullptr) {
    cb.communicationErrorNotif(id, static_cast<unsigned short>(event.remote_error().error()),
                               a->ulp_data);
  }
}


}  // namespace sctpgw::sctpd
