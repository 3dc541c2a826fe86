#include "tests/lab/support/sctp_test_util.h"

#include <poll.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace sctpgw::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until `fd` is readable or the deadline passes.
absl::Status WaitReadable(int fd, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("nothing to read before the deadline");
    pollfd entry{fd, POLLIN, 0};
    int rc = poll(&entry, 1, static_cast<int>(left.count()));
    if (rc > 0) return absl::OkStatus();
    if (rc < 0 && errno != EINTR) return absl::InternalError(absl::StrCat("poll: errno ", errno));
  }
}

}  // namespace

absl::StatusOr<TestMessage> ReceiveMessage(net::SctpSocket& socket,
                                           std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<uint8_t> buffer(64 * 1024);
  TestMessage message;
  bool in_message = false;
  bool in_notification = false;
  for (;;) {
    absl::Status ready = WaitReadable(socket.fd(), deadline);
    if (!ready.ok()) return ready;
    auto piece = socket.Receive(absl::MakeSpan(buffer), MSG_DONTWAIT);
    if (!piece.ok()) {
      if (piece.status().code() == absl::StatusCode::kUnavailable) continue;  // EAGAIN
      return piece.status();
    }
    if (piece->notification || in_notification) {
      in_notification = !piece->end_of_record;
      continue;
    }
    if (!in_message) {
      message.assoc_id = piece->assoc_id;
      message.stream = piece->stream;
      message.ppid = piece->ppid;
      message.unordered = piece->unordered;
      in_message = true;
    }
    message.payload.append(reinterpret_cast<const char*>(buffer.data()), piece->length);
    if (piece->end_of_record) return message;
  }
}

absl::StatusOr<sctp_assoc_t> WaitForCommUp(net::SctpSocket& socket,
                                           std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<uint8_t> buffer(8 * 1024);
  for (;;) {
    absl::Status ready = WaitReadable(socket.fd(), deadline);
    if (!ready.ok()) return ready;
    auto piece = socket.Receive(absl::MakeSpan(buffer), MSG_DONTWAIT);
    if (!piece.ok()) {
      if (piece.status().code() == absl::StatusCode::kUnavailable) continue;
      return piece.status();
    }
    if (!piece->notification) return absl::InternalError("data arrived before COMM_UP");
    const auto* notification = reinterpret_cast<const sctp_notification*>(buffer.data());
    if (piece->length >= sizeof(sctp_assoc_change) &&
        notification->sn_header.sn_type == SCTP_ASSOC_CHANGE &&
        notification->sn_assoc_change.sac_state == SCTP_COMM_UP) {
      return notification->sn_assoc_change.sac_assoc_id;
    }
  }
}

absl::Status SendMessage(net::SctpSocket& socket, sctp_assoc_t assoc_id, uint16_t stream,
                         uint32_t ppid, const std::string& payload, bool unordered) {
  net::SendInfo info;
  info.assoc_id = assoc_id;
  info.stream = stream;
  info.ppid = ppid;
  info.unordered = unordered;
  auto sent = socket.Send(
      info, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
  if (!sent.ok()) return sent.status();
  if (*sent != payload.size()) {
    return absl::InternalError(absl::StrCat("sent ", *sent, " of ", payload.size(), " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace sctpgw::testing
