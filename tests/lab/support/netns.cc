#include "tests/lab/support/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace sctpgw::testing {

absl::Status RunCommand(const std::string& command) {
  int rc = std::system(command.c_str());
  if (rc == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("`", command, "` failed (status ", rc, ")"));
}

absl::StatusOr<NetNamespace> NetNamespace::Create(const std::string& name) {
  absl::Status created = RunCommand(absl::StrCat("ip netns add ", name));
  if (!created.ok()) return created;
  NetNamespace ns(name);
  absl::Status up = ns.Exec("ip link set lo up");
  if (!up.ok()) return up;
  return ns;
}

NetNamespace::~NetNamespace() {
  if (!name_.empty()) RunCommand(absl::StrCat("ip netns del ", name_)).IgnoreError();
}

absl::Status NetNamespace::Exec(const std::string& command) const {
  return RunCommand(absl::StrCat("ip netns exec ", name_, " ", command));
}

absl::Status NetNamespace::AddLink(const std::string& here, const std::string& local,
                                   const std::string& there, const std::string& remote) const {
  absl::Status status =
      RunCommand(absl::StrCat("ip link add ", here, " type veth peer name ", there, " netns ",
                              name_, " && ip addr add ", local, " dev ", here,
                              " && ip link set ", here, " up"));
  if (!status.ok()) return status;
  status = Exec(absl::StrCat("ip addr add ", remote, " dev ", there));
  if (!status.ok()) return status;
  return Exec(absl::StrCat("ip link set ", there, " up"));
}

ScopedNetns::ScopedNetns(const NetNamespace& ns) {
  previous_.Reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  const std::string path = absl::StrCat("/run/netns/", ns.name());
  net::UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!previous_.valid() || !target.valid() || ::setns(target.get(), CLONE_NEWNET) != 0) {
    status_ = absl::InternalError(absl::StrCat("cannot enter network namespace ", ns.name(),
                                               ": errno ", errno));
  }
}

ScopedNetns::~ScopedNetns() {
  if (previous_.valid() && ::setns(previous_.get(), CLONE_NEWNET) != 0) {
    std::abort();  // Would poison later tests.
  }
}

absl::Status ConnectWithVeth(const NetNamespace& a, const std::string& a_ifname,
                             const std::vector<std::string>& a_addresses, const NetNamespace& b,
                             const std::string& b_ifname,
                             const std::vector<std::string>& b_addresses) {
  absl::Status status = RunCommand(absl::StrCat("ip link add ", a_ifname, " netns ", a.name(),
                                                " type veth peer name ", b_ifname, " netns ",
                                                b.name()));
  if (!status.ok()) return status;
  for (const auto& [ns, ifname, addresses] :
       {std::tie(a, a_ifname, a_addresses), std::tie(b, b_ifname, b_addresses)}) {
    for (const std::string& address : addresses) {
      std::string nodad = address.find(':') != std::string::npos ? " nodad" : "";
      status = ns.Exec(absl::StrCat("ip addr add ", address, " dev ", ifname, nodad));
      if (!status.ok()) return status;
    }
    status = ns.Exec(absl::StrCat("ip link set ", ifname, " up"));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace sctpgw::testing
