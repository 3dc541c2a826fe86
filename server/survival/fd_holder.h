// A file descriptor store for where there is no service manager: a small
// process (sctpgw-fd-holder) that keeps named descriptors for sctpgw, so
// that a restarted sctpgw finds its SCTP sockets, state record and ledger
// where systemd would have kept them. In a Kubernetes pod it runs as its own
// container beside sctpgw's, sharing the socket volume and (as every
// container of a pod does) the network namespace; sctpgw's container can
// then crash, be restarted or get a new image without its associations
// ending (docs/container.md).
//
// The protocol is systemd's (sd_notify(3)) carried over a unix
// SOCK_SEQPACKET connection, one notification per packet, plus a way to ask
// for the descriptors back, which systemd does through the environment of
// the process it starts:
//   holder -> client, on connecting:   "FDSTOREMAX=<n>\nFDSTORED=<k>"
//   client -> holder:
//     "FDSTORE=1\nFDNAME=<name>" with one descriptor: keep a copy. Refused
//         (logged) when the store is full, the name is not a valid
//         FDNAME (at most 255 printable characters, no ':'), or the same
//         open file is held already under that name. (systemd refuses the
//         same file under any name; here a new sctpgw that took over may
//         store a socket before the old one's removal of it is read.)
//     "FDSTOREREMOVE=1\nFDNAME=<name>": close every copy so named.
//     "FDLIST=1": the holder answers with "FDNAMES=<name>:<name>..."
//         packets carrying those descriptors, in the order they were
//         stored, then "FDLISTEND=<count>". The holder keeps its copies.
//     anything else (READY=1, STOPPING=1, STATUS=..., MAINPID=...): ignored.
// Only a client running as the holder's own user, or as root, is served
// (SO_PEERCRED); the socket is created with mode 0600.
//
// The holder exits on SIGTERM/SIGINT, closing what it holds: the kernel then
// shuts down any association no one else holds (a pod being deleted).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/net/unique_fd.h"

namespace sctpgw::survival {

// Descriptors per FDNAMES packet (the kernel passes at most 253 at once).
inline constexpr size_t kHolderFdsPerPacket = 200;
// The largest packet either side sends: a full FDNAMES packet's names.
inline constexpr size_t kHolderMaxPacketBytes = 64 * 1024;

class FdHolder {
 public:
  struct Options {
    std::string socket_path;
    size_t max_fds = 16384;  // Also bounded by RLIMIT_NOFILE (see Listen()).
    size_t max_clients = 16;
  };

  // Binds `socket_path` (a stale socket there is replaced) and raises the
  // descriptor limit to its hard limit; max_fds is lowered to what that
  // limit leaves room for.
  static absl::StatusOr<std::unique_ptr<FdHolder>> Listen(Options options);
  ~FdHolder();

  // Serves until `stop_fd` is readable (a signalfd, an eventfd). Errors of
  // one client end that client only.
  absl::Status Serve(int stop_fd);

  size_t held() const { return held_.size(); }
  size_t max_fds() const { return options_.max_fds; }

 private:
  struct Held {
    std::string name;
    net::UniqueFd fd;
    struct stat stat;
  };
  struct Client {
    net::UniqueFd fd;
    pid_t pid;
  };

  FdHolder(Options options, net::UniqueFd listener);
  void Accept();
  // False: the client is gone or broke the protocol; drop it.
  bool Handle(Client& client);
  void Keep(const Client& client, const std::string& name, net::UniqueFd fd);
  void Remove(const Client& client, const std::string& name);
  // Handles whatever the other clients sent and the holder has not read
  // (not again while doing so): what a crashed sctpgw sent last is handled
  // before the next one's request for the list, whichever is polled first.
  void DrainOthers(const Client& asking);
  absl::Status List(const Client& client);

  Options options_;
  net::UniqueFd listener_;
  std::vector<Held> held_;
  std::vector<Client> clients_;
  bool draining_ = false;
};

}  // namespace sctpgw::survival
