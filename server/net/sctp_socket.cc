#include "server/net/sctp_socket.h"

#include <arpa/inet.h>
#include <errno.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/net/errno_status.h"
#include "server/net/kernel_values.h"

namespace sctpgw::net {

absl::StatusOr<SctpSocket> SctpSocket::Open(SysCalls& sys, int family, Style style) {
  if (family != AF_INET && family != AF_INET6) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported address family ", family));
  }
  int type = style == Style::kOneToMany ? SOCK_SEQPACKET : SOCK_STREAM;
  SysCallIntResult rc = sys.Socket(family, type, IPPROTO_SCTP);
  if (!rc.ok()) {
    if (rc.error == EPROTONOSUPPORT || rc.error == ESOCKTNOSUPPORT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this kernel has no SCTP (socket(IPPROTO_SCTP) failed: ", std::strerror(rc.error),
          "); load the sctp module or run in a kernel built with CONFIG_IP_SCTP"));
    }
    return ErrnoStatus(rc.error, "socket(IPPROTO_SCTP)");
  }
  return SctpSocket(sys, UniqueFd(rc.value), style);
}

absl::Status SctpSocket::Bind(const std::vector<SocketAddress>& addresses) {
  if (addresses.empty()) return absl::InvalidArgumentError("no local address to bind");
  std::vector<uint8_t> packed = PackAddresses(addresses);
  SysCallIntResult rc = sys_->SctpBindx(fd(), reinterpret_cast<sockaddr*>(packed.data()),
                                        static_cast<int>(addresses.size()), SCTP_BINDX_ADD_ADDR);
  if (!rc.ok()) return ErrnoStatus(rc.error, absl::StrCat("sctp_bindx(", addresses[0].ToString(), ")"));
  return absl::OkStatus();
}

absl::Status SctpSocket::Unbind(const std::vector<SocketAddress>& addresses) {
  if (addresses.empty()) return absl::InvalidArgumentError("no local address to unbind");
  std::vector<uint8_t> packed = PackAddresses(addresses);
  SysCallIntResult rc = sys_->SctpBindx(fd(), reinterpret_cast<sockaddr*>(packed.data()),
                                        static_cast<int>(addresses.size()), SCTP_BINDX_REM_ADDR);
  if (!rc.ok()) {
    return ErrnoStatus(rc.error, absl::StrCat("sctp_bindx(REM ", addresses[0].ToString(), ")"));
  }
  return absl::OkStatus();
}

absl::Status SctpSocket::Listen(int backlog) {
  SysCallIntResult rc = sys_->Listen(fd(), backlog);
  if (!rc.ok()) return ErrnoStatus(rc.error, "listen");
  return absl::OkStatus();
}

absl::StatusOr<sctp_assoc_t> SctpSocket::Connect(const std::vector<SocketAddress>& peers) {
  if (peers.empty()) return absl::InvalidArgumentError("no peer address to connect to");
  std::vector<uint8_t> packed = PackAddresses(peers);
  sctp_assoc_t assoc_id = 0;
  SysCallIntResult rc = sys_->SctpConnectx(fd(), reinterpret_cast<sockaddr*>(packed.data()),
                                           static_cast<int>(peers.size()), &assoc_id);
  if (!rc.ok() && rc.error != EINPROGRESS) {
    return ErrnoStatus(rc.error, absl::StrCat("sctp_connectx(", peers[0].ToString(), ")"));
  }
  return assoc_id;
}

absl::StatusOr<SctpSocket> SctpSocket::PeelOff(sctp_assoc_t assoc_id) {
  SysCallIntResult rc = sys_->SctpPeeloff(fd(), assoc_id);
  if (!rc.ok()) return ErrnoStatus(rc.error, absl::StrCat("sctp_peeloff(", assoc_id, ")"));
  return SctpSocket(*sys_, UniqueFd(rc.value), Style::kOneToOne);
}

absl::Status SctpSocket::SetOption(int name, const void* value, socklen_t length,
                                   const char* what) {
  SysCallIntResult rc = sys_->SetSockOpt(fd(), IPPROTO_SCTP, name, value, length);
  if (!rc.ok()) return ErrnoStatus(rc.error, absl::StrCat("setsockopt(", what, ")"));
  return absl::OkStatus();
}

