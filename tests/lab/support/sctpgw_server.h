// The sctpgw service as a child process for lab tests, and small helpers
// for talking to it through its gRPC API as any application would.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "tests/lab/support/process.h"
#include "tests/support/error_info.h"  // ErrorReason, ErrorMetadata

namespace sctpgw::testing {

class SctpgwServer {
 public:
  // Starts the sctpgw binary listening on a fresh unix socket, with `args`
  // added to its command line, and waits until it answers. `wrapper` runs
  // it (e.g. {"ip", "netns", "exec", name} for another network namespace;
  // the wrapper must exec it, so that its pid is sctpgw's). With
  // `unix_socket_path`, sctpgw listens on that path instead of a fresh one,
  // and whatever is there already (e.g. the stale socket of an instance
  // killed with SIGKILL) is left for sctpgw to deal with.
  static absl::StatusOr<std::unique_ptr<SctpgwServer>> Start(
      const std::vector<std::string>& args = {}, const std::vector<std::string>& wrapper = {},
      const std::string& unix_socket_path = "");

  // A stub on its own connection: each looks like a separate application.
  std::unique_ptr<v1::GatewayService::Stub> NewStub() const;
  pid_t pid() const { return process_.pid(); }
  const std::string& target() const { return target_; }
  // SIGTERM, then the exit status must be 0 within `timeout`.
  absl::Status Stop(std::chrono::milliseconds timeout);
  // Waits for sctpgw to exit by itself (e.g. after handing over to a new
  // process): OK if it exited 0 within `timeout`.
  absl::Status WaitForExit(std::chrono::milliseconds timeout);
  bool Running();

 private:
  SctpgwServer(Subprocess process, std::string target)
      : process_(std::move(process)), target_(std::move(target)) {}
  Subprocess process_;
  std::string target_;
};

// Sets a deadline `timeout` from now on `context`.
void SetTimeout(grpc::ClientContext* context, std::chrono::milliseconds timeout);

// Reads a WatchEvents stream on its own thread and keeps what arrives.
class EventWatch {
 public:
  EventWatch(v1::GatewayService::Stub& stub, const v1::WatchEventsRequest& request);
  ~EventWatch();

  // The first event (in order of arrival) matching `match`, waiting up to
  // `timeout` for it.
  absl::StatusOr<v1::Event> WaitFor(const std::function<bool(const v1::Event&)>& match,
                                    std::chrono::milliseconds timeout);
  // The first response (ack, events or progress) matching `match`.
  absl::StatusOr<v1::WatchEventsResponse> WaitForResponse(
      const std::function<bool(const v1::WatchEventsResponse&)>& match,
      std::chrono::milliseconds timeout);
  // Waits for the stream's end and returns its status.
  absl::StatusOr<grpc::Status> WaitForEnd(std::chrono::milliseconds timeout);
  std::vector<v1::Event> events();
  std::vector<v1::WatchEventsResponse> responses();
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<v1::WatchEventsResponse> responses_;
  std::vector<v1::Event> events_;
  bool ended_ = false;
  grpc::Status end_status_;
  std::thread reader_;
};

// Matchers for EventWatch::WaitFor.
std::function<bool(const v1::Event&)> IsAssociationChange(uint64_t association_id,
                                                          v1::AssociationChangeType type);
// COMM_UP of an association on `endpoint_id` (for incoming associations,
// whose id the test does not know yet).
std::function<bool(const v1::Event&)> IsCommUpOnEndpoint(uint64_t endpoint_id);

}  // namespace sctpgw::testing
