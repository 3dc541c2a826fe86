// libsctpd's messages: sctpd_send, the messages received waiting for
// sctpd_receive, and those that could not be sent for
// sctpd_receiveUnsent/Unacked.
#include <cstring>

#include "sctpd_library.h"
#include "sctpd_mapping.h"

namespace sctpgw::sctpd {

void Library::RunMessage(const v1::InboundMessage& m) {
  Association* a = ByGateway(m.association_id());
  if (a == nullptr || !a->up) {
    if (forgotten_.count(m.association_id()) != 0) return;  // Deleted: dropped.
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


}  // namespace sctpgw::sctpd
