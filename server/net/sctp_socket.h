// One kernel SCTP socket (RFC 6458): one-to-many (SOCK_SEQPACKET) or
// one-to-one (SOCK_STREAM, e.g. peeled off an association). Messages go out
// with an SCTP_SNDINFO (and SCTP_PRINFO for PR-SCTP) control message and come
// in with SCTP_RCVINFO. Errors are returned as absl::Status carrying errno;
// nothing here logs, and nothing here knows of gRPC.
#pragma once

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/net/sctp_types.h"
#include "server/net/socket_address.h"
#include "server/net/sys_calls.h"
#include "server/net/unique_fd.h"

namespace sctpgw::net {

// What one recvmsg() returned.
struct ReceiveResult {
  size_t length = 0;
  bool end_of_record = false;  // MSG_EOR: the last (or only) piece of a message.
  bool notification = false;   // MSG_NOTIFICATION: the bytes are an sctp_notification.
  bool has_info = false;       // An SCTP_RCVINFO came with the data.
  sctp_assoc_t assoc_id = 0;
  uint16_t stream = 0;
  uint16_t ssn = 0;
  uint32_t tsn = 0;
  uint32_t ppid = 0;           // Host byte order.
  bool unordered = false;
  // The peer address of the packet that brought the data (msg_name), where
  // the kernel gives one.
  std::optional<SocketAddress> source;
};

class SctpSocket {
 public:
  enum class Style { kOneToMany, kOneToOne };

  // Opens a socket of `family` (AF_INET or AF_INET6). A kernel without SCTP
  // gives FAILED_PRECONDITION with a message that says so.
  static absl::StatusOr<SctpSocket> Open(SysCalls& sys, int family, Style style);

  // Adopts an fd already known to be an SCTP socket (e.g. from accept()).
  SctpSocket(SysCalls& sys, UniqueFd fd, Style style) : sys_(&sys), fd_(std::move(fd)), style_(style) {}

  SctpSocket(SctpSocket&&) = default;
  SctpSocket& operator=(SctpSocket&&) = default;

  int fd() const { return fd_.get(); }
  Style style() const { return style_; }

  // sctp_bindx(SCTP_BINDX_ADD_ADDR) of every address; they must share a port
  // (0 = the kernel picks one, see LocalPort()).
  absl::Status Bind(const std::vector<SocketAddress>& addresses);
  // sctp_bindx(SCTP_BINDX_REM_ADDR): the endpoint stops using the addresses.
  absl::Status Unbind(const std::vector<SocketAddress>& addresses);
  absl::Status Listen(int backlog);
  // sctp_connectx(); returns the new association's id. On a non-blocking
  // socket the association is still being set up when this returns.
  absl::StatusOr<sctp_assoc_t> Connect(const std::vector<SocketAddress>& peers);
  // sctp_peeloff(): the association moves to a new one-to-one socket.
  absl::StatusOr<SctpSocket> PeelOff(sctp_assoc_t assoc_id);

  absl::Status SetInitParams(const InitParams& params);
  absl::Status SetNoDelay(bool on);
  // SCTP over UDP (RFC 6951, SCTP_REMOTE_UDP_ENCAPS_PORT): the peer's UDP
  // port for association `assoc_id`, or with SCTP_FUTURE_ASSOC (one-to-one
  // sockets: 0) for associations set up from now on; 0 = directly over IP.
  // Works only where net.sctp.udp_port was set when the socket was created
  // (udp_encapsulation.h).
  absl::Status SetRemoteUdpPort(sctp_assoc_t assoc_id, uint16_t port);
  absl::StatusOr<uint16_t> RemoteUdpPort(sctp_assoc_t assoc_id) const;
  // SCTP_AUTH_SUPPORTED and SCTP_ASCONF_SUPPORTED for future associations
  // (RFC 5061 dynamic address reconfiguration), and SO_REUSEADDR so that the
  // sockets of associations peeled off this one can bind added addresses.
  absl::Status EnableAddressReconfiguration();
  // SO_SNDBUF/SO_RCVBUF in bytes; 0 leaves one unchanged. SCTP buffers are
  // not auto-tuned by the kernel. The *FORCE variants are tried first so that
  // a privileged service is not capped by net.core.[rw]mem_max.
  absl::Status SetBufferSizes(int send_bytes, int receive_bytes);
  // The kernel's effective SO_SNDBUF: no message larger than this can be sent.
  absl::StatusOr<int> SendBufferSize() const;
  absl::StatusOr<AssociationStatus> Status(sctp_assoc_t assoc_id) const;
  absl::Status SetNonBlocking(bool on);
  // SCTP_RECVRCVINFO: every received message carries its SCTP_RCVINFO.
  absl::Status EnableReceiveInfo();
  // SCTP_EVENT for each notification type (SCTP_ASSOC_CHANGE, ...).
  absl::Status SubscribeEvents(const std::vector<uint16_t>& event_types);

  absl::StatusOr<uint16_t> LocalPort() const;
  absl::StatusOr<std::vector<SocketAddress>> LocalAddresses(sctp_assoc_t assoc_id = 0) const;
  absl::StatusOr<std::vector<SocketAddress>> PeerAddresses(sctp_assoc_t assoc_id) const;

  // Sends one whole message; returns the bytes the kernel accepted (all of
  // them: SCTP never accepts part of a message).
  absl::StatusOr<size_t> Send(const SendInfo& info, absl::Span<const uint8_t> data);

  // Receives into `buffer`. A message larger than the buffer arrives in
  // pieces; the last has end_of_record set.
  absl::StatusOr<ReceiveResult> Receive(absl::Span<uint8_t> buffer, int flags = 0);

  void Close() { fd_.Reset(); }

 private:
  absl::StatusOr<std::vector<SocketAddress>> Addresses(sctp_assoc_t assoc_id, bool local) const;
  absl::Status SetOption(int name, const void* value, socklen_t length, const char* what);

  SysCalls* sys_;
  UniqueFd fd_;
  Style style_;
};

}  // namespace sctpgw::net
