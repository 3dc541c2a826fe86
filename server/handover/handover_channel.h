// One end of a handover connection between two sctpgw processes: a unix
// SOCK_SEQPACKET socket carrying one Frame per packet, some with
// descriptors (SCM_RIGHTS). Every wait is bounded by a deadline. Also the
// larger steps both ends take: the state in chunks, the descriptors in
// batches.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sctpgw/handover/v1/handover.pb.h"
#include "server/net/unique_fd.h"

namespace sctpgw::handover {

using Deadline = std::chrono::steady_clock::time_point;

// The largest packet either end sends or accepts, and descriptors per packet.
inline constexpr size_t kMaxPacketBytes = 48 * 1024;
inline constexpr size_t kMaxDescriptorsPerPacket = 200;  // The kernel's SCM_MAX_FD is 253.

class HandoverChannel {
 public:
  explicit HandoverChannel(net::UniqueFd fd) : fd_(std::move(fd)) {}
  // Connects to a holder listening at `path`.
  static absl::StatusOr<HandoverChannel> Connect(const std::string& path);

  absl::Status Send(const v1::Frame& frame, absl::Span<const int> fds = {});
  // The next frame, and the descriptors it carried (CLOEXEC, owned by the
  // caller). UNAVAILABLE when the other end closed, DEADLINE_EXCEEDED.
  absl::StatusOr<v1::Frame> Receive(Deadline deadline, std::vector<net::UniqueFd>* fds = nullptr);

  // Holder: the offer, the state in chunks, the descriptors in batches.
  absl::Status SendOffer(const std::string& state, absl::Span<const int> fds,
                         const std::string& version);
  // Taker: what SendOffer() sent. The offer's protocol version must be
  // `protocol_version`.
  struct Offer {
    std::string sctpgw_version;
    std::string state;
    std::vector<net::UniqueFd> fds;
  };
  absl::StatusOr<Offer> ReceiveOffer(uint32_t protocol_version, Deadline deadline);

  int fd() const { return fd_.get(); }

 private:
  net::UniqueFd fd_;
};

}  // namespace sctpgw::handover
