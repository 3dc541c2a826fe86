#include "server/survival/fd_store.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/net/fd_passing.h"
#include "server/survival/fd_holder.h"

namespace sctpgw::survival {
namespace {

using Clock = std::chrono::steady_clock;

absl::Status Sent(int result, const std::string& what) {
  if (result > 0) return absl::OkStatus();
  if (result == 0) return absl::FailedPreconditionError("no service manager ($NOTIFY_SOCKET unset)");
  return absl::UnavailableError(absl::StrCat("sd_notify(", what, "): ", std::strerror(-result)));
}

// How long a holder may take to answer one packet.
constexpr std::chrono::seconds kHolderAnswer{10};

// The value of `key` in a notification-style packet ("KEY=VALUE" lines).
bool Field(absl::string_view packet, absl::string_view key, absl::string_view* value) {
  for (absl::string_view line : absl::StrSplit(packet, '\n')) {
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, "=")) {
      *value = line;
      return true;
    }
  }
  return false;
}

absl::StatusOr<net::ReceivedPacket> ReceiveFromHolder(int fd, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("the fd holder does not answer");
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (ready > 0) break;
  }
  auto packet = net::ReceiveWithFds(fd, kHolderMaxPacketBytes, kHolderFdsPerPacket);
  if (packet.ok() && packet->bytes.empty()) {
    return absl::UnavailableError("the fd holder closed the connection");
  }
  return packet;
}

}  // namespace

std::unique_ptr<FdStore> FdStore::FromEnvironment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return nullptr;
  size_t capacity = 0;
  const char* max = std::getenv("FDSTORE");
  if (max == nullptr || !absl::SimpleAtoi(max, &capacity)) capacity = 0;
  return std::unique_ptr<FdStore>(new FdStore("systemd", net::UniqueFd(), capacity));
}

absl::StatusOr<std::unique_ptr<FdStore>> FdStore::ConnectHolder(const std::string& path,
                                                                std::chrono::milliseconds wait) {
  std::string description = absl::StrCat("fd holder at ", path);
  sockaddr_un address{};
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("fd holder socket path empty or too long: ", path));
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  auto deadline = Clock::now() + wait;
  net::UniqueFd fd;
  for (auto pause = std::chrono::milliseconds(10);; pause = std::min(pause * 2, std::chrono::milliseconds(500))) {
    fd.Reset(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) break;
    // Not there yet (ENOENT, ECONNREFUSED): a holder starting beside us.
    int error = errno;
    if (Clock::now() + pause > deadline) {
      return absl::UnavailableError(absl::StrCat("no ", description, " (", std::strerror(error),
                                                 ") after ", wait.count(), " ms"));
    }
    std::this_thread::sleep_for(pause);
  }
  // The stack's thread sends to the holder: a holder that stops reading
  // makes a store fail (and crash survival end, logged), not sctpgw hang.
  timeval timeout{2, 0};
  (void)setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  auto hello = ReceiveFromHolder(fd.get(), Clock::now() + kHolderAnswer);
  if (!hello.ok()) return absl::UnavailableError(absl::StrCat(description, ": ", hello.status().message()));
  absl::string_view max;
  size_t capacity = 0;
  if (!Field(hello->bytes, "FDSTOREMAX", &max) || !absl::SimpleAtoi(max, &capacity)) {
    return absl::FailedPreconditionError(
        absl::StrCat(description, " is not an fd holder (it said \"", hello->bytes, "\")"));
  }
  return std::unique_ptr<FdStore>(new FdStore(std::move(description), std::move(fd), capacity));
}

absl::StatusOr<std::vector<StoredFd>> FdStore::TakeHandedBack() {
  std::vector<StoredFd> fds;
  if (!holder_.valid()) {
    char** names = nullptr;
    int count = sd_listen_fds_with_names(/*unset_environment=*/1, &names);
    for (int i = 0; i < count; ++i) {
      StoredFd stored;
      stored.fd = net::UniqueFd(SD_LISTEN_FDS_START + i);
      stored.name = names != nullptr && names[i] != nullptr ? names[i] : "";
      fds.push_back(std::move(stored));
    }
    if (names != nullptr) {
      for (int i = 0; names[i] != nullptr; ++i) std::free(names[i]);
      std::free(names);
    }
    return fds;
  }
  if (absl::Status asked = SendToHolder("FDLIST=1", -1); !asked.ok()) return asked;
  auto deadline = Clock::now() + kHolderAnswer;
  for (;;) {
    auto packet = ReceiveFromHolder(holder_.get(), deadline);
    if (!packet.ok()) {
      return absl::Status(packet.status().code(),
                          absl::StrCat(description_, ": ", packet.status().message()));
    }
    absl::string_view value;
    if (Field(packet->bytes, "FDLISTEND", &value)) {
      size_t count = 0;
      if (!absl::SimpleAtoi(value, &count) || count != fds.size()) {
        return absl::DataLossError(absl::StrCat(description_, " listed ", value, " descriptors, sent ",
                                                fds.size()));
      }
      return fds;
    }
    std::vector<std::string> names;
    if (Field(packet->bytes, "FDNAMES", &value)) names = absl::StrSplit(value, ':');
    if (names.size() != packet->fds.size()) {
      return absl::DataLossError(absl::StrCat(description_, " sent ", packet->fds.size(),
                                              " descriptors with ", names.size(), " names"));
    }
    for (size_t i = 0; i < names.size(); ++i) {
      fds.push_back(StoredFd{std::move(names[i]), std::move(packet->fds[i])});
    }
  }
}

absl::Status FdStore::SendToHolder(const std::string& text, int fd) {
  absl::Status sent = fd >= 0 ? net::SendWithFds(holder_.get(), text, {fd})
                              : net::SendWithFds(holder_.get(), text, {});
  if (sent.ok()) return sent;
  return absl::UnavailableError(absl::StrCat(description_, ": ", sent.message()));
}

absl::Status FdStore::Store(const std::string& name, int fd) {
  std::string text = absl::StrCat("FDSTORE=1\nFDNAME=", name);
  if (holder_.valid()) return SendToHolder(text, fd);
  return Sent(sd_pid_notify_with_fds(0, 0, text.c_str(), &fd, 1), text);
}

absl::Status FdStore::Remove(const std::string& name) {
  std::string text = absl::StrCat("FDSTOREREMOVE=1\nFDNAME=", name);
  if (holder_.valid()) return SendToHolder(text, -1);
  return Sent(sd_pid_notify(0, 0, text.c_str()), text);
}

absl::Status FdStore::Notify(const std::string& text) {
  if (holder_.valid()) return SendToHolder(text, -1);
  return Sent(sd_pid_notify(0, 0, text.c_str()), text);
}

}  // namespace sctpgw::survival
