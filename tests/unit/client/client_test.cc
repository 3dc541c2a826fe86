// The client library against an in-process fake sctpgw: errors keep the
// service's reason, the event stream resumes from the last event after a
// disconnect, and dispatch mode runs the handler on the caller's thread.
#include "sctpgw/client.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <condition_variable>
#include <mutex>
#include <string>
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
    {
      std::lock_guard<std::mutex> lock(mu_);
      get_association_ = *request;
    }
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
  // Takes every message of a Send, and records the request.
  grpc::Status Send(grpc::ServerContext*, const v1::SendRequest* request,
                    v1::SendResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    send_ = *request;
    response->set_accepted_messages(static_cast<uint32_t>(request->messages_size()));
    return grpc::Status::OK;
  }
  grpc::Status RequestHeartbeat(grpc::ServerContext*, const v1::RequestHeartbeatRequest* request,
                                v1::RequestHeartbeatResponse*) override {
    std::lock_guard<std::mutex> lock(mu_);
    heartbeat_ = *request;
    return grpc::Status::OK;
  }
  // Records the request of each path and address call, and answers.
  grpc::Status Associate(grpc::ServerContext*, const v1::AssociateRequest* request,
                         v1::AssociateResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    associate_ = *request;
    response->mutable_association()->set_association_id(21);
    return grpc::Status::OK;
  }
  // Endpoint 1 has no receive stream (UNIMPLEMENTED); any other target
  // gets one message naming it, then the stream stays open until cancelled.
  grpc::Status ReceiveStream(grpc::ServerContext* context, const v1::ReceiveRequest* request,
                             grpc::ServerWriter<v1::ReceiveResponse>* writer) override {
    if (request->endpoint_id() == 1) {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no receive stream here");
    }
    v1::ReceiveResponse response;
    v1::InboundMessage* message = response.add_messages();
    message->set_association_id(request->association_id() != 0 ? request->association_id() : 70);
    message->set_payload(request->association_id() != 0
                             ? "association " + std::to_string(request->association_id())
                             : "endpoint " + std::to_string(request->endpoint_id()));
    writer->Write(response);
    while (!context->IsCancelled()) {
      std::unique_lock<std::mutex> lock(mu_);
      released_.wait_for(lock, 50ms);
    }
    return grpc::Status::CANCELLED;
  }
  grpc::Status Shutdown(grpc::ServerContext*, const v1::ShutdownRequest* request,
                        v1::ShutdownResponse*) override {
    return ErrorWithReason(grpc::StatusCode::NOT_FOUND,
                           "association " + std::to_string(request->association_id()) +
                               " does not exist",
                           "ASSOCIATION_NOT_FOUND");
  }
  grpc::Status ConfigurePaths(grpc::ServerContext*, const v1::ConfigurePathsRequest* request,
                              v1::ConfigurePathsResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    configure_paths_ = *request;
    *response->mutable_parameters() = request->parameters();
    return grpc::Status::OK;
  }
  grpc::Status UpdateEndpointAddresses(grpc::ServerContext*,
                                       const v1::UpdateEndpointAddressesRequest* request,
                                       v1::UpdateEndpointAddressesResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    update_addresses_ = *request;
    response->mutable_endpoint()->set_endpoint_id(request->endpoint_id());
    return grpc::Status::OK;
  }
  grpc::Status RequestPeerPrimaryPath(grpc::ServerContext*,
                                      const v1::RequestPeerPrimaryPathRequest* request,
                                      v1::RequestPeerPrimaryPathResponse*) override {
    std::lock_guard<std::mutex> lock(mu_);
    peer_primary_ = *request;
    return ErrorWithReason(grpc::StatusCode::FAILED_PRECONDITION, "no ASCONF here",
                           "RECONFIGURATION_UNSUPPORTED");
  }
  v1::AssociateRequest associate() {
    std::lock_guard<std::mutex> lock(mu_);
    return associate_;
  }
  v1::ConfigurePathsRequest configure_paths() {
    std::lock_guard<std::mutex> lock(mu_);
    return configure_paths_;
  }
  v1::UpdateEndpointAddressesRequest update_addresses() {
    std::lock_guard<std::mutex> lock(mu_);
    return update_addresses_;
  }
  v1::RequestPeerPrimaryPathRequest peer_primary() {
    std::lock_guard<std::mutex> lock(mu_);
    return peer_primary_;
  }
  std::vector<v1::WatchEventsRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  v1::SendRequest send() {
    std::lock_guard<std::mutex> lock(mu_);
    return send_;
  }
  v1::RequestHeartbeatRequest heartbeat() {
    std::lock_guard<std::mutex> lock(mu_);
    return heartbeat_;
  }
  v1::GetAssociationRequest get_association() {
    std::lock_guard<std::mutex> lock(mu_);
    return get_association_;
  }

 private:
  std::mutex mu_;
  std::condition_variable released_;
  std::vector<v1::WatchEventsRequest> requests_;
  v1::SendRequest send_;
  v1::RequestHeartbeatRequest heartbeat_;
  v1::GetAssociationRequest get_association_;
  v1::AssociateRequest associate_;
  v1::ConfigurePathsRequest configure_paths_;
  v1::UpdateEndpointAddressesRequest update_addresses_;
  v1::RequestPeerPrimaryPathRequest peer_primary_;
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
  void OnAssociated(uint64_t tag, const absl::StatusOr<v1::Association>& result) override {
    std::lock_guard<std::mutex> lock(mu_);
    associated.emplace_back(tag, result.ok() ? result->association_id() : 0);
    thread = std::this_thread::get_id();
  }
  void OnShutdownComplete(uint64_t tag, uint64_t association_id,
                          const absl::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down.emplace_back(tag, association_id);
    shutdown_reason = ErrorReason(status);
  }
  void OnMessage(const v1::InboundMessage& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    messages.push_back(message.payload());
    changed_.notify_all();
  }
  bool WaitForMessages(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, 10s, [&] { return messages.size() >= count; });
  }
  std::vector<std::string> messages;
  std::vector<std::pair<uint64_t, uint64_t>> associated;  // Tag, association.
  std::vector<std::pair<uint64_t, uint64_t>> shut_down;
  std::string shutdown_reason;
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

