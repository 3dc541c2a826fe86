#include "server/survival/fd_holder.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/net/fd_passing.h"
#include "spdlog/spdlog.h"

namespace sctpgw::survival {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Descriptors the holder needs for itself: the listener, clients, stdio.
constexpr size_t kOwnFds = 32;

// systemd's rule for FDNAME=: at most 255 printable ASCII characters, no ':'.
bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 127 && c != ':'; });
}

// Whether two descriptors of this process are the same open file, as
// systemd decides it: different inodes never are; the same inode (an
// eventfd's, any anonymous inode's) is asked of kcmp(2). Where kcmp is not
// allowed (a seccomp profile), the same inode counts as the same file only
// for what has inodes of its own (sockets, memfds, files).
bool SameFile(int a, const struct stat& a_stat, int b, const struct stat& b_stat) {
  if (a_stat.st_dev != b_stat.st_dev || a_stat.st_ino != b_stat.st_ino) return false;
  pid_t self = getpid();
  long compared = syscall(SYS_kcmp, self, self, KCMP_FILE, a, b);
  if (compared >= 0) return compared == 0;
  return S_ISSOCK(a_stat.st_mode) || S_ISREG(a_stat.st_mode);
}

// A client as logs name it: SO_PEERCRED gives 0 for a process in another
// PID namespace (another container of the pod).
std::string Who(pid_t pid) {
  return pid != 0 ? absl::StrCat("pid ", pid) : std::string("a client in another PID namespace");
}

}  // namespace

absl::StatusOr<std::unique_ptr<FdHolder>> FdHolder::Listen(Options options) {
  sockaddr_un address{};
  if (options.socket_path.empty() || options.socket_path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fd holder socket path empty or longer than ", sizeof(address.sun_path) - 1,
                     " bytes: ", options.socket_path));
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
      size_t room = limit.rlim_cur > kOwnFds ? limit.rlim_cur - kOwnFds : 0;
      options.max_fds = std::min(options.max_fds, room);
    }
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, options.socket_path.data(), options.socket_path.size());
  struct stat existing{};
  if (lstat(options.socket_path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(options.socket_path, " exists and is not a socket"));
    }
    (void)unlink(options.socket_path.c_str());  // A holder that died left it.
  }
  net::UniqueFd listener(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return Errno("socket(AF_UNIX, SOCK_SEQPACKET)");
  mode_t old_mask = umask(0077);
  int bound = bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
  umask(old_mask);
  if (bound != 0) return Errno(absl::StrCat("bind ", options.socket_path));
  if (listen(listener.get(), 8) != 0) return Errno("listen");
  return std::unique_ptr<FdHolder>(new FdHolder(std::move(options), std::move(listener)));
}

FdHolder::FdHolder(Options options, net::UniqueFd listener)
    : options_(std::move(options)), listener_(std::move(listener)) {}

FdHolder::~FdHolder() { (void)unlink(options_.socket_path.c_str()); }

