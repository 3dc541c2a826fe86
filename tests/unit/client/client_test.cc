// The client library against an in-process fake sctpgw: errors keep the
// service's reason, the event stream resumes from the last event after a
// disconnect, and dispatch mode runs the handler on the caller's thread.
#include "sctpgw/client.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "sctpgw/format.h"

namespace sctpgw::client {
namespace {

using namespace std::chrono_literals;

v1::Event CommUp(uint64_t sequence, uint64_t association) {
  v1::Event event;
  event.set_sequence(sequence);
  event.set_endpoint_id(1);
  event.set_association_id(association);
  event.mutable_association_change()->set_type(v1::ASSOCIATION_CHANGE_TYPE_COMM_UP);
  event.mutable_association_change()->set_inbound_streams(10);
  event.mutable_association_change()->set_outbound_streams(5);
  return event;
}

grpc::Status ErrorWithReason(grpc::StatusCode code, const std::string& message,
                             const std::string& reason) {
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("sctpgw.dev");
  (*info.mutable_metadata())["association_id"] = "9";
  google::rpc::Status details;
  details.set_code(code);
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

// Sessions, one failing call, and a WatchEvents that breaks after its first
// stream: the second stream must ask for what follows the last event.
class FakeGateway final : public v1::GatewayService::Service {
 public:
  grpc::Status OpenSession(grpc::ServerContext*, const v1::OpenSessionRequest*,
                           v1::OpenSessionResponse* response) override {
    response->set_session_id("0123456789abcdef0123456789abcdef");
    response->set_lease_ms(30000);
    return grpc::Status::OK;
  }
  grpc::Status CloseSession(grpc::ServerContext*, const v1::CloseSessionRequest*,
                            v1::CloseSessionResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetAssociation(grpc::ServerContext*, const v1::GetAssociationRequest* request,
                              v1::GetAssociationResponse*) override {
    return ErrorWithReason(grpc::StatusCode::NOT_FOUND,
                           "association " + std::to_string(request->association_id()) +
                               " does not exist",
                           "ASSOCIATION_NOT_FOUND");
  }
  grpc::Status WatchEvents(grpc::ServerContext* context, const v1::WatchEventsRequest* request,
                           grpc::ServerWriter<v1::WatchEventsResponse>* writer) override {
    int call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(*request);
      call = static_cast<int>(requests_.size());
    }
    v1::WatchEventsResponse ack;
    ack.mutable_ack()->set_after_sequence(request->only_new() ? 40 : request->after_sequence());
    writer->Write(ack);
    v1::WatchEventsResponse batch;
    if (call == 1) {
      *batch.mutable_events()->add_events() = CommUp(41, 1);
      *batch.mutable_events()->add_events() = CommUp(42, 2);
      writer->Write(batch);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset");
    }
    *batch.mutable_events()->add_events() = CommUp(43, 3);
    writer->Write(batch);
    while (!context->IsCancelled()) {
      std::unique_lock<std::mutex> lock(mu_);
      released_.wait_for(lock, 50ms);
    }
    return grpc::Status::CANCELLED;
  }
  std::vector<v1::WatchEventsRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::condition_variable released_;
  std::vector<v1::WatchEventsRequest> requests_;
};

class Recorder : public EventHandler {
 public:
  void OnAssociationChange(const v1::Event& event, const v1::AssociationChange&) override {
    std::lock_guard<std::mutex> lock(mu_);
    sequences.push_back(event.sequence());
    thread = std::this_thread::get_id();
    changed_.notify_all();
  }
  void OnStreamStatus(const absl::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    statuses.push_back(status.code());
  }
  void OnReceivingStopped(const absl::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    receiving_stopped = status.code();
    changed_.notify_all();
  }
  bool WaitForReceivingStopped() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, 10s, [&] { return receiving_stopped.has_value(); });
  }
  std::optional<absl::StatusCode> receiving_stopped;
  bool WaitForEvents(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, 10s, [&] { return sequences.size() >= count; });
  }
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<uint64_t> sequences;
  std::vector<absl::StatusCode> statuses;
  std::thread::id thread;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    options_.target = "127.0.0.1:" + std::to_string(port_);
    options_.call_timeout = 5s;
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now() + 1s); }

  FakeGateway fake_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  ClientOptions options_;
};

