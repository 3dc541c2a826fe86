// libsctpd's state: one sctpgw session (the C++ client library), the
// instances (endpoints) and associations under the SCTP library's numbers,
// and the notifications waiting for the application.
//
// Threads: the client library's thread takes sctpgw's events, messages and
// the outcomes of asynchronous calls (OnAssociated), queues each as a
// notification and writes a datagram naming it to the notification socket.
// Everything else, including every callback of the application, runs on
// the application's thread: in the sctpd_ calls, sctpd_eventLoop() and
// dispatchUAMesg(). Only the queue is shared (mu_).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sctpgw/client.h"
#include "server/net/unique_fd.h"
#include "ua.h"

namespace sctpgw::sctpd {

// A received message, whole, waiting for sctpd_receive().
struct Received {
  std::string payload;
  uint16_t ssn = 0;
  uint32_t tsn = 0;
  uint32_t ppid = 0;
  bool unordered = false;
  std::string source;  // The peer address it came from, if known.
};

// A message that could not be sent (SEND_FAILED), for sctpd_receiveUnsent/Unacked.
struct Failed {
  std::string payload;
  uint16_t stream = 0;
  uint32_t ppid = 0;
  bool unordered = false;
  void* context = nullptr;
};

struct Instance {
  unsigned short name = 0;
  UDP_UA_CB callbacks{};
  uint64_t endpoint_id = 0;
  uint16_t port = 0;
  std::vector<std::string> local_addresses;
  uint16_t in_streams = 0, out_streams = 0;
  SCTP_InstanceParameters defaults{};
};

struct Association {
  unsigned int id = 0;       // The SCTP library's number, given to the application.
  uint64_t gateway_id = 0;   // sctpgw's, once known.
  unsigned short instance = 0;
  void* ulp_data = nullptr;
  bool up = false;
  bool ended = false;        // Lost, shut down or never up: sctpd_deleteAssociation forgets it.
  std::vector<std::string> peer_addresses;  // By destination address index.
  uint16_t peer_port = 0;
  uint16_t in_streams = 0, out_streams = 0;
  std::map<uint16_t, std::deque<Received>> inbox;  // By stream.
  // Pieces of a message longer than sctpgw's maximum, by stream and order.
  std::map<std::pair<uint16_t, bool>, Received> partial;
  std::deque<Failed> unsent, unacked;
};

class Library : private client::EventHandler {
 public:
  // The library of this process once sctpd_initLibrary() succeeded.
  static Library* Get();
  static int Init(unsigned short notification_port);

  // The sctpd_ calls (ua.h), on the application's thread.
  short RegisterInstance(unsigned short port, unsigned short in_streams,
                         unsigned short out_streams, std::vector<std::string> addresses,
                         const UDP_UA_CB& callbacks);
  int UnregisterInstance(unsigned short name);
  unsigned int Associate(unsigned int instance, unsigned short out_streams,
                         std::vector<std::string> peers, unsigned short port, void* ulp_data);
  int Shutdown(unsigned int id);
  int Abort(unsigned int id);
  int DeleteAssociation(unsigned int id);
  int Send(unsigned int id, unsigned short stream, const unsigned char* buffer,
           unsigned int length, unsigned int ppid, short path, void* context,
           unsigned int lifetime, int unordered);
  int Receive(unsigned int id, unsigned short stream, unsigned char* buffer,
              unsigned int* length, unsigned short* ssn, unsigned int* tsn,
              unsigned int* address_index, unsigned int flags);
  int ReceiveFailed(unsigned int id, bool unsent, unsigned char* buffer, unsigned int* length,
                    unsigned int* tsn, unsigned short* stream, unsigned short* ssn,
                    unsigned int* ppid, unsigned char* flags, void** context);
  int GetAssocStatus(unsigned int id, SCTP_AssociationStatus* status);
  int SetAssocStatus(unsigned int id, const SCTP_AssociationStatus& status);
  int GetPathStatus(unsigned int id, short path, SCTP_PathStatus* status);
  int SetPrimary(unsigned int id, short path);
  int GetPrimary(unsigned int id);
  int ChangeHeartbeat(unsigned int id, short path, bool on, unsigned int interval_ms);
  int RequestHeartbeat(unsigned int id, short path);
  int SetFailureThreshold(unsigned int id, unsigned short retransmissions);
  int GetInstanceId(unsigned int id, unsigned short* instance);
  int GetAssocDefaults(unsigned short name, SCTP_InstanceParameters* params);
  int SetAssocDefaults(unsigned short name, const SCTP_InstanceParameters& params);
  SCTP_LibraryParameters& parameters() { return parameters_; }

