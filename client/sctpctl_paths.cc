// sctpctl's commands for paths, addresses and the session's lease:
//   paths ASSOC [--peer ADDR] [--rto-initial-ms N] ...   ConfigurePaths
//   addresses ENDPOINT [--add ADDR]... [--remove ADDR]... UpdateEndpointAddresses
//   peer-primary ASSOC LOCAL_ADDRESS                     RequestPeerPrimaryPath
//   session renew                                         RenewLease
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "sctpctl_common.h"
#include "sctpctl_print.h"
#include "sctpgw/format.h"

namespace sctpgw::client::sctpctl {
namespace {

// Each path parameter as a command-line option; unset ones stay unset.
struct PathArgs {
  uint64_t association_id = 0;
  std::string peer;
  std::optional<uint32_t> rto_initial_ms, rto_min_ms, rto_max_ms, association_max_retransmissions,
      heartbeat_interval_ms, path_max_retransmissions, potentially_failed_threshold,
      sack_delay_ms, sack_frequency;
  std::optional<bool> heartbeat;
};

v1::PathParameters ToParameters(const PathArgs& a) {
  v1::PathParameters p;
  if (a.rto_initial_ms) p.set_rto_initial_ms(*a.rto_initial_ms);
  if (a.rto_min_ms) p.set_rto_min_ms(*a.rto_min_ms);
  if (a.rto_max_ms) p.set_rto_max_ms(*a.rto_max_ms);
  if (a.association_max_retransmissions) {
    p.set_association_max_retransmissions(*a.association_max_retransmissions);
  }
  if (a.heartbeat_interval_ms) p.set_heartbeat_interval_ms(*a.heartbeat_interval_ms);
  if (a.heartbeat) p.set_heartbeat_enabled(*a.heartbeat);
  if (a.path_max_retransmissions) p.set_path_max_retransmissions(*a.path_max_retransmissions);
  if (a.potentially_failed_threshold) {
    p.set_potentially_failed_threshold(*a.potentially_failed_threshold);
  }
  if (a.sack_delay_ms) p.set_sack_delay_ms(*a.sack_delay_ms);
  if (a.sack_frequency) p.set_sack_frequency(*a.sack_frequency);
  return p;
}

void AddPathsCommand(CLI::App& app, const Globals& globals, int& result) {
  auto* paths = app.add_subcommand(
      "paths",
      "set an association's timers and thresholds (RTO, retransmissions, heartbeats, delayed "
      "SACK), or with --peer one path's; prints what is in force");
  auto args = std::make_shared<PathArgs>();
  paths->add_option("association", args->association_id, "association id")->required();
  paths->add_option("--peer", args->peer, "only this peer address's path (heartbeat and failure settings)");
  paths->add_option("--rto-initial-ms", args->rto_initial_ms, "initial retransmission timeout, ms");
  paths->add_option("--rto-min-ms", args->rto_min_ms, "smallest retransmission timeout, ms");
  paths->add_option("--rto-max-ms", args->rto_max_ms, "largest retransmission timeout, ms");
  paths->add_option("--association-max-retransmissions", args->association_max_retransmissions,
                    "retransmissions before the association fails");
  paths->add_option("--heartbeat-interval-ms", args->heartbeat_interval_ms,
                    "heartbeat interval, ms (turns heartbeats on)");
  paths->add_option("--heartbeat", args->heartbeat, "heartbeats on (true) or off (false)");
  paths->add_option("--path-max-retransmissions", args->path_max_retransmissions,
                    "retransmissions before a path is inactive");
  paths->add_option("--potentially-failed-threshold", args->potentially_failed_threshold,
                    "errors before a path is potentially failed (0: off)");
  paths->add_option("--sack-delay-ms", args->sack_delay_ms, "delayed SACK, ms");
  paths->add_option("--sack-frequency", args->sack_frequency, "a SACK at least every N packets");
  paths->callback([&globals, &result, args] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    auto done = (*client)->ConfigurePaths(args->association_id, ToParameters(*args), args->peer);
    if (!done.ok()) {
      result = Fail(done.status());
      return;
    }
    if (globals.json) {
      std::cout << Json(*done) << "\n";
      return;
    }
    const v1::PathParameters& p = done->parameters();
    std::cout << "association " << args->association_id << " rto " << p.rto_initial_ms() << "/"
              << p.rto_min_ms() << "/" << p.rto_max_ms() << " ms max-retransmissions "
              << p.association_max_retransmissions() << " heartbeat "
              << (p.heartbeat_enabled() ? absl::StrCat(p.heartbeat_interval_ms(), " ms") : "off")
              << " path-max-retransmissions " << p.path_max_retransmissions() << " pf-threshold "
              << p.potentially_failed_threshold() << " sack " << p.sack_delay_ms() << " ms/"
              << p.sack_frequency() << "\n";
    if (done->has_path()) {
      const v1::PeerPath& path = done->path();
      std::cout << "path " << DescribeAddress(path.address()) << " "
                << PathStateName(path.state()) << " heartbeat "
                << (path.heartbeat_enabled() ? absl::StrCat(path.heartbeat_interval_ms(), " ms")
                                             : "off")
                << " path-max-retransmissions " << path.path_max_retransmissions()
                << " pf-threshold " << path.potentially_failed_threshold() << "\n";
    }
  });
}

void AddAddressesCommand(CLI::App& app, const Globals& globals, int& result) {
  auto* addresses = app.add_subcommand(
      "addresses",
      "add or remove local addresses of a live endpoint (ASCONF tells its peers where both "
      "sides support it); prints the endpoint");
  struct Args {
    uint64_t endpoint_id = 0;
    std::vector<std::string> add, remove;
  };
  auto args = std::make_shared<Args>();
  addresses->add_option("endpoint", args->endpoint_id, "endpoint id")->required();
  addresses->add_option("--add", args->add, "a local address to add (repeatable)");
  addresses->add_option("--remove", args->remove, "a local address to remove (repeatable)");
  addresses->callback([&globals, &result, args] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    auto endpoint = (*client)->UpdateEndpointAddresses(args->endpoint_id, args->add, args->remove);
    if (!endpoint.ok()) {
      result = Fail(endpoint.status());
      return;
    }
    PrintEndpoint(globals.json, *endpoint);
  });
}

void AddPeerPrimaryCommand(CLI::App& app, const Globals& globals, int& result) {
  auto* peer_primary = app.add_subcommand(
      "peer-primary",
      "ask the peer to send to one of this side's addresses by preference (ASCONF SET_PRIMARY)");
  auto association = std::make_shared<uint64_t>(0);
  auto local = std::make_shared<std::string>();
  peer_primary->add_option("association", *association, "association id")->required();
  peer_primary->add_option("local_address", *local, "one of this side's addresses")->required();
  peer_primary->callback([&globals, &result, association, local] {
    auto client = Attach(globals);
    result = client.ok() ? Done((*client)->RequestPeerPrimaryPath(*association, *local))
                         : Fail(client.status());
  });
}

}  // namespace

void AddPathCommands(CLI::App& app, const Globals& globals, int& result) {
  AddPathsCommand(app, globals, result);
  AddAddressesCommand(app, globals, result);
  AddPeerPrimaryCommand(app, globals, result);
}

void AddSessionRenewCommand(CLI::App& session, const Globals& globals, int& result) {
  auto* renew = session.add_subcommand(
      "renew", "renew the session's lease (RenewLease; the only renewal of a session opened "
               "with --application-liveness)");
  renew->callback([&globals, &result] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    result = Done((*client)->RenewLease());
  });
}

}  // namespace sctpgw::client::sctpctl