absl::Status SctpSocket::SetInitParams(const InitParams& params) {
  sctp_initmsg init{};
  init.sinit_num_ostreams = params.num_ostreams;
  init.sinit_max_instreams = params.max_instreams;
  init.sinit_max_attempts = params.max_attempts;
  init.sinit_max_init_timeo = params.max_init_timeout_ms;
  return SetOption(SCTP_INITMSG, &init, sizeof(init), "SCTP_INITMSG");
}

absl::Status SctpSocket::SetNoDelay(bool on) {
  int value = on ? 1 : 0;
  return SetOption(SCTP_NODELAY, &value, sizeof(value), "SCTP_NODELAY");
}

absl::Status SctpSocket::EnableAddressReconfiguration() {
  // ASCONF chunks must be authenticated (RFC 5061 section 4.2.7): AUTH first,
  // so that enabling ASCONF adds its chunks to the authenticated list.
  for (auto [name, what] : {std::pair{SCTP_AUTH_SUPPORTED, "SCTP_AUTH_SUPPORTED"},
                            std::pair{SCTP_ASCONF_SUPPORTED, "SCTP_ASCONF_SUPPORTED"}}) {
    sctp_assoc_value value{};
    value.assoc_id = SCTP_FUTURE_ASSOC;
    value.assoc_value = 1;
    absl::Status status = SetOption(name, &value, sizeof(value), what);
    if (!status.ok()) return status;
  }
  // Live associations' sockets then bind the endpoint's new addresses too;
  // the kernel lets sockets sharing a port do that only with SO_REUSEADDR.
  int on = 1;
  SysCallIntResult rc = sys_->SetSockOpt(fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (!rc.ok()) return ErrnoStatus(rc.error, "setsockopt(SO_REUSEADDR)");
  return absl::OkStatus();
}

absl::Status SctpSocket::SetBufferSizes(int send_bytes, int receive_bytes) {
  if (send_bytes > 0) {
    SysCallIntResult rc =
        sys_->SetSockOpt(fd(), SOL_SOCKET, SO_SNDBUFFORCE, &send_bytes, sizeof(int));
    if (!rc.ok()) rc = sys_->SetSockOpt(fd(), SOL_SOCKET, SO_SNDBUF, &send_bytes, sizeof(int));
    if (!rc.ok()) return ErrnoStatus(rc.error, "setsockopt(SO_SNDBUF)");
  }
  if (receive_bytes > 0) {
    SysCallIntResult rc =
        sys_->SetSockOpt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_bytes, sizeof(int));
    if (!rc.ok()) rc = sys_->SetSockOpt(fd(), SOL_SOCKET, SO_RCVBUF, &receive_bytes, sizeof(int));
    if (!rc.ok()) return ErrnoStatus(rc.error, "setsockopt(SO_RCVBUF)");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> SctpSocket::SendBufferSize() const {
  int value = 0;
  socklen_t length = sizeof(value);
  SysCallIntResult rc = sys_->GetSockOpt(fd(), SOL_SOCKET, SO_SNDBUF, &value, &length);
  if (!rc.ok()) return ErrnoStatus(rc.error, "getsockopt(SO_SNDBUF)");
  return value;
}

absl::StatusOr<AssociationStatus> SctpSocket::Status(sctp_assoc_t assoc_id) const {
  sctp_status raw{};
  raw.sstat_assoc_id = style_ == Style::kOneToMany ? assoc_id : 0;
  socklen_t length = sizeof(raw);
  SysCallIntResult rc = sys_->GetSockOpt(fd(), IPPROTO_SCTP, SCTP_STATUS, &raw, &length);
  if (!rc.ok()) return ErrnoStatus(rc.error, "getsockopt(SCTP_STATUS)");
  AssociationStatus status;
  status.state = DecodeProtocolState(raw.sstat_state);
  status.peer_rwnd = raw.sstat_rwnd;
  status.unacked_chunks = raw.sstat_unackdata;
  status.pending_chunks = raw.sstat_penddata;
  status.inbound_streams = raw.sstat_instrms;
  status.outbound_streams = raw.sstat_outstrms;
  status.fragmentation_point = raw.sstat_fragmentation_point;
  sockaddr_storage primary;
  std::memcpy(&primary, &raw.sstat_primary.spinfo_address, sizeof(primary));
  auto address =
      SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&primary), sizeof(primary));
  if (address.ok()) status.primary_address = *address;
  status.primary_state = DecodePathState(raw.sstat_primary.spinfo_state);
  status.primary_cwnd = raw.sstat_primary.spinfo_cwnd;
  status.primary_srtt_ms = raw.sstat_primary.spinfo_srtt;
  status.primary_rto_ms = raw.sstat_primary.spinfo_rto;
  status.primary_mtu = raw.sstat_primary.spinfo_mtu;
  return status;
}

