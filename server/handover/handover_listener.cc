#include "server/handover/handover_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "server/handover/handover_channel.h"
#include "server/handover/handover_state.h"

namespace sctpgw::handover {
namespace {

// How long a taker may take to say hello, and then to adopt everything.
constexpr std::chrono::seconds kHelloTimeout{5};
constexpr std::chrono::seconds kReadyTimeout{60};
// How long one packet to the taker may wait for room in its socket.
constexpr std::chrono::seconds kSendTimeout{10};

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

void Refuse(HandoverChannel& channel, const std::string& reason) {
  v1::Frame refusal;
  refusal.mutable_refusal()->set_reason(reason);
  (void)channel.Send(refusal);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HandoverListener>> HandoverListener::Open(const std::string& path,
                                                                         HandoverHost& host,
                                                                         std::string version) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("handover socket path too long: ", path));
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  // A live sctpgw answering there is another one's: refuse to take its path.
  if (auto probe = HandoverChannel::Connect(path); probe.ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("another sctpgw takes handover requests at ", path));
  }
  unlink(path.c_str());
  net::UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Errno("socket(AF_UNIX, SOCK_SEQPACKET)");
  mode_t old_mask = umask(0177);  // 0600 from the start: no window for others.
  int bound = bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
  umask(old_mask);
  if (bound != 0) return Errno(absl::StrCat("bind(", path, ")"));
  if (listen(fd.get(), 4) != 0) return Errno(absl::StrCat("listen(", path, ")"));
  std::unique_ptr<HandoverListener> listener(
      new HandoverListener(path, std::move(fd), host, std::move(version)));
  listener->wake_fd_.Reset(eventfd(0, EFD_CLOEXEC));
  if (!listener->wake_fd_.valid()) return Errno("eventfd");
  return listener;
}

HandoverListener::HandoverListener(std::string path, net::UniqueFd fd, HandoverHost& host,
                                   std::string version)
    : path_(std::move(path)), fd_(std::move(fd)), host_(host), version_(std::move(version)) {}

HandoverListener::~HandoverListener() { Stop(); }

void HandoverListener::Start(std::function<void()> handed_over) {
  handed_over_ = std::move(handed_over);
  thread_ = std::thread([this] { AcceptLoop(); });
}

void HandoverListener::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(wake_fd_.get(), &one, sizeof(one));
    if (thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }
  if (fd_.valid()) {
    fd_.Reset();
    unlink(path_.c_str());
  }
}

void HandoverListener::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("handover {}: poll failed: {}", path_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    net::UniqueFd connection(accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection.valid()) continue;
    // One taker at a time: this loop serves it before accepting another;
    // those that connect meanwhile wait in the backlog.
    if (Serve(std::move(connection))) {
      if (handed_over_) handed_over_();
      return;
    }
  }
}

bool HandoverListener::Serve(net::UniqueFd connection) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  // A taker that stops reading cannot hold this process frozen: a send
  // that waits longer than this fails, and the handover with it.
  timeval send_timeout{static_cast<time_t>(kSendTimeout.count()), 0};
  const bool bounded = setsockopt(connection.get(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout,
                                  sizeof(send_timeout)) == 0;
  HandoverChannel channel(std::move(connection));
  if (!bounded) {
    spdlog::error("handover {}: cannot bound sends to the taker: {}; refused", path_,
                  std::strerror(errno));
    Refuse(channel, "the running sctpgw cannot bound its sends to this connection");
    return false;
  }
  if (getsockopt(channel.fd(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      (peer.uid != 0 && peer.uid != geteuid())) {
    spdlog::warn("handover {}: refused a process of uid {} (pid {}): only root or uid {} may "
                 "take over", path_, peer.uid, peer.pid, geteuid());
    Refuse(channel, "only root or sctpgw's own user may take over");
    return false;
  }
  auto hello = channel.Receive(std::chrono::steady_clock::now() + kHelloTimeout);
  if (!hello.ok() || !hello->has_hello()) {
    spdlog::warn("handover {}: pid {} did not say hello: {}", path_, peer.pid,
                 hello.ok() ? "another frame came" : std::string(hello.status().message()));
    Refuse(channel, "expected a hello");
    return false;
  }
  if (hello->hello().protocol_version() != kProtocolVersion) {
    std::string why = absl::StrCat("handover protocol ", hello->hello().protocol_version(), " (sctpgw ",
                                   hello->hello().sctpgw_version(), ") is not this one's (",
                                   kProtocolVersion, ", sctpgw ", version_, ")");
    spdlog::error("handover {}: refused pid {}: {}", path_, peer.pid, why);
    Refuse(channel, why);
    return false;
  }
  spdlog::warn("handover {}: sctpgw {} (pid {}) is taking over; calls get HANDED_OVER meanwhile",
               path_, hello->hello().sctpgw_version(), peer.pid);
  const auto started = std::chrono::steady_clock::now();
  auto frozen = host_.Freeze();
  if (!frozen.ok()) {
    spdlog::error("handover {}: cannot hand over: {}", path_, frozen.status().ToString());
    Refuse(channel, std::string(frozen.status().message()));
    return false;
  }
  absl::Status status = channel.SendOffer(frozen->state, frozen->fds, version_);
  absl::StatusOr<v1::Frame> answer =
      status.ok() ? channel.Receive(std::chrono::steady_clock::now() + kReadyTimeout)
                  : absl::StatusOr<v1::Frame>(status);
  if (answer.ok() && answer->has_ready()) {
    // From here this process never serves again: the taker reads the
    // sockets as soon as it hears this, and listens on this path for the
    // next handover (the file is left for it to replace).
    v1::Frame released;
    released.mutable_released();
    if (absl::Status told = channel.Send(released); !told.ok()) {
      // The taker is gone after all: it will not read a socket, so this
      // process keeps everything and serves on.
      spdlog::error("handover {}: pid {} went away after it was ready ({}); serving on", path_,
                    peer.pid, told.ToString());
      host_.Thaw(told);
      return false;
    }
    fd_.Reset();
    host_.Release();
    spdlog::warn("handover {}: handed over to pid {} ({} bytes of state, {} sockets, {} ms)",
                 path_, peer.pid, frozen->state.size(), frozen->fds.size(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
    return true;
  }
  absl::Status why = !answer.ok()           ? answer.status()
                     : answer->has_refusal() ? absl::AbortedError(answer->refusal().reason())
                                             : absl::InvalidArgumentError("expected ready");
  spdlog::error("handover {}: pid {} did not take over ({}); serving on",
                path_, peer.pid, why.ToString());
  Refuse(channel, std::string(why.message()));
  host_.Thaw(why);
  return false;
}

}  // namespace sctpgw::handover
