#include "server/handover/handover_channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/handover/handover_state.h"
#include "server/net/fd_passing.h"

namespace sctpgw::handover {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// The largest state accepted: every queued message of every association
// fits, with room to spare (the default queue limit is 1 MiB each).
// Below 2 GiB: protobuf parses at most INT_MAX bytes. (Queued messages are
// bounded per association, so a real state stays far below.)
constexpr uint64_t kMaxStateBytes = (2ull << 30) - (1ull << 20);

}  // namespace

absl::StatusOr<HandoverChannel> HandoverChannel::Connect(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("handover socket path too long: ", path));
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  net::UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("socket(AF_UNIX, SOCK_SEQPACKET)");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return Errno(absl::StrCat("no sctpgw takes handover requests at ", path));
  }
  return HandoverChannel(std::move(fd));
}

absl::Status HandoverChannel::Send(const v1::Frame& frame, absl::Span<const int> fds) {
  std::string bytes = frame.SerializeAsString();
  if (bytes.size() > kMaxPacketBytes || fds.size() > kMaxDescriptorsPerPacket) {
    return absl::InternalError("handover frame too large");
  }
  if (bytes.empty()) bytes.push_back('\0');  // A frame with nothing set still is one.
  absl::Status sent = net::SendWithFds(fd_.get(), bytes, fds);
  if (!sent.ok()) return absl::UnavailableError(absl::StrCat("handover: ", sent.message()));
  return absl::OkStatus();
}

absl::StatusOr<v1::Frame> HandoverChannel::Receive(Deadline deadline,
                                                  std::vector<net::UniqueFd>* fds) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("handover: the other side is silent");
    pollfd p{fd_.get(), POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 60000)));
    if (ready < 0 && errno != EINTR) return Errno("handover: poll");
    if (ready > 0) break;
  }
  auto packet = net::ReceiveWithFds(fd_.get(), kMaxPacketBytes, kMaxDescriptorsPerPacket);
  if (!packet.ok()) {
    return absl::Status(packet.status().code(), absl::StrCat("handover: ", packet.status().message()));
  }
  if (packet->bytes.empty()) return absl::UnavailableError("handover: the other side closed the connection");
  const std::string& bytes = packet->bytes;
  v1::Frame frame;
  if (!(bytes.size() == 1 && bytes[0] == '\0') &&
      !frame.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("handover: a packet is not a frame");
  }
  if (fds != nullptr) {
    for (auto& fd : packet->fds) fds->push_back(std::move(fd));
  } else if (!packet->fds.empty()) {
    return absl::InvalidArgumentError("handover: descriptors came where none were expected");
  }
  return frame;
}

absl::Status HandoverChannel::SendOffer(const std::string& state, absl::Span<const int> fds,
                                        const std::string& version) {
  constexpr size_t kChunk = kMaxPacketBytes - 1024;
  v1::Frame offer;
  offer.mutable_offer()->set_protocol_version(kProtocolVersion);
  offer.mutable_offer()->set_sctpgw_version(version);
  offer.mutable_offer()->set_state_bytes(state.size());
  offer.mutable_offer()->set_state_chunks(static_cast<uint32_t>((state.size() + kChunk - 1) / kChunk));
  offer.mutable_offer()->set_descriptors(static_cast<uint32_t>(fds.size()));
  if (absl::Status sent = Send(offer); !sent.ok()) return sent;
  for (size_t at = 0; at < state.size(); at += kChunk) {
    v1::Frame chunk;
    chunk.set_state_chunk(state.substr(at, kChunk));
    if (absl::Status sent = Send(chunk); !sent.ok()) return sent;
  }
  for (size_t at = 0; at < fds.size(); at += kMaxDescriptorsPerPacket) {
    size_t count = std::min(kMaxDescriptorsPerPacket, fds.size() - at);
    v1::Frame sockets;
    sockets.mutable_sockets()->set_count(static_cast<uint32_t>(count));
    if (absl::Status sent = Send(sockets, fds.subspan(at, count)); !sent.ok()) return sent;
  }
  return absl::OkStatus();
}

absl::StatusOr<HandoverChannel::Offer> HandoverChannel::ReceiveOffer(uint32_t protocol_version,
                                                                     Deadline deadline) {
  auto first = Receive(deadline);
  if (!first.ok()) return first.status();
  if (first->has_refusal()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the running sctpgw refused the handover: ", first->refusal().reason()));
  }
  if (!first->has_offer()) return absl::InvalidArgumentError("handover: expected an offer");
  const v1::Offer& offer = first->offer();
  if (offer.protocol_version() != protocol_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "handover protocol ", offer.protocol_version(), " of the running sctpgw (",
        offer.sctpgw_version(), ") is not this one's (", protocol_version, ")"));
  }
  if (offer.state_bytes() > kMaxStateBytes) {
    return absl::InvalidArgumentError("handover: the offered state is too large");
  }
  Offer out;
  out.sctpgw_version = offer.sctpgw_version();
  // Grown as chunks come, not reserved from the offer's word.
  for (uint32_t i = 0; i < offer.state_chunks(); ++i) {
    auto chunk = Receive(deadline);
    if (!chunk.ok()) return chunk.status();
    if (chunk->kind_case() != v1::Frame::kStateChunk ||
        out.state.size() + chunk->state_chunk().size() > offer.state_bytes()) {
      return absl::InvalidArgumentError("handover: the state does not match its offer");
    }
    out.state += chunk->state_chunk();
  }
  if (out.state.size() != offer.state_bytes()) {
    return absl::InvalidArgumentError("handover: the state is truncated");
  }
  while (out.fds.size() < offer.descriptors()) {
    std::vector<net::UniqueFd> fds;
    auto sockets = Receive(deadline, &fds);
    if (!sockets.ok()) return sockets.status();
    if (!sockets->has_sockets() || sockets->sockets().count() != fds.size() ||
        out.fds.size() + fds.size() > offer.descriptors()) {
      return absl::InvalidArgumentError("handover: the descriptors do not match the offer");
    }
    for (auto& fd : fds) out.fds.push_back(std::move(fd));
  }
  return out;
}

}  // namespace sctpgw::handover