absl::Status SctpSocket::SetRemoteUdpPort(sctp_assoc_t assoc_id, uint16_t port) {
  sctp_udpencaps encaps{};  // A zero address: the association, not one path.
  encaps.sue_assoc_id = assoc_id;
  encaps.sue_port = htons(port);
  return SetOption(SCTP_REMOTE_UDP_ENCAPS_PORT, &encaps, sizeof(encaps),
                   "SCTP_REMOTE_UDP_ENCAPS_PORT");
}

absl::StatusOr<uint16_t> SctpSocket::RemoteUdpPort(sctp_assoc_t assoc_id) const {
  sctp_udpencaps encaps{};
  encaps.sue_assoc_id = style_ == Style::kOneToMany ? assoc_id : 0;
  socklen_t length = sizeof(encaps);
  SysCallIntResult rc =
      sys_->GetSockOpt(fd(), IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &encaps, &length);
  if (!rc.ok()) return ErrnoStatus(rc.error, "getsockopt(SCTP_REMOTE_UDP_ENCAPS_PORT)");
  return ntohs(encaps.sue_port);
}

absl::Status SctpSocket::SetNonBlocking(bool on) {
  SysCallIntResult rc = sys_->SetNonBlocking(fd(), on);
  if (!rc.ok()) return ErrnoStatus(rc.error, "fcntl(O_NONBLOCK)");
  return absl::OkStatus();
}

absl::Status SctpSocket::EnableReceiveInfo() {
  int on = 1;
  return SetOption(SCTP_RECVRCVINFO, &on, sizeof(on), "SCTP_RECVRCVINFO");
}

absl::Status SctpSocket::SubscribeEvents(const std::vector<uint16_t>& event_types) {
  for (uint16_t type : event_types) {
    sctp_event event{};
    event.se_assoc_id = SCTP_FUTURE_ASSOC;
    event.se_type = type;
    event.se_on = 1;
    absl::Status status = SetOption(SCTP_EVENT, &event, sizeof(event), "SCTP_EVENT");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint16_t> SctpSocket::LocalPort() const {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  SysCallIntResult rc = sys_->GetSockName(fd(), reinterpret_cast<sockaddr*>(&storage), &length);
  if (!rc.ok()) return ErrnoStatus(rc.error, "getsockname");
  auto address = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&storage), length);
  if (!address.ok()) return address.status();
  return address->port();
}

absl::StatusOr<std::vector<SocketAddress>> SctpSocket::Addresses(sctp_assoc_t assoc_id,
                                                                 bool local) const {
  sockaddr* packed = nullptr;
  SysCallIntResult rc = sys_->SctpGetAddrs(fd(), assoc_id, local, &packed);
  if (!rc.ok()) {
    return ErrnoStatus(rc.error, local ? "sctp_getladdrs" : "sctp_getpaddrs");
  }
  if (rc.value == 0 || packed == nullptr) return std::vector<SocketAddress>{};
  auto addresses = UnpackAddresses(packed, rc.value);
  sys_->SctpFreeAddrs(packed, local);
  return addresses;
}

absl::StatusOr<std::vector<SocketAddress>> SctpSocket::LocalAddresses(sctp_assoc_t assoc_id) const {
  return Addresses(assoc_id, true);
}

absl::StatusOr<std::vector<SocketAddress>> SctpSocket::PeerAddresses(sctp_assoc_t assoc_id) const {
  return Addresses(assoc_id, false);
}

