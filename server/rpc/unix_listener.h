// Unix-socket listeners that sctpgw accepts on itself, so that it knows
// each client's credentials (SO_PEERCRED): connections from users and groups
// outside the allow lists are closed, and every accepted connection is
// handed to the gRPC server with the uid it came from on record
// (peer_identity.h).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "server/net/unique_fd.h"

namespace grpc {
class Server;
}

namespace sctpgw::rpc {

struct UnixListenerOptions {
  unsigned mode = 0660;
  std::optional<uid_t> owner;
  std::optional<gid_t> group;
  // Empty both: anyone who can open the socket. Otherwise a client whose
  // uid is in allowed_uids or whose gid is in allowed_gids.
  std::set<uid_t> allowed_uids;
  std::set<gid_t> allowed_gids;
};

class UnixListener {
 public:
  // Binds and listens on `path` (a stale socket there is replaced; a live
  // one is refused), with the mode, owner and group of `options`.
  static absl::StatusOr<std::unique_ptr<UnixListener>> Open(const std::string& path,
                                                            const UnixListenerOptions& options);
  // Takes over a listening socket that another sctpgw handed over: it must
  // be a unix stream socket listening at `path`. The mode, owner and group
  // of `options` are applied again.
  static absl::StatusOr<std::unique_ptr<UnixListener>> Adopt(const std::string& path,
                                                             net::UniqueFd fd,
                                                             const UnixListenerOptions& options);
  ~UnixListener();
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  // Accepts connections for `server` (already started) on a thread of its own.
  void Start(grpc::Server* server);
  // Stops accepting and removes the socket file.
  void Stop();
  // Stops accepting and lets go of the socket, leaving the file: another
  // sctpgw has taken it over (it shares the listening socket, and accepts
  // what waits in its backlog).
  void Detach();
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

 private:
  UnixListener(std::string path, net::UniqueFd fd, UnixListenerOptions options);
  void AcceptLoop(grpc::Server* server);

  const std::string path_;
  bool owns_file_ = true;  // Stop() removes the socket file.
  net::UniqueFd fd_;       // The listening socket; closed (and the file removed) by Stop().
  net::UniqueFd wake_fd_;  // eventfd: ends the accept loop.
  const UnixListenerOptions options_;
  std::thread thread_;
};

}  // namespace sctpgw::rpc