TEST_F(ClientTest, ErrorsKeepCodeReasonAndMetadata) {
  options_.watch_events = false;
  auto client = Client::Connect(options_);
  ASSERT_TRUE(client.ok()) << client.status();
  auto info = (*client)->GetAssociation(9);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReason(info.status()), "ASSOCIATION_NOT_FOUND");
  EXPECT_EQ(ErrorMetadata(info.status())["association_id"], "9");
  EXPECT_EQ(DescribeError(info.status()),
            "NOT_FOUND ASSOCIATION_NOT_FOUND: association 9 does not exist");
}

TEST_F(ClientTest, EventStreamResumesAfterTheLastEvent) {
  Recorder recorder;
  auto client = Client::Connect(options_, &recorder);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(recorder.WaitForEvents(3));
  EXPECT_EQ(recorder.sequences, (std::vector<uint64_t>{41, 42, 43}));
  EXPECT_EQ((*client)->last_sequence(), 43u);
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].only_new());  // A new session starts with what is new.
  EXPECT_EQ(requests[1].after_sequence(), 42u);
  EXPECT_EQ(requests[1].session_id(), (*client)->session_id());
  std::lock_guard<std::mutex> lock(recorder.mu_);
  // Connected, interrupted, connected again.
  EXPECT_EQ(recorder.statuses, (std::vector<absl::StatusCode>{absl::StatusCode::kOk,
                                                              absl::StatusCode::kUnavailable,
                                                              absl::StatusCode::kOk}));
}

TEST_F(ClientTest, DispatchRunsTheHandlerOnTheCallersThread) {
  Recorder recorder;
  options_.delivery = EventDelivery::kDispatch;
  auto client = Client::Connect(options_, &recorder);
  ASSERT_TRUE(client.ok()) << client.status();
  size_t handled = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (recorder.sequences.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{(*client)->event_fd(), POLLIN, 0};
    if (poll(&fd, 1, 1000) == 1) handled += (*client)->Dispatch();
  }
  EXPECT_EQ(recorder.sequences, (std::vector<uint64_t>{41, 42, 43}));
  EXPECT_EQ(recorder.thread, std::this_thread::get_id());
  EXPECT_GE(handled, 3u);
}

TEST(FormatTest, EventsReadAsOneLine) {
  EXPECT_EQ(DescribeEvent(CommUp(7, 3)), "COMM_UP association 3 endpoint 1 streams in 10 out 5");
  v1::Event down;
  down.set_association_id(3);
  down.set_endpoint_id(1);
  down.mutable_peer_address_change()->set_type(v1::PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE);
  down.mutable_peer_address_change()->mutable_address()->set_ip("198.51.100.2");
  down.mutable_peer_address_change()->set_error(110);
  EXPECT_EQ(DescribeEvent(down),
            "PEER_ADDRESS UNREACHABLE 198.51.100.2 association 3 endpoint 1 error 110");
}

}  // namespace
}  // namespace sctpgw::client

namespace sctpgw::client {
namespace {

// A service without ReceiveStream (UNIMPLEMENTED) cannot be cured by
// retrying: StartReceiving stops and says why instead of retrying for ever.
TEST_F(ClientTest, ReceivingStopsAndSaysWhyOnAnErrorRetryingCannotCure) {
  Recorder recorder;
  auto client = Client::Connect(options_, &recorder);
  ASSERT_TRUE(client.ok()) << client.status();
  (*client)->StartReceiving(/*endpoint_id=*/1);
  ASSERT_TRUE(recorder.WaitForReceivingStopped());
  EXPECT_EQ(*recorder.receiving_stopped, absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace sctpgw::client
