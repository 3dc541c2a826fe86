#include "sctpctl_common.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "sctpgw/format.h"

namespace sctpgw::client::sctpctl {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const Globals& globals) {
  if (globals.tls_ca_file.empty() && globals.tls_cert_file.empty()) return nullptr;
  grpc::SslCredentialsOptions options;
  if (!globals.tls_ca_file.empty()) options.pem_root_certs = ReadAll(globals.tls_ca_file);
  if (!globals.tls_cert_file.empty()) {
    options.pem_cert_chain = ReadAll(globals.tls_cert_file);
    options.pem_private_key = ReadAll(globals.tls_key_file);
  }
  return grpc::SslCredentials(options);
}

int ExitFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return kOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return kUsage;
    case absl::StatusCode::kUnavailable:
      // The association failing is sctpgw answering; the service being away
      // (stopping, or handing over to a new process for longer than the
      // call's deadline) is not.
      return ErrorReason(status).empty() || ErrorReason(status) == "SHUTTING_DOWN" ||
                     ErrorReason(status) == "HANDED_OVER"
                 ? kUnavailable
                 : kFailed;
    case absl::StatusCode::kNotFound: return kNotFound;
    case absl::StatusCode::kDeadlineExceeded: return kTimedOut;
    default: return kFailed;
  }
}

int Fail(const absl::Status& status) {
  std::cerr << "sctpctl: " << DescribeError(status) << "\n";
  return ExitFor(status);
}

int Done(const absl::Status& status) { return status.ok() ? kOk : Fail(status); }

absl::StatusOr<std::unique_ptr<Client>> Attach(const Globals& globals, bool need_session,
                                               EventHandler* handler) {
  if (need_session && globals.session.empty()) {
    return absl::InvalidArgumentError(
        "no session: give --session ID or set SCTPGW_SESSION (sctpctl session open)");
  }
  ClientOptions options;
  options.target = globals.target;
  options.credentials = Credentials(globals);
  options.client_name = "sctpctl";
  options.session_id = globals.session;
  options.call_timeout = Milliseconds(globals.timeout_ms);
  options.watch_events = handler != nullptr;
  options.close_session_on_destroy = false;
  return Client::Connect(options, handler);
}

}  // namespace sctpgw::client::sctpctl
