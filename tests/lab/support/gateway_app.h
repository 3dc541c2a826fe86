// Lab-test helpers for driving sctpgw through its gRPC API as applications
// do: one App per session, typed calls with deadlines, and independent peers.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/lab/support/netns.h"
#include "tests/lab/support/process.h"
#include "tests/lab/support/sctpgw_server.h"

namespace sctpgw::testing {

using namespace std::chrono_literals;

constexpr auto kTimeout = 30s;  // Generous: the lab emulates its CPU.
constexpr auto kCallTimeout = std::chrono::duration_cast<std::chrono::milliseconds>(kTimeout);

// Puts the test process in a network namespace of its own (loopback only),
// so that routes and ports a test sets up touch nothing else. Register with
// ::testing::AddGlobalTestEnvironment.
class PrivateNetwork : public ::testing::Environment {
 public:
  void SetUp() override {
    if (unshare(CLONE_NEWNET) != 0) {
      GTEST_FAIL() << "unshare(CLONE_NEWNET) needs root (the lab runs tests as root)";
    }
    ASSERT_TRUE(RunCommand("ip link set lo up").ok());
  }
};

// A test with a fresh sctpgw of its own, which must stop cleanly at the end.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = SctpgwServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop(kCallTimeout).ok()) << "sctpgw did not stop cleanly";
    }
  }
  std::unique_ptr<SctpgwServer> server_;
};

// One application's view of sctpgw: typed calls with deadlines.
class App {
 public:
  // Opens a session of its own (or attaches to `session`).
  explicit App(const SctpgwServer& server, std::string session = "", uint32_t lease_ms = 0)
      : stub_(server.NewStub()), session_(std::move(session)) {
    if (!session_.empty()) return;
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::OpenSessionRequest request;
    request.set_requested_lease_ms(lease_ms);
    request.set_client_name("lab-test");
    v1::OpenSessionResponse response;
    grpc::Status status = stub_->OpenSession(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    session_ = response.session_id();
  }

  v1::GatewayService::Stub& stub() { return *stub_; }
  const std::string& session() const { return session_; }

  v1::WatchEventsRequest WatchAll() const {
    v1::WatchEventsRequest request;
    request.set_session_id(session_);
    return request;
  }
  v1::WatchEventsRequest WatchEndpoint(uint64_t endpoint_id) const {
    v1::WatchEventsRequest request = WatchAll();
    request.set_endpoint_id(endpoint_id);
    return request;
  }

  grpc::Status OpenEndpoint(v1::OpenEndpointRequest request, v1::Endpoint* endpoint) {
    request.set_session_id(session_);
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::OpenEndpointResponse response;
    grpc::Status status = stub_->OpenEndpoint(&context, request, &response);
    if (endpoint != nullptr) *endpoint = response.endpoint();
    return status;
  }

  v1::Endpoint Listen(const std::string& ip, uint32_t streams = 10) {
    v1::OpenEndpointRequest request;
    request.add_local_addresses(ip);
    request.set_listen(true);
    request.mutable_init()->set_outbound_streams(streams);
    request.mutable_init()->set_max_inbound_streams(streams);
    v1::Endpoint endpoint;
    grpc::Status status = OpenEndpoint(request, &endpoint);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return endpoint;
  }

  v1::Endpoint Open(const std::string& ip) {
    v1::OpenEndpointRequest request;
    request.add_local_addresses(ip);
    v1::Endpoint endpoint;
    grpc::Status status = OpenEndpoint(request, &endpoint);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return endpoint;
  }

  grpc::Status Associate(uint64_t endpoint_id, const std::string& ip, uint32_t port,
                         v1::Association* association, std::chrono::milliseconds timeout = kCallTimeout,
                         uint32_t streams = 10) {
    grpc::ClientContext context;
    SetTimeout(&context, timeout);
    v1::AssociateRequest request;
    request.set_session_id(session_);
    request.set_endpoint_id(endpoint_id);
    request.add_peer_addresses(ip);
    request.set_peer_port(port);
    request.mutable_init()->set_outbound_streams(streams);
    request.mutable_init()->set_max_inbound_streams(streams);
    v1::AssociateResponse response;
    grpc::Status status = stub_->Associate(&context, request, &response);
    if (association != nullptr) *association = response.association();
    return status;
  }

  grpc::Status Send(uint64_t association_id, const std::vector<v1::OutboundMessage>& messages,
                    std::chrono::milliseconds timeout = kCallTimeout) {
    grpc::ClientContext context;
    SetTimeout(&context, timeout);
    v1::SendRequest request;
    request.set_session_id(session_);
    request.set_association_id(association_id);
    for (const auto& m : messages) *request.add_messages() = m;
    v1::SendResponse response;
    return stub_->Send(&context, request, &response);
  }

  grpc::Status ReceiveFrom(v1::ReceiveRequest request, std::vector<v1::InboundMessage>* out,
                           std::chrono::milliseconds timeout = kCallTimeout) {
    request.set_session_id(session_);
    grpc::ClientContext context;
    SetTimeout(&context, timeout);
    v1::ReceiveResponse response;
    grpc::Status status = stub_->Receive(&context, request, &response);
    for (const auto& m : response.messages()) out->push_back(m);
    return status;
  }

  // Receives until `count` messages have arrived from one association.
  std::vector<v1::InboundMessage> ReceiveN(uint64_t association_id, size_t count) {
    std::vector<v1::InboundMessage> out;
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      v1::ReceiveRequest request;
      request.set_association_id(association_id);
      grpc::Status status = ReceiveFrom(request, &out);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
    }
    return out;
  }

