// Packets with descriptors over a unix socket (SCM_RIGHTS): one send, one
// receive, nothing else. Used by the handover channel between two sctpgw
// processes and by the file descriptor holder (survival/fd_holder.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/net/unique_fd.h"

namespace sctpgw::net {

// The kernel passes at most SCM_MAX_FD (253) descriptors in one message.
inline constexpr size_t kMaxFdsPerMessage = 253;

// Sends `bytes` (not empty) with `fds` attached, in one sendmsg().
// UNAVAILABLE with errno's text when the kernel refuses.
absl::Status SendWithFds(int socket, absl::string_view bytes, absl::Span<const int> fds);

struct ReceivedPacket {
  std::string bytes;            // Empty: the other end closed the connection.
  std::vector<UniqueFd> fds;    // CLOEXEC, owned.
};

// Receives one packet of at most `max_bytes` with at most `max_fds`
// descriptors, without waiting longer than the socket does (poll first).
// INVALID_ARGUMENT when the packet or its descriptors were cut short: the
// descriptors that did arrive are closed.
absl::StatusOr<ReceivedPacket> ReceiveWithFds(int socket, size_t max_bytes, size_t max_fds);

}  // namespace sctpgw::net
