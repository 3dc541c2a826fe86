#include "server/handover/take_over.h"

#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/handover/state_codec.h"

namespace sctpgw::handover {
namespace {

// How long the holder may take to freeze and send everything, and then to
// let go once told this process is ready.
constexpr std::chrono::seconds kOfferTimeout{30};
constexpr std::chrono::seconds kReleaseTimeout{30};

}  // namespace

absl::StatusOr<TakeOver> TakeOver::Start(const std::string& path, const std::string& version) {
  auto channel = HandoverChannel::Connect(path);
  if (!channel.ok()) return channel.status();
  TakeOver take(std::move(*channel));
  v1::Frame hello;
  hello.mutable_hello()->set_protocol_version(kProtocolVersion);
  hello.mutable_hello()->set_sctpgw_version(version);
  hello.mutable_hello()->set_pid(static_cast<uint32_t>(getpid()));
  if (absl::Status sent = take.channel_.Send(hello); !sent.ok()) return sent;
  auto offer = take.channel_.ReceiveOffer(kProtocolVersion,
                                          std::chrono::steady_clock::now() + kOfferTimeout);
  if (!offer.ok()) return offer.status();
  auto state = DecodeState(offer->state);
  if (!state.ok()) {
    take.Refuse(std::string(state.status().message()));
    return state.status();
  }
  if (state->sockets.size() + state->listeners.size() != offer->fds.size()) {
    absl::Status mismatch = absl::InvalidArgumentError(
        absl::StrCat("handover: ", offer->fds.size(), " descriptors came for ",
                     state->sockets.size(), " sockets and ", state->listeners.size(),
                     " listeners"));
    take.Refuse(std::string(mismatch.message()));
    return mismatch;
  }
  take.state_ = std::move(*state);
  take.fds_ = std::move(offer->fds);
  take.holder_version_ = offer->sctpgw_version;
  return take;
}

absl::Status TakeOver::Ready() {
  v1::Frame ready;
  ready.mutable_ready();
  if (absl::Status sent = channel_.Send(ready); !sent.ok()) return sent;
  auto answer = channel_.Receive(std::chrono::steady_clock::now() + kReleaseTimeout);
  if (!answer.ok()) return answer.status();
  if (answer->has_released()) return absl::OkStatus();
  if (answer->has_refusal()) {
    return absl::AbortedError(absl::StrCat("the running sctpgw serves on: ", answer->refusal().reason()));
  }
  return absl::InvalidArgumentError("handover: expected released");
}

void TakeOver::Refuse(const std::string& reason) {
  v1::Frame refusal;
  refusal.mutable_refusal()->set_reason(reason);
  (void)channel_.Send(refusal);
}

}  // namespace sctpgw::handover
