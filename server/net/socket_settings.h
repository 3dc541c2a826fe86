// The socket API's remaining per-endpoint settings (RFC 6458): state
// cookie life, the receive window, the largest DATA chunk, fragmentation
// refused, the partial delivery point and bundling (SCTP_NODELAY off).
// Applied to an endpoint's socket for its associations to come, and read
// back as the kernel has them.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/net/sctp_types.h"
#include "server/net/sys_calls.h"

namespace sctpgw::net {

// A setting the kernel refused carries this payload on its status: the
// SocketSettings member's name ("max_segment_bytes", ...).
inline constexpr absl::string_view kRefusedSettingPayload = "sctpgw.net/refused-setting";
// The member named by a status from ApplySocketSettings(), or "".
std::string RefusedSetting(const absl::Status& status);

// Applies every field that is set, after SO_RCVBUF (which the partial
// delivery point is checked against). The receive window is left to
// SctpSocket::SetBufferSizes: Linux ignores sasoc_local_rwnd and derives
// the window from SO_RCVBUF.
absl::Status ApplySocketSettings(SysCalls& sys, int fd, const SocketSettings& settings);
// Every field, as the kernel reports it on the endpoint's socket.
absl::StatusOr<SocketSettings> ReadSocketSettings(SysCalls& sys, int fd);

}  // namespace sctpgw::net
