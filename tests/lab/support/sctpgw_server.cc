#include "tests/lab/support/sctpgw_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"

namespace sctpgw::testing {
namespace {

using namespace std::chrono_literals;

// Generous: the lab emulates its CPU and a process start takes seconds.
constexpr auto kStartTimeout = 60s;

}  // namespace

absl::StatusOr<std::unique_ptr<SctpgwServer>> SctpgwServer::Start(
    const std::vector<std::string>& args, const std::vector<std::string>& wrapper,
    const std::string& unix_socket_path) {
  static std::atomic<int> counter{0};
  std::string path = unix_socket_path;
  if (path.empty()) {
    path = absl::StrCat("/tmp/sctpgw-test-", getpid(), "-", counter++, ".sock");
    unlink(path.c_str());
  }
  std::vector<std::string> argv = wrapper;
  argv.insert(argv.end(), {SCTPGW_BINARY, "--listen", "unix:" + path, "--log-level", "warn"});
  argv.insert(argv.end(), args.begin(), args.end());
  auto process = Subprocess::Start(argv);
  if (!process.ok()) return process.status();
  std::unique_ptr<SctpgwServer> server(
      new SctpgwServer(std::move(*process), "unix:" + path));
  auto channel = grpc::CreateChannel(server->target_, grpc::InsecureChannelCredentials());
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!channel->WaitForConnected(std::chrono::system_clock::now() + 500ms)) {
    if (!server->Running()) return absl::InternalError("sctpgw exited at start");
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("sctpgw did not answer on ", server->target_, " in time"));
    }
  }
  return server;
}

std::unique_ptr<v1::GatewayService::Stub> SctpgwServer::NewStub() const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // A connection of its own.
  args.SetMaxReceiveMessageSize(64 << 20);
  return v1::GatewayService::NewStub(
      grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args));
}

absl::Status SctpgwServer::Stop(std::chrono::milliseconds timeout) {
  process_.Signal(SIGTERM);
  return WaitForExit(timeout);
}

absl::Status SctpgwServer::WaitForExit(std::chrono::milliseconds timeout) {
  auto status = process_.Wait(timeout);
  if (!status.ok()) return status.status();
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::InternalError(absl::StrCat("sctpgw ended with wait status ", *status));
  }
  return absl::OkStatus();
}

bool SctpgwServer::Running() { return !process_.Wait(0ms).ok(); }

void SetTimeout(grpc::ClientContext* context, std::chrono::milliseconds timeout) {
  context->set_deadline(std::chrono::system_clock::now() + timeout);
}

EventWatch::EventWatch(v1::GatewayService::Stub& stub, const v1::WatchEventsRequest& request) {
  reader_ = std::thread([this, &stub, request] {
    auto reader = stub.WatchEvents(&context_, request);
    v1::WatchEventsResponse response;
    while (reader->Read(&response)) {
      std::lock_guard<std::mutex> lock(mu_);
      responses_.push_back(response);
      if (response.has_events()) {
        for (const v1::Event& event : response.events().events()) events_.push_back(event);
      }
      changed_.notify_all();
    }
    grpc::Status status = reader->Finish();
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    end_status_ = status;
    changed_.notify_all();
  });
}

EventWatch::~EventWatch() {
  context_.TryCancel();
  reader_.join();
}

absl::StatusOr<v1::Event> EventWatch::WaitFor(const std::function<bool(const v1::Event&)>& match,
                                              std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t checked = 0;
  for (;;) {
    for (; checked < events_.size(); ++checked) {
      if (match(events_[checked])) return events_[checked];
    }
    if (ended_) return absl::NotFoundError("the event stream ended: " + end_status_.error_message());
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (; checked < events_.size(); ++checked) {
        if (match(events_[checked])) return events_[checked];
      }
      return absl::DeadlineExceededError("no matching event in time");
    }
  }
}

absl::StatusOr<v1::WatchEventsResponse> EventWatch::WaitForResponse(
    const std::function<bool(const v1::WatchEventsResponse&)>& match,
    std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t checked = 0;
  for (;;) {
    for (; checked < responses_.size(); ++checked) {
      if (match(responses_[checked])) return responses_[checked];
    }
    if (ended_) return absl::NotFoundError("the event stream ended: " + end_status_.error_message());
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout &&
        checked == responses_.size()) {
      return absl::DeadlineExceededError("no matching response in time");
    }
  }
}

absl::StatusOr<grpc::Status> EventWatch::WaitForEnd(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!changed_.wait_for(lock, timeout, [this] { return ended_; })) {
    return absl::DeadlineExceededError("the event stream is still open");
  }
  return end_status_;
}

std::vector<v1::Event> EventWatch::events() {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::vector<v1::WatchEventsResponse> EventWatch::responses() {
  std::lock_guard<std::mutex> lock(mu_);
  return responses_;
}

std::function<bool(const v1::Event&)> IsAssociationChange(uint64_t association_id,
                                                          v1::AssociationChangeType type) {
  return [association_id, type](const v1::Event& event) {
    return event.association_id() == association_id && event.has_association_change() &&
           event.association_change().type() == type;
  };
}

std::function<bool(const v1::Event&)> IsCommUpOnEndpoint(uint64_t endpoint_id) {
  return [endpoint_id](const v1::Event& event) {
    return event.endpoint_id() == endpoint_id && event.has_association_change() &&
           event.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP;
  };
}

}  // namespace sctpgw::testing