  grpc::Status Shutdown(uint64_t association_id, v1::ShutdownMode mode,
                        const std::string& reason = "") {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::ShutdownRequest request;
    request.set_session_id(session_);
    request.set_association_id(association_id);
    request.set_mode(mode);
    request.set_abort_reason(reason);
    v1::ShutdownResponse response;
    return stub_->Shutdown(&context, request, &response);
  }

  std::vector<v1::Association> Associations(uint64_t endpoint_id = 0) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::ListAssociationsRequest request;
    request.set_session_id(session_);
    request.set_endpoint_id(endpoint_id);
    v1::ListAssociationsResponse response;
    grpc::Status status = stub_->ListAssociations(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.associations().begin(), response.associations().end()};
  }

  grpc::Status GetAssociation(uint64_t association_id, v1::GetAssociationResponse* response) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::GetAssociationRequest request;
    request.set_session_id(session_);
    request.set_association_id(association_id);
    return stub_->GetAssociation(&context, request, response);
  }

  grpc::Status UpdateAddresses(uint64_t endpoint_id, const std::vector<std::string>& add,
                               const std::vector<std::string>& remove,
                               v1::Endpoint* endpoint = nullptr) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::UpdateEndpointAddressesRequest request;
    request.set_session_id(session_);
    request.set_endpoint_id(endpoint_id);
    for (const auto& ip : add) request.add_add_addresses(ip);
    for (const auto& ip : remove) request.add_remove_addresses(ip);
    v1::UpdateEndpointAddressesResponse response;
    grpc::Status status = stub_->UpdateEndpointAddresses(&context, request, &response);
    if (endpoint != nullptr) *endpoint = response.endpoint();
    return status;
  }

  grpc::Status SetPrimaryPath(uint64_t association_id, const std::string& peer_ip) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::SetPrimaryPathRequest request;
    request.set_session_id(session_);
    request.set_association_id(association_id);
    request.set_peer_address(peer_ip);
    v1::SetPrimaryPathResponse response;
    return stub_->SetPrimaryPath(&context, request, &response);
  }

  grpc::Status RequestPeerPrimaryPath(uint64_t association_id, const std::string& local_ip) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::RequestPeerPrimaryPathRequest request;
    request.set_session_id(session_);
    request.set_association_id(association_id);
    request.set_local_address(local_ip);
    v1::RequestPeerPrimaryPathResponse response;
    return stub_->RequestPeerPrimaryPath(&context, request, &response);
  }

  grpc::Status ConfigurePaths(uint64_t association_id, const v1::PathParameters& parameters,
                              const std::string& peer_ip, v1::ConfigurePathsResponse* response) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::ConfigurePathsRequest request;
    request.set_session_id(session_);
    request.set_association_id(association_id);
    *request.mutable_parameters() = parameters;
    request.set_peer_address(peer_ip);
    return stub_->ConfigurePaths(&context, request, response);
  }

 private:
  std::unique_ptr<v1::GatewayService::Stub> stub_;
  std::string session_;
};

inline v1::OutboundMessage Message(uint32_t stream, uint32_t ppid, const std::string& payload,
                            bool unordered = false) {
  v1::OutboundMessage m;
  m.set_stream(stream);
  m.set_ppid(ppid);
  m.set_payload(payload);
  m.set_unordered(unordered);
  return m;
}


// An association set up between two applications on one sctpgw, for the
// tests below.
struct Pair {
  v1::Endpoint listener;
  v1::Endpoint client;
  uint64_t client_assoc = 0;  // B's side.
  uint64_t server_assoc = 0;  // A's side.
};

inline Pair Connect(App& a, App& b) {
  Pair pair;
  pair.listener = a.Listen("127.0.0.1");
  pair.client = b.Open("127.0.0.1");
  v1::WatchEventsRequest watch = a.WatchEndpoint(pair.listener.endpoint_id());
  watch.set_only_new(true);
  EventWatch events(a.stub(), watch);
  EXPECT_TRUE(events
                  .WaitForResponse([](const v1::WatchEventsResponse& r) { return r.has_ack(); },
                                   kCallTimeout)
                  .ok());
  v1::Association association;
  grpc::Status status =
      b.Associate(pair.client.endpoint_id(), "127.0.0.1", pair.listener.port(), &association);
  EXPECT_TRUE(status.ok()) << status.error_message();
  pair.client_assoc = association.association_id();
  auto up = events.WaitFor(IsCommUpOnEndpoint(pair.listener.endpoint_id()), kTimeout);
  EXPECT_TRUE(up.ok()) << up.status();
  if (up.ok()) pair.server_assoc = up->association_id();
  return pair;
}

// A shell command whose stdout and stderr are both captured.
inline absl::StatusOr<Subprocess> StartShell(const std::string& command, bool keep_stdin) {
  return Subprocess::Start({"/bin/sh", "-c", "exec " + command + " 2>&1"}, keep_stdin);
}

inline std::string PeerScript() {
  return std::string(SCTPGW_SOURCE_DIR) + "/tests/lab/tools/sctp_peer.py";
}


}  // namespace sctpgw::testing