absl::Status FdHolder::Serve(int stop_fd) {
  for (;;) {
    std::vector<pollfd> polled;
    polled.push_back({stop_fd, POLLIN, 0});
    polled.push_back({listener_.get(), POLLIN, 0});
    for (const Client& client : clients_) polled.push_back({client.fd.get(), POLLIN, 0});
    if (poll(polled.data(), polled.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return Errno("poll");
    }
    if (polled[0].revents != 0) return absl::OkStatus();
    // Clients first, by index from the end: a dropped one is erased.
    for (size_t i = clients_.size(); i-- > 0;) {
      if (polled[i + 2].revents == 0 && clients_[i].fd.valid()) continue;
      // Still readable: another's request may have drained it meanwhile.
      pollfd still{clients_[i].fd.get(), POLLIN, 0};
      if (clients_[i].fd.valid() && poll(&still, 1, 0) == 0) continue;
      if (!clients_[i].fd.valid() || !Handle(clients_[i])) {
        spdlog::info("{} disconnected; holding {} descriptors", Who(clients_[i].pid),
                     held_.size());
        clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    if (polled[1].revents != 0) Accept();
  }
}

void FdHolder::Accept() {
  net::UniqueFd fd(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd.valid()) {
    spdlog::warn("fd holder: accept: {}", std::strerror(errno));
    return;
  }
  ucred peer{};
  socklen_t size = sizeof(peer);
  if (getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
    spdlog::warn("fd holder: SO_PEERCRED: {}", std::strerror(errno));
    return;
  }
  if (peer.uid != 0 && peer.uid != geteuid()) {
    spdlog::warn("fd holder: refused {}: runs as uid {}, not as this holder's uid {} or root",
                 Who(peer.pid), peer.uid, geteuid());
    return;
  }
  if (clients_.size() >= options_.max_clients) {
    spdlog::warn("fd holder: refused {}: {} clients already", Who(peer.pid), clients_.size());
    return;
  }
  // A client that stops reading must not stop the holder.
  timeval timeout{5, 0};
  (void)setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::string hello = absl::StrCat("FDSTOREMAX=", options_.max_fds, "\nFDSTORED=", held_.size());
  if (absl::Status sent = net::SendWithFds(fd.get(), hello, {}); !sent.ok()) {
    spdlog::warn("fd holder: {}: {}", Who(peer.pid), std::string(sent.message()));
    return;
  }
  spdlog::info("{} connected; holding {} descriptors", Who(peer.pid), held_.size());
  clients_.push_back(Client{std::move(fd), peer.pid});
}

bool FdHolder::Handle(Client& client) {
  auto packet = net::ReceiveWithFds(client.fd.get(), kHolderMaxPacketBytes, 1);
  if (!packet.ok()) {
    spdlog::warn("fd holder: {}: {}", Who(client.pid), std::string(packet.status().message()));
    return packet.status().code() == absl::StatusCode::kInvalidArgument;
  }
  if (packet->bytes.empty()) return false;  // Closed.
  bool store = false, remove = false, list = false;
  std::string name;
  for (absl::string_view line : absl::StrSplit(packet->bytes, '\n', absl::SkipEmpty())) {
    if (line == "FDSTORE=1") store = true;
    else if (line == "FDSTOREREMOVE=1") remove = true;
    else if (line == "FDLIST=1") list = true;
    else if (absl::ConsumePrefix(&line, "FDNAME=")) name = std::string(line);
  }
  if (store) {
    if (packet->fds.size() != 1) {
      spdlog::warn("fd holder: {}: FDSTORE with {} descriptors, not one", Who(client.pid),
                   packet->fds.size());
    } else {
      Keep(client, name, std::move(packet->fds[0]));
    }
    return true;
  }
  if (!packet->fds.empty()) {
    spdlog::warn("fd holder: {}: descriptors without FDSTORE=1, closed", Who(client.pid));
  }
  if (remove) Remove(client, name);
  if (list) {
    // What other clients sent before this request counts: the packets a
    // crashed sctpgw sent last are still queued on its connection.
    DrainOthers(client);
    if (absl::Status listed = List(client); !listed.ok()) {
      spdlog::warn("fd holder: {}: listing: {}", Who(client.pid), std::string(listed.message()));
      return false;
    }
  }
  return true;
}

void FdHolder::Keep(const Client& client, const std::string& name, net::UniqueFd fd) {
  if (!ValidName(name)) {
    spdlog::warn("fd holder: {}: refused a descriptor: FDNAME \"{}\" is not 1-255 printable "
                 "characters without ':'", Who(client.pid), name);
    return;
  }
  if (held_.size() >= options_.max_fds) {
    spdlog::error("fd holder: {}: refused {}: {} descriptors held, the most this holder keeps "
                  "(--max-fds, RLIMIT_NOFILE)", Who(client.pid), name, held_.size());
    return;
  }
  struct stat file{};
  if (fstat(fd.get(), &file) != 0) {
    spdlog::warn("fd holder: {}: refused {}: fstat: {}", Who(client.pid), name, std::strerror(errno));
    return;
  }
  for (const Held& held : held_) {
    // Under another name the same file is kept: an sctpgw that took over
    // from another stores what the other one is removing, and the two
    // connections' packets may be read in either order.
    if (held.name == name && SameFile(held.fd.get(), held.stat, fd.get(), file)) {
      spdlog::warn("fd holder: {}: refused {}: the same file is held as {}", Who(client.pid), name,
                   held.name);
      return;
    }
  }
  spdlog::debug("fd holder: keeping {} for {}", name, Who(client.pid));
  held_.push_back(Held{name, std::move(fd), file});
}

void FdHolder::Remove(const Client& client, const std::string& name) {
  size_t before = held_.size();
  held_.erase(std::remove_if(held_.begin(), held_.end(),
                             [&](const Held& held) { return held.name == name; }),
              held_.end());
  spdlog::debug("fd holder: closed {} copies of {} for {}", before - held_.size(), name,
                Who(client.pid));
}

void FdHolder::DrainOthers(const Client& asking) {
  if (draining_) return;  // Already draining: a request among the others' packets.
  draining_ = true;
  for (size_t i = clients_.size(); i-- > 0;) {
    Client& other = clients_[i];
    if (&other == &asking || !other.fd.valid()) continue;
    for (;;) {
      pollfd p{other.fd.get(), POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) break;
      if (!Handle(other)) {
        other.fd.Reset();  // Dropped by Serve().
        break;
      }
    }
  }
  draining_ = false;
}

absl::Status FdHolder::List(const Client& client) {
  for (size_t at = 0; at < held_.size(); at += kHolderFdsPerPacket) {
    size_t count = std::min(kHolderFdsPerPacket, held_.size() - at);
    std::vector<std::string> names;
    std::vector<int> fds;
    for (size_t i = at; i < at + count; ++i) {
      names.push_back(held_[i].name);
      fds.push_back(held_[i].fd.get());
    }
    std::string text = absl::StrCat("FDNAMES=", absl::StrJoin(names, ":"));
    if (absl::Status sent = net::SendWithFds(client.fd.get(), text, fds); !sent.ok()) return sent;
  }
  spdlog::info("fd holder: handed {} descriptors to {}", held_.size(), Who(client.pid));
  return net::SendWithFds(client.fd.get(), absl::StrCat("FDLISTEND=", held_.size()), {});
}

}  // namespace sctpgw::survival
