#include "server/net/socket_settings.h"

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>
#include <sys/socket.h>

#include <string>

#include "absl/strings/cord.h"
#include "server/net/errno_status.h"
#include "server/net/sctp_option.h"

namespace sctpgw::net {
namespace {

absl::Status Refused(absl::Status status, absl::string_view setting) {
  status.SetPayload(kRefusedSettingPayload, absl::Cord(setting));
  return status;
}

absl::Status SetInt(SysCalls& sys, int fd, int name, int value, const char* what) {
  return SetSctpOption(sys, fd, name, &value, sizeof(value), what);
}

absl::StatusOr<int> GetInt(SysCalls& sys, int fd, int name, const char* what) {
  int value = 0;
  socklen_t length = sizeof(value);
  absl::Status status = GetSctpOption(sys, fd, name, &value, &length, what);
  if (!status.ok()) return status;
  return value;
}

}  // namespace

std::string RefusedSetting(const absl::Status& status) {
  auto payload = status.GetPayload(kRefusedSettingPayload);
  return payload.has_value() ? std::string(*payload) : std::string();
}

absl::Status ApplySocketSettings(SysCalls& sys, int fd, const SocketSettings& settings) {
  if (settings.cookie_life_ms.has_value()) {
    sctp_assocparams params{};  // Zero fields are left as they are.
    params.sasoc_assoc_id = SCTP_FUTURE_ASSOC;
    params.sasoc_cookie_life = *settings.cookie_life_ms;
    absl::Status status =
        SetSctpOption(sys, fd, SCTP_ASSOCINFO, &params, sizeof(params), "SCTP_ASSOCINFO");
    if (!status.ok()) return Refused(status, "cookie_life_ms");
  }
  if (settings.max_segment_bytes.has_value()) {
    sctp_assoc_value value{};
    value.assoc_id = SCTP_FUTURE_ASSOC;
    value.assoc_value = *settings.max_segment_bytes;
    absl::Status status = SetSctpOption(sys, fd, SCTP_MAXSEG, &value, sizeof(value), "SCTP_MAXSEG");
    if (!status.ok()) return Refused(status, "max_segment_bytes");
  }
  if (settings.disable_fragments) {
    absl::Status status = SetInt(sys, fd, SCTP_DISABLE_FRAGMENTS, 1, "SCTP_DISABLE_FRAGMENTS");
    if (!status.ok()) return Refused(status, "disable_fragments");
  }
  if (settings.partial_delivery_point_bytes.has_value()) {
    uint32_t point = *settings.partial_delivery_point_bytes;
    absl::Status status = SetSctpOption(sys, fd, SCTP_PARTIAL_DELIVERY_POINT, &point,
                                        sizeof(point), "SCTP_PARTIAL_DELIVERY_POINT");
    if (!status.ok()) return Refused(status, "partial_delivery_point_bytes");
  }
  absl::Status status =
      SetInt(sys, fd, SCTP_NODELAY, settings.bundle_messages ? 0 : 1, "SCTP_NODELAY");
  if (!status.ok()) return Refused(status, "bundle_messages");
  return absl::OkStatus();
}

absl::StatusOr<SocketSettings> ReadSocketSettings(SysCalls& sys, int fd) {
  SocketSettings out;
  sctp_assocparams params{};
  params.sasoc_assoc_id = SCTP_FUTURE_ASSOC;
  socklen_t length = sizeof(params);
  absl::Status status =
      GetSctpOption(sys, fd, SCTP_ASSOCINFO, &params, &length, "SCTP_ASSOCINFO");
  if (!status.ok()) return status;
  out.cookie_life_ms = params.sasoc_cookie_life;

  // SO_RCVBUF reads back doubled (the kernel's bookkeeping share); the
  // window is half the buffer, that is the value set.
  int buffer = 0;
  socklen_t buffer_length = sizeof(buffer);
  SysCallIntResult rc = sys.GetSockOpt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, &buffer_length);
  if (!rc.ok()) return ErrnoStatus(rc.error, "getsockopt(SO_RCVBUF)");
  out.receive_window_bytes = static_cast<uint32_t>(buffer / 2);

  sctp_assoc_value segment{};
  segment.assoc_id = SCTP_FUTURE_ASSOC;
  length = sizeof(segment);
  status = GetSctpOption(sys, fd, SCTP_MAXSEG, &segment, &length, "SCTP_MAXSEG");
  if (!status.ok()) return status;
  out.max_segment_bytes = segment.assoc_value;

  auto fragments = GetInt(sys, fd, SCTP_DISABLE_FRAGMENTS, "SCTP_DISABLE_FRAGMENTS");
  if (!fragments.ok()) return fragments.status();
  out.disable_fragments = *fragments != 0;

  uint32_t point = 0;
  length = sizeof(point);
  status = GetSctpOption(sys, fd, SCTP_PARTIAL_DELIVERY_POINT, &point, &length,
                         "SCTP_PARTIAL_DELIVERY_POINT");
  if (!status.ok()) return status;
  out.partial_delivery_point_bytes = point;

  auto no_delay = GetInt(sys, fd, SCTP_NODELAY, "SCTP_NODELAY");
  if (!no_delay.ok()) return no_delay.status();
  out.bundle_messages = *no_delay == 0;
  return out;
}

}  // namespace sctpgw::net
