// What every sctpctl command shares: the global options, exit statuses,
// error reporting and a client attached to --session.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sctpgw/client.h"

namespace sctpgw::client::sctpctl {

enum Exit {
  kOk = 0,
  kFailed = 1,
  kUsage = 2,
  kUnavailable = 3,
  kNotFound = 4,
  kTimedOut = 5,
};

struct Globals {
  std::string target = "unix:/run/sctpgw/sctpgw.sock";
  std::string session;
  bool json = false;
  int timeout_ms = 10000;
  // TLS for TCP targets: the CA that signed sctpgw's certificate, and this
  // client's certificate and key for mutual TLS.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
};

std::string ReadAll(const std::string& path);
// Plaintext unless a TLS file was given.
std::shared_ptr<grpc::ChannelCredentials> Credentials(const Globals& globals);
// The exit status for an error.
int ExitFor(const absl::Status& status);
// Prints the error ("sctpctl: CODE REASON: ...") and returns its status.
int Fail(const absl::Status& status);
// kOk, or the error reported.
int Done(const absl::Status& status);
// A client attached to --session, without an event stream unless asked.
absl::StatusOr<std::unique_ptr<Client>> Attach(const Globals& globals, bool need_session = true,
                                               EventHandler* handler = nullptr);

// A command of its own file: registers itself on `app`; its callback sets
// `result` to the exit status.
void AddCaptureCommand(CLI::App& app, const Globals& globals, int& result);
void AddTopCommand(CLI::App& app, const Globals& globals, int& result);
// paths (ConfigurePaths), addresses (UpdateEndpointAddresses), peer-primary
// (RequestPeerPrimaryPath); and `session renew` under `session`.
void AddPathCommands(CLI::App& app, const Globals& globals, int& result);
void AddSessionRenewCommand(CLI::App& session, const Globals& globals, int& result);
// receive --follow: prints messages of one association (or any of an
// endpoint's) as they arrive; stops after `count` (0: until interrupted or
// the association ends). The exit status.
int FollowMessages(Client& client, uint64_t association_id, uint64_t endpoint_id, uint32_t count,
                   bool json, bool with_source);

}  // namespace sctpgw::client::sctpctl