// The non-blocking Associate and Shutdown return at once; their outcomes
// come from Dispatch(), on the caller's thread, never inside the call.
TEST_F(ClientTest, AsynchronousCallsCompleteThroughDispatch) {
  Recorder recorder;
  options_.delivery = EventDelivery::kDispatch;
  options_.watch_events = false;
  auto client = Client::Connect(options_, &recorder);
  ASSERT_TRUE(client.ok()) << client.status();
  AssociateOptions associate;
  associate.peer_addresses = {"198.51.100.2"};
  associate.peer_port = 38412;
  const uint64_t up = (*client)->AssociateAsync(5, associate);
  const uint64_t down = (*client)->ShutdownAsync(33);
  EXPECT_NE(up, down);
  {
    std::lock_guard<std::mutex> lock(recorder.mu_);
    EXPECT_TRUE(recorder.associated.empty() && recorder.shut_down.empty())
        << "an outcome was handled inside the call";
  }
  auto deadline = std::chrono::steady_clock::now() + 10s;
  auto done = [&] {
    std::lock_guard<std::mutex> lock(recorder.mu_);
    return recorder.associated.size() == 1 && recorder.shut_down.size() == 1;
  };
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{(*client)->event_fd(), POLLIN, 0};
    if (poll(&fd, 1, 1000) == 1) (*client)->Dispatch();
  }
  ASSERT_TRUE(done());
  EXPECT_EQ(recorder.associated[0], std::make_pair(up, uint64_t{21}));
  EXPECT_EQ(recorder.shut_down[0], std::make_pair(down, uint64_t{33}));
  EXPECT_EQ(recorder.shutdown_reason, "ASSOCIATION_NOT_FOUND");
  EXPECT_EQ(recorder.thread, std::this_thread::get_id());
  EXPECT_EQ(fake_.associate().peer_port(), 38412u);
}

