#include "sctpd_library.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sctpd_mapping.h"

namespace sctpgw::sctpd {
namespace {

constexpr char kMagic[8] = {'s', 'c', 't', 'p', 'd', '\0', 'v', '1'};
// sctpd_send's context numbers kept for SEND_FAILED at most; older ones
// come back as NULL.
constexpr size_t kMaxContexts = 65536;
// Notifications waiting for the application at most (see Queue).
constexpr size_t kMaxNotices = 4096;

Library* g_library = nullptr;
thread_local std::string t_last_error;

void CopyAddress(const std::string& ip, unsigned char out[SCTP_MAX_IP_LEN]) {
  std::memset(out, 0, SCTP_MAX_IP_LEN);
  std::memcpy(out, ip.data(), std::min<size_t>(ip.size(), SCTP_MAX_IP_LEN - 1));
}

std::vector<std::string> IpsOf(
    const google::protobuf::RepeatedPtrField<v1::TransportAddress>& addresses) {
  std::vector<std::string> ips;
  for (const v1::TransportAddress& a : addresses) ips.push_back(a.ip());
  return ips;
}

// A call's outcome as the SCTP library's return code, kept for sctpd_lastError().
int Result(const absl::Status& status) {
  Library::SetLastError(status);
  return ToReturnCode(status);
}

}  // namespace

Library* Library::Get() { return g_library; }

void Library::SetLastError(const absl::Status& status) { t_last_error = ErrorText(status); }
const char* Library::LastError() { return t_last_error.c_str(); }

int Library::Init(unsigned short notification_port) {
  if (g_library != nullptr) return SCTP_LIBRARY_ALREADY_INITIALIZED;
  auto* library = new Library();
  int result = library->Open(notification_port);
  if (result != SCTP_SUCCESS) {
    delete library;
    return result;
  }
  g_library = library;  // Lives as long as the process, as the SCTP library's state did.
  return SCTP_SUCCESS;
}

int Library::Open(unsigned short notification_port) {
  if (notification_port == 0) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) return SCTP_OUT_OF_RESOURCES;
    receive_fd_.Reset(fds[0]);
    send_fd_.Reset(fds[1]);  // Blocking: a full socket holds the sender back.
  } else {
    // The old daemon's notification port: a UDP socket on 127.0.0.1.
    receive_fd_.Reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    send_fd_.Reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(notification_port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!receive_fd_.valid() || !send_fd_.valid() ||
        bind(receive_fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        connect(send_fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      SetLastError(absl::FailedPreconditionError(
          absl::StrCat("cannot bind the notification port 127.0.0.1:", notification_port)));
      return SCTP_OUT_OF_RESOURCES;
    }
  }
  int flags = fcntl(receive_fd_.get(), F_GETFL);
  fcntl(receive_fd_.get(), F_SETFL, flags | O_NONBLOCK);

  client::ClientOptions options;
  if (const char* target = std::getenv("SCTPGW_TARGET")) options.target = target;
  options.client_name = "libsctpd";
  options.delivery = client::EventDelivery::kLibraryThread;
  auto connected = client::Client::Connect(options, this);
  if (!connected.ok()) {
    SetLastError(connected.status());
    return SCTP_MODULE_NOT_FOUND;  // sctpgw, the daemon, is not there.
  }
  client_ = std::move(*connected);
  SetLastError(absl::OkStatus());
  return SCTP_SUCCESS;
}

// ---------------------------------------------------------------- notices

void Library::Queue(Notice notice) {
  unsigned char datagram[SCTPD_NOTIFICATION_BYTES] = {};
  {
    absl::MutexLock lock(&mu_);
    // Full: this thread (the event stream's, or a receiver's) waits, and so
    // stops reading sctpgw's streams, until the application catches up.
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return notices_.size() < kMaxNotices;
    };
    mu_.Await(absl::Condition(&room));
    notice.id = next_notice_++;
    std::memcpy(datagram, kMagic, sizeof(kMagic));
    std::memcpy(datagram + sizeof(kMagic), &notice.id, sizeof(notice.id));
    notices_.push_back(std::move(notice));
  }
  // A full socket drops it: the datagrams already waiting run this notice too.
  (void)!send(send_fd_.get(), datagram, sizeof(datagram), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void Library::OnAssociationChange(const v1::Event& e, const v1::AssociationChange&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnPeerAddressChange(const v1::Event& e, const v1::PeerAddressChange&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnSendFailed(const v1::Event& e, const v1::SendFailed&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnShutdown(const v1::Event& e, const v1::ShutdownEvent&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnRemoteError(const v1::Event& e, const v1::RemoteError&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnMessage(const v1::InboundMessage& message) {
  Notice notice;
  notice.message = message;
  Queue(std::move(notice));
}
void Library::OnAssociated(uint64_t tag, const absl::StatusOr<v1::Association>& result) {
  Notice notice;
  notice.tag = tag;
  notice.result = result;
  Queue(std::move(notice));
}

int Library::Dispatch(const unsigned char* buffer) {
  if (buffer == nullptr || std::memcmp(buffer, kMagic, sizeof(kMagic)) != 0) {
    return SCTP_PARAMETER_PROBLEM;
  }
  RunWaiting();
  return SCTP_SUCCESS;
}

int Library::RunWaiting() {
  int ran = 0;
  while (true) {
    Notice notice;
    {
      absl::MutexLock lock(&mu_);
      if (notices_.empty()) break;
      notice = std::move(notices_.front());
      notices_.pop_front();
    }
    Run(notice);  // Without the lock: callbacks may call the library.
    ++ran;
  }
  return ran;
}

int Library::DispatchWaiting() {
  unsigned char datagram[SCTPD_NOTIFICATION_BYTES];
  while (recv(receive_fd_.get(), datagram, sizeof(datagram), MSG_DONTWAIT) > 0) {
  }
  return RunWaiting();
}

void Library::Run(const Notice& notice) {
  if (notice.tag.has_value()) {
    RunAssociated(*notice.tag, notice.result);
  } else if (notice.message.has_value()) {
    RunMessage(*notice.message);
  } else if (notice.event.has_value()) {
    RunEvent(*notice.event);
  }
}

// ---------------------------------------------------------------- lookups

Association* Library::Find(unsigned int id) {
  auto it = associations_.find(id);
  return it == associations_.end() ? nullptr : &it->second;
}

Association* Library::ByGateway(uint64_t gateway_id) {
  auto it = by_gateway_.find(gateway_id);
  return it == by_gateway_.end() ? nullptr : Find(it->second);
}

const Instance* Library::InstanceOf(const Association& association) const {
  auto it = instances_.find(association.instance);
  return it == instances_.end() ? nullptr : &it->second;
}

std::string Library::PeerAt(const Association& association, short path) const {
  if (path < 0 || static_cast<size_t>(path) >= association.peer_addresses.size()) return "";
  return association.peer_addresses[static_cast<size_t>(path)];
}

short Library::IndexOf(const Association& association, const std::string& address) const {
  auto it = std::find(association.peer_addresses.begin(), association.peer_addresses.end(),
                      address);
  return it == association.peer_addresses.end()
             ? -1
             : static_cast<short>(it - association.peer_addresses.begin());
}

uint32_t Library::ContextNumber(void* context) {
  if (context == nullptr) return 0;
  uint32_t number = next_context_++;
  if (next_context_ == 0) next_context_ = 1;
  contexts_[number] = context;
  while (contexts_.size() > kMaxContexts) contexts_.erase(contexts_.begin());
  return number;
}

void* Library::ContextPointer(uint32_t context) const {
  auto it = contexts_.find(context);
  return it == contexts_.end() ? nullptr : it->second;
}

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
  if (association == nullptr) return;  // Deleted meanwhile.
  const Instance* instance = InstanceOf(*association);
  if (!result.ok()) {
    SetLastError(result.status());
    association->ended = true;
    if (instance != nullptr && instance->callbacks.communicationLostNotif != nullptr) {
      instance->callbacks.communicationLostNotif(id, SCTP_COMM_LOST_ENDPOINT_UNREACHABLE,
                                                 association->ulp_data);
    }
    return;
  }
  association->gateway_id = result->association_id();
  by_gateway_[association->gateway_id] = id;
  early_up_.erase(association->gateway_id);
  CameUp(*association, *result, SCTP_COMM_UP_RECEIVED_COOKIE_ACK);
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
      (void)client_->ConfigurePaths(association.gateway_id, parameters);
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
  // The SCTP library starts the handshake and reports its end by callback.
  client_->ShutdownAsync(a->gateway_id);
  SetLastError(absl::OkStatus());
  return SCTP_SUCCESS;
}

int Library::Abort(unsigned int id) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  return Result(client_->Abort(a->gateway_id, "aborted by the application"));
}

int Library::DeleteAssociation(unsigned int id) {
  Association* a = Find(id);
  if (a == nullptr) return SCTP_ASSOC_NOT_FOUND;
  if (!a->ended) return SCTP_WRONG_STATE;  // Still up: shut it down or abort it first.
  by_gateway_.erase(a->gateway_id);
  associations_.erase(id);
  return SCTP_SUCCESS;
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
  if (event.has_association_change() &&
      event.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP) {
    if (a != nullptr) return;  // An outgoing one, already reported.
    // Incoming, or outgoing with its AssociateAsync outcome still to come.
    auto details = client_->GetAssociation(event.association_id());
    if (!details.ok()) return;  // Gone already.
    if (!details->association().incoming()) {
      early_up_[event.association_id()] = event;
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
    return;
  }
  if (a == nullptr) return;
  const Instance* instance = InstanceOf(*a);
  if (instance == nullptr) return;
  const UDP_UA_CB& cb = instance->callbacks;
  const unsigned int id = a->id;
  if (event.has_association_change()) {
    switch (event.association_change().type()) {
      case v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST:
      case v1::ASSOCIATION_CHANGE_TYPE_CANT_STR_ASSOC:
        if (a->ended) return;
        a->ended = true;
        if (cb.communicationLostNotif != nullptr) {
          cb.communicationLostNotif(id, ToCommLostStatus(event), a->ulp_data);
        }
        return;
      case v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP:
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

// ---------------------------------------------------------------- messages

void Library::RunMessage(const v1::InboundMessage& m) {
  Association* a = ByGateway(m.association_id());
  if (a == nullptr || !a->up) {
    early_messages_[m.association_id()].push_back(m);  // Its news comes next.
    return;
  }
  uint16_t stream = static_cast<uint16_t>(m.stream());
  Received received;
  received.ssn = static_cast<uint16_t>(m.ssn());
  received.tsn = m.tsn();
  received.ppid = m.ppid();
  received.unordered = m.unordered();
  received.source = m.source().ip();
  // A message longer than sctpgw's maximum comes in pieces: joined here,
  // since the SCTP library handed over whole messages.
  auto key = std::make_pair(stream, m.unordered());
  if (m.more_follows() || m.offset() != 0) {
    Received& joined = a->partial[key];
    if (m.offset() == 0) joined = received;
    joined.payload += m.payload();
    if (m.more_follows()) return;
    received = std::move(joined);
    a->partial.erase(key);
  } else {
    received.payload = m.payload();
  }
  Deliver(*a, std::move(received), stream);
}

void Library::Deliver(Association& a, Received received, uint16_t stream) {
  const Instance* instance = InstanceOf(a);
  unsigned int length = static_cast<unsigned int>(received.payload.size());
  uint16_t ssn = received.ssn;
  uint32_t tsn = received.tsn, ppid = received.ppid;
  unsigned int unordered = received.unordered ? 1 : 0;
  a.inbox[stream].push_back(std::move(received));
  if (instance != nullptr && instance->callbacks.dataArriveNotif != nullptr) {
    instance->callbacks.dataArriveNotif(a.id, stream, length, ssn, tsn, ppid, unordered,
                                        a.ulp_data);
  }
}

int Library::Send(unsigned int id, unsigned short stream, const unsigned char* buffer,
                  unsigned int length, unsigned int ppid, short path, void* context,
                  unsigned int lifetime, int unordered) {
  Association* a = Find(id);
  if (a == nullptr) return SCTP_ASSOC_NOT_FOUND;
  if (a->gateway_id == 0 || !a->up || a->ended) return SCTP_WRONG_STATE;
  if (buffer == nullptr && length != 0) return SCTP_PARAMETER_PROBLEM;
  client::SendOptions options;
  options.stream = stream;
  options.ppid = ppid;
  options.unordered = unordered == SCTP_UNORDERED_DELIVERY;
  if (lifetime == SCTP_NO_RETRANSMISSION) {
    options.max_retransmissions = 0;  // Sent once.
  } else if (lifetime != SCTP_INFINITE_LIFETIME) {
    options.lifetime_ms = lifetime;
  }
  if (path != SCTP_USE_PRIMARY) {
    std::string peer = PeerAt(*a, path);
    if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
    options.peer_address = peer;
  }
  options.context = ContextNumber(context);
  return Result(client_->Send(
      a->gateway_id, std::string(reinterpret_cast<const char*>(buffer), length), options));
}

int Library::Receive(unsigned int id, unsigned short stream, unsigned char* buffer,
                     unsigned int* length, unsigned short* ssn, unsigned int* tsn,
                     unsigned int* address_index, unsigned int flags) {
  Association* a = Find(id);
  if (a == nullptr) return SCTP_ASSOC_NOT_FOUND;
  if (buffer == nullptr || length == nullptr) return SCTP_PARAMETER_PROBLEM;
  auto queue = a->inbox.find(stream);
  if (queue == a->inbox.end() || queue->second.empty()) return SCTP_NO_CHUNKS_IN_QUEUE;
  const Received& next = queue->second.front();
  if (next.payload.size() > *length) return SCTP_BUFFER_TOO_SMALL;  // Nothing taken.
  std::memcpy(buffer, next.payload.data(), next.payload.size());
  *length = static_cast<unsigned int>(next.payload.size());
  if (ssn != nullptr) *ssn = next.ssn;
  if (tsn != nullptr) *tsn = next.tsn;
  if (address_index != nullptr) {
    short index = IndexOf(*a, next.source);
    *address_index = index < 0 ? 0 : static_cast<unsigned int>(index);
  }
  if ((flags & SCTP_MSG_PEEK) == 0) queue->second.pop_front();
  return SCTP_SUCCESS;
}

int Library::ReceiveFailed(unsigned int id, bool unsent, unsigned char* buffer,
                           unsigned int* length, unsigned int* tsn, unsigned short* stream,
                           unsigned short* ssn, unsigned int* ppid, unsigned char* flags,
                           void** context) {
  Association* a = Find(id);
  if (a == nullptr) return SCTP_ASSOC_NOT_FOUND;
  if (buffer == nullptr || length == nullptr) return SCTP_PARAMETER_PROBLEM;
  std::deque<Failed>& queue = unsent ? a->unsent : a->unacked;
  if (queue.empty()) return SCTP_NO_CHUNKS_IN_QUEUE;
  const Failed& next = queue.front();
  if (next.payload.size() > *length) return SCTP_BUFFER_TOO_SMALL;
  std::memcpy(buffer, next.payload.data(), next.payload.size());
  *length = static_cast<unsigned int>(next.payload.size());
  if (tsn != nullptr) *tsn = 0;  // Linux does not report it.
  if (stream != nullptr) *stream = next.stream;
  if (ssn != nullptr) *ssn = 0;
  if (ppid != nullptr) *ppid = next.ppid;
  if (flags != nullptr) *flags = next.unordered ? SCTP_UNORDERED_DELIVERY : SCTP_ORDERED_DELIVERY;
  if (context != nullptr) *context = next.context;
  queue.pop_front();
  return SCTP_SUCCESS;
}

// ---------------------------------------------------------------- status

int Library::GetAssocStatus(unsigned int id, SCTP_AssociationStatus* status) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  if (status == nullptr) return SCTP_PARAMETER_PROBLEM;
  auto described = client_->GetAssociation(a->gateway_id);
  if (!described.ok()) return Result(described.status());
  std::memset(status, 0, sizeof(*status));
  const v1::AssociationStatus& s = described->status();
  const v1::PathParameters& p = described->path_parameters();
  a->peer_addresses = IpsOf(described->association().peer_addresses());
  status->state = ToAssociationState(s.state());
  status->numberOfAddresses = static_cast<unsigned short>(a->peer_addresses.size());
  CopyAddress(s.primary().address().ip(), status->primaryDestinationAddress);
  const Instance* instance = InstanceOf(*a);
  status->sourcePort = instance != nullptr ? instance->port : 0;
  status->destPort = a->peer_port;
  status->outStreams = static_cast<unsigned short>(s.outbound_streams());
  status->inStreams = static_cast<unsigned short>(s.inbound_streams());
  status->supportUnreliableStreams = described->pr_sctp().peer_supports_pr_sctp() ? 1 : 0;
  short primary = IndexOf(*a, s.primary().address().ip());
  status->primaryAddressIndex = static_cast<unsigned short>(primary < 0 ? 0 : primary);
  status->currentReceiverWindowSize = s.peer_rwnd();
  status->noOfChunksInSendQueue = s.pending_chunks();
  status->noOfChunksInRetransmissionQueue = s.unacked_chunks();
  status->noOfChunksInReceptionQueue = 0;
  for (const auto& [stream, queue] : a->inbox) {
    status->noOfChunksInReceptionQueue += static_cast<unsigned int>(queue.size());
  }
  status->rtoInitial = p.rto_initial_ms();
  status->rtoMin = p.rto_min_ms();
  status->rtoMax = p.rto_max_ms();
  status->assocMaxRetransmits = p.association_max_retransmissions();
  status->pathMaxRetransmits = p.path_max_retransmissions();
  status->delay = p.sack_delay_ms();
  return SCTP_SUCCESS;
}

int Library::SetAssocStatus(unsigned int id, const SCTP_AssociationStatus& status) {
  SCTP_AssociationStatus now;
  int got = GetAssocStatus(id, &now);
  if (got != SCTP_SUCCESS) return got;
  Association* a = Find(id);
  v1::PathParameters p;
  if (status.rtoInitial != now.rtoInitial) p.set_rto_initial_ms(status.rtoInitial);
  if (status.rtoMin != now.rtoMin) p.set_rto_min_ms(status.rtoMin);
  if (status.rtoMax != now.rtoMax) p.set_rto_max_ms(status.rtoMax);
  if (status.assocMaxRetransmits != now.assocMaxRetransmits) {
    p.set_association_max_retransmissions(status.assocMaxRetransmits);
  }
  if (status.pathMaxRetransmits != now.pathMaxRetransmits) {
    p.set_path_max_retransmissions(status.pathMaxRetransmits);
  }
  if (status.delay != now.delay) p.set_sack_delay_ms(status.delay);
  if (p.ByteSizeLong() != 0) {
    int result = Result(client_->ConfigurePaths(a->gateway_id, p).status());
    if (result != SCTP_SUCCESS) return result;
  }
  if (status.primaryAddressIndex != now.primaryAddressIndex) {
    return SetPrimary(id, static_cast<short>(status.primaryAddressIndex));
  }
  return SCTP_SUCCESS;
}

int Library::GetPathStatus(unsigned int id, short path, SCTP_PathStatus* status) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  if (status == nullptr) return SCTP_PARAMETER_PROBLEM;
  std::string peer = PeerAt(*a, path);
  if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
  auto described = client_->GetAssociation(a->gateway_id);
  if (!described.ok()) return Result(described.status());
  for (const v1::PeerPath& p : described->paths()) {
    if (p.address().ip() != peer) continue;
    std::memset(status, 0, sizeof(*status));
    CopyAddress(peer, status->destinationAddress);
    status->state = ToPathState(p.state());
    status->srtt = p.srtt_ms();
    status->rto = p.rto_ms();
    status->heartbeatIntervall = p.heartbeat_interval_ms();
    status->cwnd = p.cwnd();
    status->mtu = p.mtu();
    return SCTP_SUCCESS;
  }
  return SCTP_PARAMETER_PROBLEM;
}

int Library::SetPrimary(unsigned int id, short path) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  std::string peer = PeerAt(*a, path);
  if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
  return Result(client_->SetPrimaryPath(a->gateway_id, peer));
}

int Library::GetPrimary(unsigned int id) {
  SCTP_AssociationStatus status;
  int got = GetAssocStatus(id, &status);
  return got != SCTP_SUCCESS ? got : status.primaryAddressIndex;
}

int Library::ChangeHeartbeat(unsigned int id, short path, bool on, unsigned int interval_ms) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  v1::PathParameters p;
  p.set_heartbeat_enabled(on);
  if (on && interval_ms != 0) p.set_heartbeat_interval_ms(interval_ms);
  std::string peer;
  if (path != SCTP_USE_PRIMARY) {
    peer = PeerAt(*a, path);
    if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
  }
  return Result(client_->ConfigurePaths(a->gateway_id, p, peer).status());
}

int Library::RequestHeartbeat(unsigned int id, short path) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  std::string peer;
  if (path != SCTP_USE_PRIMARY) {
    peer = PeerAt(*a, path);
    if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
  }
  return Result(client_->RequestHeartbeat(a->gateway_id, peer));
}

int Library::SetFailureThreshold(unsigned int id, unsigned short retransmissions) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  v1::PathParameters p;
  p.set_association_max_retransmissions(retransmissions);
  return Result(client_->ConfigurePaths(a->gateway_id, p).status());
}

}  // namespace sctpgw::sctpd
