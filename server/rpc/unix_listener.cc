#include "server/rpc/unix_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "server/rpc/peer_identity.h"

namespace sctpgw::rpc {
namespace {

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

sockaddr_un AddressOf(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  return address;
}

// Whether a process accepts connections on the unix socket at `path`.
bool Serving(const std::string& path) {
  net::UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address = AddressOf(path);
  return connect(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
}

// Creates the directory; removes a stale socket left by a process that is
// gone; refuses a live one or anything that is not a socket.
absl::Status Prepare(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return absl::OkStatus();
  if (!S_ISSOCK(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists and is not a socket; refusing to replace it"));
  }
  if (Serving(path)) {
    return absl::FailedPreconditionError(absl::StrCat("another process is serving on ", path));
  }
  unlink(path.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<UnixListener>> UnixListener::Open(
    const std::string& path, const UnixListenerOptions& options) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("unix socket path too long: ", path));
  }
  absl::Status status = Prepare(path);
  if (!status.ok()) return status;
  net::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Errno("socket(AF_UNIX)");
  // From here on the listener owns the socket: a failure below closes it and
  // removes the file (Stop()).
  std::unique_ptr<UnixListener> listener(new UnixListener(path, std::move(fd), options));
  const int listening = listener->fd_.get();
  sockaddr_un address = AddressOf(path);
  if (bind(listening, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return Errno(absl::StrCat("bind(", path, ")"));
  }
  if (chmod(path.c_str(), options.mode) != 0) return Errno(absl::StrCat("chmod(", path, ")"));
  if ((options.owner || options.group) &&
      chown(path.c_str(), options.owner.value_or(static_cast<uid_t>(-1)),
            options.group.value_or(static_cast<gid_t>(-1))) != 0) {
    return Errno(absl::StrCat("chown(", path, ")"));
  }
  if (listen(listening, SOMAXCONN) != 0) return Errno(absl::StrCat("listen(", path, ")"));
  listener->wake_fd_.Reset(eventfd(0, EFD_CLOEXEC));
  if (!listener->wake_fd_.valid()) return Errno("eventfd");
  return listener;
}

absl::StatusOr<std::unique_ptr<UnixListener>> UnixListener::Adopt(
    const std::string& path, net::UniqueFd fd, const UnixListenerOptions& options) {
  sockaddr_un bound{};
  socklen_t length = sizeof(bound);
  int type = 0, listening = 0;
  socklen_t int_length = sizeof(int);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length) != 0 ||
      bound.sun_family != AF_UNIX ||
      getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &int_length) != 0 || type != SOCK_STREAM ||
      getsockopt(fd.get(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &int_length) != 0 ||
      listening == 0 ||
      std::string(bound.sun_path, strnlen(bound.sun_path, sizeof(bound.sun_path))) != path) {
    return absl::FailedPreconditionError(
        absl::StrCat("the socket handed over for unix:", path, " is not one listening there"));
  }
  if (fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK) != 0) {
    return Errno("fcntl(O_NONBLOCK)");
  }
  std::unique_ptr<UnixListener> listener(new UnixListener(path, std::move(fd), options));
  // The file is the running sctpgw's until this one serves (Start()): a
  // taker that gives up must not remove it.
  listener->owns_file_ = false;
  if (chmod(path.c_str(), options.mode) != 0) return Errno(absl::StrCat("chmod(", path, ")"));
  if ((options.owner || options.group) &&
      chown(path.c_str(), options.owner.value_or(static_cast<uid_t>(-1)),
            options.group.value_or(static_cast<gid_t>(-1))) != 0) {
    return Errno(absl::StrCat("chown(", path, ")"));
  }
  listener->wake_fd_.Reset(eventfd(0, EFD_CLOEXEC));
  if (!listener->wake_fd_.valid()) return Errno("eventfd");
  return listener;
}

void UnixListener::Detach() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(wake_fd_.get(), &one, sizeof(one));
    thread_.join();
  }
  fd_.Reset();  // The file stays: it is the new owner's.
}

UnixListener::UnixListener(std::string path, net::UniqueFd fd, UnixListenerOptions options)
    : path_(std::move(path)), fd_(std::move(fd)), options_(std::move(options)) {}

UnixListener::~UnixListener() { Stop(); }

void UnixListener::Start(grpc::Server* server) {
  owns_file_ = true;
  thread_ = std::thread([this, server] { AcceptLoop(server); });
}

void UnixListener::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(wake_fd_.get(), &one, sizeof(one));
    thread_.join();
  }
  if (fd_.valid()) {
    fd_.Reset();
    if (owns_file_) unlink(path_.c_str());
  }
}

void UnixListener::AcceptLoop(grpc::Server* server) {
  bool restricted = !options_.allowed_uids.empty() || !options_.allowed_gids.empty();
  while (true) {
    pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("{}: poll failed: {}", path_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    // Closed here unless it is handed to gRPC below.
    net::UniqueFd client(accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!client.valid()) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
        spdlog::warn("{}: accept failed: {}", path_, std::strerror(errno));
      }
      continue;
    }
    auto credentials = ReadPeerCredentials(client);
    if (!credentials.ok()) {
      spdlog::warn("{}: {}; connection closed", path_, std::string(credentials.status().message()));
      continue;
    }
    if (restricted && options_.allowed_uids.count(credentials->uid) == 0 &&
        options_.allowed_gids.count(credentials->gid) == 0) {
      spdlog::warn("{}: refused a client with uid {} gid {} (pid {}): not in the allow lists",
                   path_, credentials->uid, credentials->gid, credentials->pid);
      continue;
    }
    RecordUnixPeer(client, credentials->uid);
    // gRPC owns the connection from here and closes it.
    grpc::AddInsecureChannelFromFd(server, client.Release());
  }
}

}  // namespace sctpgw::rpc