absl::StatusOr<size_t> SctpSocket::Send(const SendInfo& info, absl::Span<const uint8_t> data) {
  // Room for an SCTP_SNDINFO and an SCTP_PRINFO control message.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sctp_sndinfo)) + CMSG_SPACE(sizeof(sctp_prinfo))] = {};
  iovec iov{const_cast<uint8_t*>(data.data()), data.size()};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = CMSG_SPACE(sizeof(sctp_sndinfo));
  if (info.destination.has_value()) {
    // The association is found by this address, and SCTP_ADDR_OVER keeps
    // its path for the message (RFC 6458 section 5.3.4).
    message.msg_name = const_cast<sockaddr*>(info.destination->sockaddr_ptr());
    message.msg_namelen = info.destination->length();
  }

  cmsghdr* cmsg = CMSG_FIRSTHDR(&message);
  cmsg->cmsg_level = IPPROTO_SCTP;
  cmsg->cmsg_type = SCTP_SNDINFO;
  cmsg->cmsg_len = CMSG_LEN(sizeof(sctp_sndinfo));
  sctp_sndinfo sndinfo{};
  sndinfo.snd_sid = info.stream;
  sndinfo.snd_ppid = htonl(info.ppid);
  uint16_t flags = info.unordered ? SCTP_UNORDERED : 0;
  if (info.control == SendInfo::Control::kEndOfFile) flags |= SCTP_EOF;
  if (info.control == SendInfo::Control::kAbort) flags |= SCTP_ABORT;
  if (info.destination.has_value()) flags |= SCTP_ADDR_OVER;
  sndinfo.snd_flags = flags;
  sndinfo.snd_context = info.context;
  sndinfo.snd_assoc_id = style_ == Style::kOneToMany ? info.assoc_id : 0;
  std::memcpy(CMSG_DATA(cmsg), &sndinfo, sizeof(sndinfo));

  if (info.pr_policy != SendInfo::PrPolicy::kReliable) {
    message.msg_controllen += CMSG_SPACE(sizeof(sctp_prinfo));
    cmsg = CMSG_NXTHDR(&message, cmsg);
    cmsg->cmsg_level = IPPROTO_SCTP;
    cmsg->cmsg_type = SCTP_PRINFO;
    cmsg->cmsg_len = CMSG_LEN(sizeof(sctp_prinfo));
    sctp_prinfo prinfo{};
    switch (info.pr_policy) {
      case SendInfo::PrPolicy::kTimed: prinfo.pr_policy = SCTP_PR_SCTP_TTL; break;
      case SendInfo::PrPolicy::kRetransmissions: prinfo.pr_policy = SCTP_PR_SCTP_RTX; break;
      case SendInfo::PrPolicy::kPriority: prinfo.pr_policy = SCTP_PR_SCTP_PRIO; break;
      case SendInfo::PrPolicy::kReliable: break;
    }
    prinfo.pr_value = info.pr_value;
    std::memcpy(CMSG_DATA(cmsg), &prinfo, sizeof(prinfo));
  }

  SysCallSizeResult rc = sys_->SendMsg(fd(), &message, 0);
  if (!rc.ok()) return ErrnoStatus(rc.error, "sendmsg");
  return static_cast<size_t>(rc.value);
}

absl::StatusOr<ReceiveResult> SctpSocket::Receive(absl::Span<uint8_t> buffer, int flags) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sctp_rcvinfo)) + CMSG_SPACE(sizeof(sctp_nxtinfo))] = {};
  iovec iov{buffer.data(), buffer.size()};
  sockaddr_storage source{};
  msghdr message{};
  message.msg_name = &source;
  message.msg_namelen = sizeof(source);
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);

  SysCallSizeResult rc = sys_->RecvMsg(fd(), &message, flags);
  if (!rc.ok()) return ErrnoStatus(rc.error, "recvmsg");

  ReceiveResult result;
  result.length = static_cast<size_t>(rc.value);
  result.end_of_record = (message.msg_flags & MSG_EOR) != 0;
  result.notification = (message.msg_flags & MSG_NOTIFICATION) != 0;
  if (!result.notification && message.msg_namelen > 0 &&
      (source.ss_family == AF_INET || source.ss_family == AF_INET6)) {
    auto address = SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&source),
                                               message.msg_namelen);
    if (address.ok()) result.source = *address;
  }
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&message); cmsg != nullptr;
       cmsg = CMSG_NXTHDR(&message, cmsg)) {
    if (cmsg->cmsg_level != IPPROTO_SCTP || cmsg->cmsg_type != SCTP_RCVINFO ||
        cmsg->cmsg_len < CMSG_LEN(sizeof(sctp_rcvinfo))) {
      continue;
    }
    sctp_rcvinfo rcvinfo;
    std::memcpy(&rcvinfo, CMSG_DATA(cmsg), sizeof(rcvinfo));
    result.has_info = true;
    result.assoc_id = rcvinfo.rcv_assoc_id;
    result.stream = rcvinfo.rcv_sid;
    result.ssn = rcvinfo.rcv_ssn;
    result.tsn = rcvinfo.rcv_tsn;
    result.ppid = ntohl(rcvinfo.rcv_ppid);
    result.unordered = (rcvinfo.rcv_flags & SCTP_UNORDERED) != 0;
  }
  return result;
}

}  // namespace sctpgw::net