// A bounded dispatch queue: with room for one item, the event stream waits
// for Dispatch() instead of queueing more; every event still arrives, in
// order.
TEST_F(ClientTest, ABoundedDispatchQueuePushesBackInsteadOfGrowing) {
  Recorder recorder;
  options_.delivery = EventDelivery::kDispatch;
  options_.max_dispatch_queue = 1;
  auto client = Client::Connect(options_, &recorder);
  ASSERT_TRUE(client.ok()) << client.status();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (recorder.sequences.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{(*client)->event_fd(), POLLIN, 0};
    if (poll(&fd, 1, 1000) == 1) {
      EXPECT_LE((*client)->Dispatch(), 1u);
    }
  }
  EXPECT_EQ(recorder.sequences, (std::vector<uint64_t>{41, 42, 43}));
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

// Receivers per endpoint and per association run side by side, each on
// its own stream; an endpoint's handler takes what its receiver delivers,
// and stopping one receiver leaves the other.
TEST_F(ClientTest, ReceiversPerEndpointAndAssociationAndHandlersPerEndpoint) {
  Recorder session_handler;
  Recorder endpoint_handler;
  options_.watch_events = false;
  auto client = Client::Connect(options_, &session_handler);
  ASSERT_TRUE(client.ok()) << client.status();
  (*client)->SetEndpointHandler(2, &endpoint_handler);
  (*client)->StartReceiving(/*endpoint_id=*/2);
  (*client)->StartReceiving(/*endpoint_id=*/0, /*association_id=*/7);
  (*client)->StartReceiving(/*endpoint_id=*/2);  // Runs already: nothing more.
  ASSERT_TRUE(endpoint_handler.WaitForMessages(1));
  ASSERT_TRUE(session_handler.WaitForMessages(1));
  (*client)->StopReceiving(/*endpoint_id=*/2);
  (*client)->StopReceiving(/*endpoint_id=*/0, /*association_id=*/7);
  std::lock_guard<std::mutex> a(endpoint_handler.mu_);
  std::lock_guard<std::mutex> b(session_handler.mu_);
  EXPECT_EQ(endpoint_handler.messages, std::vector<std::string>{"endpoint 2"});
  EXPECT_EQ(session_handler.messages, std::vector<std::string>{"association 7"});
}

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

namespace sctpgw::client {
namespace {

// SendOptions on the wire: every field, and the PR-SCTP policies' presence
// (max_retransmissions 0 is "sent once", not "unset").
TEST(SendOptionsTest, MakeMessageMapsEveryField) {
  SendOptions options;
  options.stream = 3;
  options.ppid = 46;
  options.unordered = true;
  options.max_retransmissions = 0;
  options.peer_address = "198.51.100.2";
  options.context = 77;
  v1::OutboundMessage message = MakeMessage("hello", options);
  EXPECT_EQ(message.stream(), 3u);
  EXPECT_EQ(message.ppid(), 46u);
  EXPECT_TRUE(message.unordered());
  EXPECT_EQ(message.lifetime_ms(), 0u);
  ASSERT_TRUE(message.has_max_retransmissions());
  EXPECT_EQ(message.max_retransmissions(), 0u);
  EXPECT_FALSE(message.has_priority());
  EXPECT_EQ(message.peer_address(), "198.51.100.2");
  EXPECT_EQ(message.context(), 77u);
  EXPECT_EQ(message.payload(), "hello");

  SendOptions prioritised;
  prioritised.priority = 65535;
  message = MakeMessage("x", prioritised);
  EXPECT_FALSE(message.has_max_retransmissions());
  ASSERT_TRUE(message.has_priority());
  EXPECT_EQ(message.priority(), 65535u);
  EXPECT_EQ(message.peer_address(), "");

  SendOptions timed;
  timed.lifetime_ms = 250;
  message = MakeMessage("x", timed);
  EXPECT_EQ(message.lifetime_ms(), 250u);
  EXPECT_FALSE(message.has_max_retransmissions());
  EXPECT_FALSE(message.has_priority());
}

// EndpointOptions on the wire: no socket_settings unless one is asked for;
// each asked for present (0 too), and the oversized-messages policy.
TEST(EndpointOptionsTest, SocketSettingsAndOversizedPolicyReachTheRequest) {
  EndpointOptions plain = EndpointOptions::Listening({"192.0.2.1"}, 2905);
  v1::OpenEndpointRequest request = MakeOpenEndpointRequest(plain);
  EXPECT_FALSE(request.has_socket_settings());
  EXPECT_EQ(request.oversized_messages(), v1::OVERSIZED_MESSAGES_UNSPECIFIED);
  EXPECT_EQ(request.port(), 2905u);
  EXPECT_TRUE(request.listen());

  EndpointOptions options = EndpointOptions::Outgoing({"192.0.2.1"});
  options.cookie_life_ms = 30000;
  options.receive_window_bytes = 65536;
  options.max_segment_bytes = 0;
  options.disable_fragments = true;
  options.partial_delivery_point_bytes = 8192;
  options.bundle_messages = true;
  options.oversized_messages = v1::OVERSIZED_MESSAGES_ABORT;
  request = MakeOpenEndpointRequest(options);
  ASSERT_TRUE(request.has_socket_settings());
  const v1::SocketSettings& settings = request.socket_settings();
  EXPECT_EQ(settings.cookie_life_ms(), 30000u);
  EXPECT_EQ(settings.receive_window_bytes(), 65536u);
  ASSERT_TRUE(settings.has_max_segment_bytes());
  EXPECT_EQ(settings.max_segment_bytes(), 0u);
  EXPECT_TRUE(settings.disable_fragments());
  EXPECT_EQ(settings.partial_delivery_point_bytes(), 8192u);
  EXPECT_TRUE(settings.bundle_messages());
  EXPECT_EQ(request.oversized_messages(), v1::OVERSIZED_MESSAGES_ABORT);

  EndpointOptions bundling = EndpointOptions::Outgoing({"192.0.2.1"});
  bundling.bundle_messages = true;
  request = MakeOpenEndpointRequest(bundling);
  ASSERT_TRUE(request.has_socket_settings());
  EXPECT_FALSE(request.socket_settings().has_cookie_life_ms());
  EXPECT_FALSE(request.socket_settings().has_max_segment_bytes());
  EXPECT_TRUE(request.socket_settings().bundle_messages());
}

// What Send, RequestHeartbeat and GetAssociation put on the wire.
TEST_F(ClientTest, SendHeartbeatAndPrSctpStreamsReachTheService) {
  options_.watch_events = false;
  auto client = Client::Connect(options_);
  ASSERT_TRUE(client.ok()) << client.status();

  SendOptions send_options;
  send_options.stream = 2;
  send_options.priority = 7;
  send_options.peer_address = "2001:db8::2";
  send_options.context = 5;
  ASSERT_TRUE((*client)->Send(12, "payload", send_options).ok());
  v1::SendRequest sent = fake_.send();
  EXPECT_EQ(sent.session_id(), (*client)->session_id());
  EXPECT_EQ(sent.association_id(), 12u);
  ASSERT_EQ(sent.messages_size(), 1);
  EXPECT_EQ(sent.messages(0).stream(), 2u);
  ASSERT_TRUE(sent.messages(0).has_priority());
  EXPECT_EQ(sent.messages(0).priority(), 7u);
  EXPECT_FALSE(sent.messages(0).has_max_retransmissions());
  EXPECT_EQ(sent.messages(0).peer_address(), "2001:db8::2");
  EXPECT_EQ(sent.messages(0).context(), 5u);
  EXPECT_EQ(sent.messages(0).payload(), "payload");

  ASSERT_TRUE((*client)->RequestHeartbeat(12, "198.51.100.2").ok());
  EXPECT_EQ(fake_.heartbeat().session_id(), (*client)->session_id());
  EXPECT_EQ(fake_.heartbeat().association_id(), 12u);
  EXPECT_EQ(fake_.heartbeat().peer_address(), "198.51.100.2");
  ASSERT_TRUE((*client)->RequestHeartbeat(13).ok());
  EXPECT_EQ(fake_.heartbeat().association_id(), 13u);
  EXPECT_EQ(fake_.heartbeat().peer_address(), "");

  (void)(*client)->GetAssociation(9, std::vector<uint32_t>{1, 4});
  v1::GetAssociationRequest asked = fake_.get_association();
  EXPECT_EQ(asked.association_id(), 9u);
  EXPECT_EQ(std::vector<uint32_t>(asked.streams().begin(), asked.streams().end()),
            (std::vector<uint32_t>{1, 4}));
  (void)(*client)->GetAssociation(9);
  EXPECT_EQ(fake_.get_association().streams_size(), 0);
}

// Every INIT option of Associate, and the path and address calls, reach
// the service as typed calls; errors keep their reason.
TEST_F(ClientTest, AssociateOptionsPathsAndAddressesReachTheService) {
  options_.watch_events = false;
  auto client = Client::Connect(options_);
  ASSERT_TRUE(client.ok()) << client.status();

  AssociateOptions associate;
  associate.peer_addresses = {"198.51.100.2", "198.51.100.3"};
  associate.peer_port = 38412;
  associate.outbound_streams = 4;
  associate.max_inbound_streams = 8;
  associate.max_init_attempts = 3;
  associate.max_init_timeout_ms = 900;
  auto association = (*client)->Associate(5, associate);
  ASSERT_TRUE(association.ok()) << association.status();
  EXPECT_EQ(association->association_id(), 21u);
  v1::AssociateRequest asked = fake_.associate();
  EXPECT_EQ(asked.session_id(), (*client)->session_id());
  EXPECT_EQ(asked.endpoint_id(), 5u);
  EXPECT_EQ(asked.peer_addresses_size(), 2);
  EXPECT_EQ(asked.peer_port(), 38412u);
  EXPECT_EQ(asked.init().outbound_streams(), 4u);
  EXPECT_EQ(asked.init().max_inbound_streams(), 8u);
  EXPECT_EQ(asked.init().max_init_attempts(), 3u);
  EXPECT_EQ(asked.init().max_init_timeout_ms(), 900u);

  v1::PathParameters parameters;
  parameters.set_heartbeat_interval_ms(1000);
  auto paths = (*client)->ConfigurePaths(21, parameters, "198.51.100.3");
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(paths->parameters().heartbeat_interval_ms(), 1000u);
  EXPECT_EQ(fake_.configure_paths().peer_address(), "198.51.100.3");
  EXPECT_EQ(fake_.configure_paths().association_id(), 21u);

  auto endpoint = (*client)->UpdateEndpointAddresses(5, {"192.0.2.7"}, {"192.0.2.1"});
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->endpoint_id(), 5u);
  v1::UpdateEndpointAddressesRequest update = fake_.update_addresses();
  ASSERT_EQ(update.add_addresses_size(), 1);
  EXPECT_EQ(update.add_addresses(0), "192.0.2.7");
  ASSERT_EQ(update.remove_addresses_size(), 1);
  EXPECT_EQ(update.remove_addresses(0), "192.0.2.1");

  absl::Status refused = (*client)->RequestPeerPrimaryPath(21, "192.0.2.7");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(refused), "RECONFIGURATION_UNSUPPORTED");
  EXPECT_EQ(fake_.peer_primary().local_address(), "192.0.2.7");
}

TEST(FormatTest, MessagesSayPiecesAndSource) {
  v1::InboundMessage whole;
  whole.set_association_id(3);
  whole.set_stream(1);
  whole.set_ppid(5);
  EXPECT_EQ(DescribeMessage(whole), "association 3 stream 1 ppid 5");
  whole.mutable_source()->set_ip("2001:db8::7");
  whole.mutable_source()->set_port(2905);
  EXPECT_EQ(DescribeMessage(whole), "association 3 stream 1 ppid 5");
  EXPECT_EQ(DescribeMessage(whole, /*with_source=*/true),
            "association 3 stream 1 ppid 5 from [2001:db8::7]:2905");

  v1::InboundMessage piece;
  piece.set_association_id(3);
  piece.set_stream(1);
  piece.set_ppid(5);
  piece.set_unordered(true);
  piece.set_more_follows(true);
  EXPECT_EQ(DescribeMessage(piece), "association 3 stream 1 ppid 5 unordered offset 0 more-follows");
  piece.set_more_follows(false);
  piece.set_offset(262144);
  EXPECT_EQ(DescribeMessage(piece, /*with_source=*/true),
            "association 3 stream 1 ppid 5 unordered offset 262144 last-piece");
}

TEST(FormatTest, SettingsStatisticsAndAbandonedMessages) {
  v1::SocketSettings settings;
  EXPECT_EQ(DescribeSocketSettings(settings), "");
  settings.set_cookie_life_ms(60000);
  settings.set_receive_window_bytes(524288);
  settings.set_max_segment_bytes(0);
  settings.set_partial_delivery_point_bytes(262144);
  settings.set_disable_fragments(true);
  settings.set_bundle_messages(true);
  EXPECT_EQ(DescribeSocketSettings(settings),
            "cookie-life 60000 receive-window 524288 max-segment 0 partial-delivery-point "
            "262144 disable-fragments bundle");
  EXPECT_EQ(OversizedMessagesName(v1::OVERSIZED_MESSAGES_UNSPECIFIED), "pieces");
  EXPECT_EQ(OversizedMessagesName(v1::OVERSIZED_MESSAGES_ABORT), "abort");

  v1::AssociationStatistics statistics;
  statistics.set_packets_sent(120);
  statistics.set_packets_received(118);
  statistics.set_ordered_chunks_sent(100);
  statistics.set_ordered_chunks_received(98);
  statistics.set_sacks_sent(60);
  statistics.set_sacks_received(58);
  statistics.set_control_chunks_sent(10);
  statistics.set_control_chunks_received(9);
  statistics.set_retransmitted_chunks(3);
  statistics.set_gap_reports(1);
  statistics.set_max_rto_ms(1000);
  statistics.mutable_max_rto_path()->set_ip("198.51.100.2");
  EXPECT_EQ(DescribeStatistics(statistics),
            "packets sent 120 received 118, DATA chunks sent 100 ordered + 0 unordered, received "
            "98 ordered + 0 unordered, SACKs sent 60 received 58, control chunks sent 10 "
            "received 9\n"
            "retransmitted chunks 3, gap reports 1, out-of-sequence TSNs 0, duplicate chunks "
            "received 0, max RTO 1000 ms on 198.51.100.2");

  v1::PrSctpStatus pr;
  pr.mutable_total()->set_unsent(2);
  pr.mutable_total()->set_sent(5);
  pr.mutable_retransmissions()->set_unsent(2);
  pr.mutable_retransmissions()->set_sent(5);
  EXPECT_EQ(DescribeAbandoned(pr), "all 2/5, timed 0/0, retransmissions 2/5, priority 0/0");
  v1::StreamAbandoned stream;
  stream.set_stream(4);
  stream.mutable_priority()->set_unsent(1);
  stream.mutable_total()->set_unsent(1);
  EXPECT_EQ(DescribeAbandoned(stream), "all 1/0, timed 0/0, retransmissions 0/0, priority 1/0");
}

}  // namespace
}  // namespace sctpgw::client