  // The notification socket and its datagrams.
  int notification_fd() const { return receive_fd_.get(); }
  // Runs the notifications waiting, in order (the one `buffer` names and
  // any other: a datagram may stand for several, since a full socket drops
  // later ones): SCTP_SUCCESS, or SCTP_PARAMETER_PROBLEM when `buffer` is
  // no notification.
  int Dispatch(const unsigned char* buffer);
  // Runs the notifications waiting; how many.
  int RunWaiting();
  // Reads every datagram waiting on the socket and runs its notifications;
  // how many ran.
  int DispatchWaiting();

  // The last failure's text, per thread.
  static void SetLastError(const absl::Status& status);
  // A call's outcome as the SCTP library's return code, its text kept for
  // sctpd_lastError().
  static int Result(const absl::Status& status);
  static const char* LastError();

 private:
  // A notification: what the client library's thread took from sctpgw.
  struct Notice {
    uint64_t id = 0;
    std::optional<v1::Event> event;
    std::optional<v1::InboundMessage> message;
    // The outcome of an AssociateAsync.
    std::optional<uint64_t> tag;
    absl::StatusOr<v1::Association> result = absl::UnknownError("no outcome");
    // The outcome of a ShutdownAsync of this (sctpgw) association.
    std::optional<uint64_t> shut_down;
    // The session ended (sctpgw restarted, or the session expired): every
    // association is gone with it.
    bool session_lost = false;
    absl::Status status;
  };

  // sctpgw associations remembered as forgotten at most (see forgotten_).
  static constexpr size_t kMaxForgotten = 4096;

  Library() = default;
  int Open(unsigned short notification_port);

  // client::EventHandler, on the client library's thread: queue and signal.
  void OnAssociationChange(const v1::Event& e, const v1::AssociationChange&) override;
  void OnPeerAddressChange(const v1::Event& e, const v1::PeerAddressChange&) override;
  void OnSendFailed(const v1::Event& e, const v1::SendFailed&) override;
  void OnShutdown(const v1::Event& e, const v1::ShutdownEvent&) override;
  void OnRemoteError(const v1::Event& e, const v1::RemoteError&) override;
  void OnMessage(const v1::InboundMessage& message) override;
  void OnAssociated(uint64_t tag, const absl::StatusOr<v1::Association>& result) override;
  void OnShutdownComplete(uint64_t tag, uint64_t association_id,
                          const absl::Status& status) override;
  void OnStreamStatus(const absl::Status& status) override;
  void Queue(Notice notice);

  // On the application's thread.
  void Run(const Notice& notice);
  void RunEvent(const v1::Event& event);
  void RunMessage(const v1::InboundMessage& message);
  void RunAssociated(uint64_t tag, const absl::StatusOr<v1::Association>& result);
  void RunShutDown(uint64_t gateway_id, const absl::Status& status);
  void RunSessionLost(const absl::Status& status);
  // communicationLostNotif, once per association.
  void Lost(Association& association, unsigned short status);
  // Drops what waits for sctpgw association `gateway_id` and what comes for
  // it later.
  void Forget(uint64_t gateway_id);
  // An association that came up: what it is, then communicationUpNotif,
  // then the messages that came before the news.
  void CameUp(Association& association, const v1::Association& details, int status);
  void Deliver(Association& association, Received received, uint16_t stream);
  Association* Find(unsigned int id);
  Association* ByGateway(uint64_t gateway_id);
  const Instance* InstanceOf(const Association& association) const;
  std::string PeerAt(const Association& association, short path) const;
  short IndexOf(const Association& association, const std::string& address) const;
  void* ContextPointer(uint32_t context) const;
  uint32_t ContextNumber(void* context);

  std::unique_ptr<client::Client> client_;
  net::UniqueFd receive_fd_, send_fd_;
  SCTP_LibraryParameters parameters_{1, SCTP_CHECKSUM_ALGORITHM_CRC32C, 1, 0};

  std::map<unsigned short, Instance> instances_;
  std::map<unsigned int, Association> associations_;
  std::map<uint64_t, unsigned int> by_gateway_;
  std::map<uint64_t, unsigned int> pending_associates_;  // AssociateAsync tag: id.
  // The events of outgoing sctpgw associations whose AssociateAsync outcome
  // has not come yet (from their COMM_UP on), and messages that came before
  // their association's news: replayed, in order, once it is known.
  std::map<uint64_t, std::vector<v1::Event>> early_events_;
  std::map<uint64_t, std::vector<v1::InboundMessage>> early_messages_;
  // sctpgw associations the application will not hear of (deleted, or on
  // no instance of its): what still comes for them is dropped instead of
  // kept. The most recent kMaxForgotten.
  std::set<uint64_t> forgotten_;
  std::deque<uint64_t> forgotten_order_;
  std::map<uint32_t, void*> contexts_;  // sctpd_send's context pointers, by number.
  uint32_t next_context_ = 1;
  unsigned short next_instance_ = 1;
  unsigned int next_association_ = 1;

  absl::Mutex mu_;
  std::deque<Notice> notices_ ABSL_GUARDED_BY(mu_);
  uint64_t next_notice_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace sctpgw::sctpd
