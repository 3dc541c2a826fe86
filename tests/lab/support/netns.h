// Network namespaces for lab tests: several SCTP hosts in one kernel.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/net/unique_fd.h"

namespace sctpgw::testing {

// Runs a shell command; OK only if it exits 0.
absl::Status RunCommand(const std::string& command);

// A named network namespace (`ip netns add`), deleted on destruction.
class NetNamespace {
 public:
  static absl::StatusOr<NetNamespace> Create(const std::string& name);
  NetNamespace(NetNamespace&& other) noexcept : name_(std::move(other.name_)) { other.name_.clear(); }
  NetNamespace& operator=(NetNamespace&&) = delete;
  ~NetNamespace();

  const std::string& name() const { return name_; }
  // Runs `command` inside the namespace (`ip netns exec`).
  absl::Status Exec(const std::string& command) const;
  // A veth link from the calling thread's namespace to this one: `here`
  // with `local` (CIDR form) on this side, `there` with `remote` inside,
  // both up. Delete `here` (`ip link del`) to remove it.
  absl::Status AddLink(const std::string& here, const std::string& local,
                       const std::string& there, const std::string& remote) const;

 private:
  explicit NetNamespace(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// While alive, the calling thread is in `ns`; sockets opened meanwhile stay in
// it for good. Restores the thread's previous namespace on destruction.
class ScopedNetns {
 public:
  explicit ScopedNetns(const NetNamespace& ns);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  const absl::Status& status() const { return status_; }

 private:
  net::UniqueFd previous_;  // The thread's namespace before.
  absl::Status status_;
};

// Joins two namespaces with a veth pair and gives each end the addresses
// (CIDR form, IPv4 or IPv6) listed for it.
absl::Status ConnectWithVeth(const NetNamespace& a, const std::string& a_ifname,
                             const std::vector<std::string>& a_addresses, const NetNamespace& b,
                             const std::string& b_ifname,
                             const std::vector<std::string>& b_addresses);

}  // namespace sctpgw::testing
