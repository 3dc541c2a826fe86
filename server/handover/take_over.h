// The new sctpgw's side of a planned handover (docs/handover.md): started
// with --take-over PATH, it asks the running sctpgw listening there for
// everything it holds, adopts it, says it is ready, and serves once the old
// one has let go. Until then the old one can carry on: any failure here
// (Refuse(), this process exiting) leaves it serving.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/handover/handover_channel.h"
#include "server/handover/handover_state.h"
#include "server/net/unique_fd.h"

namespace sctpgw::handover {

class TakeOver {
 public:
  // Connects, says hello and takes the offer: the state decoded and
  // checked, the descriptors in the order of state.sockets then
  // state.listeners.
  static absl::StatusOr<TakeOver> Start(const std::string& path, const std::string& version);

  HandoverState& state() { return state_; }
  std::vector<net::UniqueFd>& fds() { return fds_; }
  const std::string& holder_version() const { return holder_version_; }

  // Everything is adopted: tells the holder and waits until it has let go.
  // An error means the holder serves on, and this process must not.
  absl::Status Ready();
  // This process cannot take over: the holder serves on.
  void Refuse(const std::string& reason);

 private:
  explicit TakeOver(HandoverChannel channel) : channel_(std::move(channel)) {}

  HandoverChannel channel_;
  HandoverState state_;
  std::vector<net::UniqueFd> fds_;
  std::string holder_version_;
};

}  // namespace sctpgw::handover
