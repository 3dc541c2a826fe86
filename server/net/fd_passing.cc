#include "server/net/fd_passing.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sctpgw::net {

absl::Status SendWithFds(int socket, absl::string_view bytes, absl::Span<const int> fds) {
  if (bytes.empty() || fds.size() > kMaxFdsPerMessage) {
    return absl::InvalidArgumentError("a packet must carry bytes and at most 253 descriptors");
  }
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * std::max<size_t>(fds.size(), 1)));
  if (!fds.empty()) {
    message.msg_control = control.data();
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }
  while (sendmsg(socket, &message, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return absl::UnavailableError(absl::StrCat("sendmsg: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ReceivedPacket> ReceiveWithFds(int socket, size_t max_bytes, size_t max_fds) {
  max_fds = std::min(max_fds, kMaxFdsPerMessage);
  ReceivedPacket packet;
  packet.bytes.resize(max_bytes + 1);
  iovec iov{packet.bytes.data(), packet.bytes.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * std::max<size_t>(max_fds, 1)));
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  ssize_t length;
  while ((length = recvmsg(socket, &message, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) return absl::UnavailableError(absl::StrCat("recvmsg: ", std::strerror(errno)));
  }
  // Whatever descriptors came are owned (and closed on error) from here.
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      packet.fds.emplace_back(fd);
    }
  }
  if ((message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
      static_cast<size_t>(length) > max_bytes || packet.fds.size() > max_fds) {
    return absl::InvalidArgumentError("a packet or its descriptors were too large");
  }
  packet.bytes.resize(static_cast<size_t>(length));
  return packet;
}

}  // namespace sctpgw::net
