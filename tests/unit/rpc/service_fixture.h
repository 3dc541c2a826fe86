// In-process gRPC tests of the rpc layer over the real core: a
// GatewayServiceImpl over a core::Gateway whose kernel is the gmock stack on a
// real loop thread, served by a grpc::Server and called through the generated
// stub as applications call it. The mock answers what the kernel would
// (ON_CALL defaults); tests inject what the network does (notifications,
// messages, writability) on the loop thread.
#pragma once

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "server/core/gateway.h"
#include "server/rpc/gateway_service.h"
#include "tests/mocks/net/looped_mock_sctp_stack.h"
#include "tests/support/error_info.h"

namespace sctpgw::rpc {

using Stub = v1::GatewayService::Stub;
// The stub's callback interface, for calls left in flight.
using AsyncStub = v1::GatewayService::StubInterface::async_interface;
using sctpgw::testing::ErrorMetadata;
using sctpgw::testing::ErrorReason;

// What the mock kernel hands out: endpoint sockets from kFirstEndpointSocket,
// association sockets from kFirstAssociationSocket, in the order asked for.
inline constexpr net::SocketId kFirstEndpointSocket = 100;
inline constexpr net::SocketId kFirstAssociationSocket = 200;
inline constexpr net::AssocId kKernelAssoc = 7;
inline constexpr char kLocalIp[] = "192.0.2.1";
inline constexpr uint16_t kLocalPort = 38412;
inline constexpr char kPeerIp[] = "198.51.100.9";
inline constexpr uint16_t kPeerPort = 2905;
inline constexpr uint16_t kStreams = 4;  // Negotiated both ways by CommUp().
// A bound for what should not wait: every wait in these tests has one.
inline constexpr std::chrono::milliseconds kTimeout{10000};
// Sessions asking for it get this short lease (the fixture's min_lease).
inline constexpr std::chrono::milliseconds kShortLease{300};

// The notifications tests inject. Only these name the kernel's constants.
net::Notification CommUp(net::AssocId kernel_id = kKernelAssoc);
net::Notification CommLost(net::AssocId kernel_id = kKernelAssoc);
net::Notification ShutdownComp(net::AssocId kernel_id = kKernelAssoc);
net::Notification CantStartAssociation(net::AssocId kernel_id = kKernelAssoc);
// A peer address becoming unreachable or available again.
net::Notification PathDown(net::AssocId kernel_id = kKernelAssoc);
net::Notification PathUp(net::AssocId kernel_id = kKernelAssoc);

net::SocketAddress Address(const char* ip, uint16_t port);

// Values a mock action hands to the test thread, which waits for them.
template <typename T>
class Recorder {
 public:
  void Add(T value) {
    std::lock_guard<std::mutex> lock(mu_);
    values_.push_back(std::move(value));
    changed_.notify_all();
  }
  // True once `count` values are in, waiting at most `timeout`.
  bool WaitFor(size_t count, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return values_.size() >= count; });
  }
  std::vector<T> values() {
    std::lock_guard<std::mutex> lock(mu_);
    return values_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<T> values_;
};

// The calls of a mock method a test waits for. Shared with the mock action
// that notes them, which may outlive the test's scope when a test fails.
using Calls = std::shared_ptr<Recorder<bool>>;
inline Calls NewCalls() { return std::make_shared<Recorder<bool>>(); }

// A mock action: notes the call in `calls`, then returns `value`.
template <typename T>
auto NoteThenReturn(Calls calls, T value) {
  return ::testing::DoAll(::testing::InvokeWithoutArgs([calls] { calls->Add(true); }),
                          ::testing::Return(std::move(value)));
}

// One message as the mock kernel took it.
struct Sent {
  net::SocketId socket = 0;
  int kernel_id = 0;
  uint16_t stream = 0;
  uint32_t ppid = 0;
  bool unordered = false;
  uint32_t context = 0;
  std::string payload;
};

// A unary call in flight (the stub's callback interface), for calls that
// wait on the network while the test makes it happen. Cancelled and waited
// for when destroyed.
template <typename Request, typename Response>
class PendingCall {
 public:
  using Method = void (AsyncStub::*)(grpc::ClientContext*, const Request*, Response*,
                                     std::function<void(grpc::Status)>);

  PendingCall(Stub& stub, Method method, Request request, std::chrono::milliseconds timeout)
      : request_(std::move(request)), status_(done_.get_future()) {
    context_.set_deadline(std::chrono::system_clock::now() + timeout);
    (stub.async()->*method)(&context_, &request_, &response_,
                            [this](grpc::Status status) { done_.set_value(std::move(status)); });
  }
  ~PendingCall() {
    context_.TryCancel();
    status_.wait();
  }
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;

  void Cancel() { context_.TryCancel(); }
  bool done() const {
    return status_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }
  // The call's status once it has ended. A call still running after
  // `timeout` gets UNKNOWN, which the service never answers, saying so.
  grpc::Status Wait(std::chrono::milliseconds timeout = kTimeout) {
    if (status_.wait_for(timeout) != std::future_status::ready) {
      return grpc::Status(grpc::StatusCode::UNKNOWN, "test: the call had not ended in time");
    }
    return status_.get();
  }
  const Response& response() const { return response_; }

 private:
  grpc::ClientContext context_;
  Request request_;
  Response response_;
  std::promise<grpc::Status> done_;
  std::shared_future<grpc::Status> status_;
};

// An established association as the test knows it.
struct TestAssociation {
  uint64_t id = 0;
  uint64_t endpoint_id = 0;
  net::SocketId endpoint_socket = 0;
  net::SocketId socket = 0;  // Its own, after the peel-off.
  int kernel_id = kKernelAssoc;
  v1::Association info;  // As Associate returned it.
};

class ServiceTest : public ::testing::Test {
 protected:
  // With `strict`, the mock kernel fails every call a test did not expect
  // (StrictMock); otherwise calls without expectations take the defaults.
  explicit ServiceTest(bool strict = false);
  ~ServiceTest() override;

  void SetUp() override;
  // Stops as server/main.cc does, then checks that nothing is left running.
  void TearDown() override;

  net::LoopedMockSctpStack& stack() { return *stack_; }
  core::Gateway& gateway() { return *gateway_; }
  GatewayServiceImpl& service() { return *service_; }
  Stub& stub() { return *stub_; }
  const std::string& session() const { return session_; }
  const core::Limits& limits() const { return limits_; }

  // Runs `fn` on the core's thread (see LoopedMockSctpStack::RunOnLoop).
  template <typename F>
  auto RunOnLoop(F fn) -> decltype(fn()) {
    return stack_->RunOnLoop(std::move(fn));
  }
  core::GatewayStats Stats();
  // Polls Stats() on the loop until `done` holds; false after `timeout`.
  bool WaitForStats(const std::function<bool(const core::GatewayStats&)>& done,
                    std::chrono::milliseconds timeout = kTimeout);
  // The core's waiting calls (Associate, Send, Receive, Shutdown) reach `count`.
  bool WaitForWaitingOperations(size_t count);
  // Associations in any state.
  static size_t Associations(const core::GatewayStats& stats);
  // The sessions the core holds once `delay` has passed on its own clock (a
  // timer on the loop, as a lease runs out); nullopt if the loop never got
  // there.
  std::optional<size_t> SessionsAfter(std::chrono::milliseconds delay);

  // What the network does, delivered on the loop thread.
  void Inject(net::SocketId socket, net::Notification notification);
  void InjectMessage(net::SocketId socket, const std::string& payload, uint16_t stream = 0,
                     uint32_t ppid = 0, int kernel_id = kKernelAssoc);
  void InjectWritable(net::SocketId socket);

  // The service's once-a-second tick (server/main.cc runs it on a loop
  // timer): now, or on the loop once `delay` has passed.
  void Tick(std::chrono::milliseconds delay = std::chrono::milliseconds(0));

  // The service stops as in server/main.cc: the core closes, send streams
  // end, calls in progress drain. TearDown() completes it.
  void StopService();

  // Calls as a client makes them, with a deadline `timeout` from now.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response,
                    std::chrono::milliseconds timeout = kTimeout) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    return (stub_.get()->*method)(&context, request, response);
  }
  // A call left in flight: Start(&AsyncStub::Receive, request).
  template <typename Request, typename Response>
  std::unique_ptr<PendingCall<Request, Response>> Start(
      void (AsyncStub::*method)(grpc::ClientContext*, const Request*, Response*,
                                std::function<void(grpc::Status)>),
      Request request, std::chrono::milliseconds timeout = kTimeout) {
    return std::make_unique<PendingCall<Request, Response>>(*stub_, method, std::move(request),
                                                            timeout);
  }

  // A session of its own (OpenSession), with the lease asked for.
  std::string OpenSession(std::chrono::milliseconds lease = std::chrono::milliseconds(0));
  // Expects the mock kernel's part of opening an endpoint; returns the
  // socket the endpoint will get.
  net::SocketId ExpectOpenEndpoint();
  // Opens an endpoint on kLocalIp (the kernel picks kLocalPort).
  uint64_t OpenEndpoint(const std::string& session, bool listen = false,
                        net::SocketId* socket = nullptr);
  // Expects the peel-off of an association coming up on `endpoint_socket`;
  // returns the socket it will get.
  net::SocketId ExpectPeelOff(net::SocketId endpoint_socket, int kernel_id);
  // Opens an endpoint and associates from it to kPeerIp:kPeerPort, the
  // kernel reporting COMM_UP.
  TestAssociation Establish(const std::string& session, int kernel_id = kKernelAssoc);
  TestAssociation Establish() { return Establish(session_); }

  // Associate from `endpoint_id` to kPeerIp:kPeerPort.
  static v1::AssociateRequest AssociateToPeer(const std::string& session, uint64_t endpoint_id);
  // Receive (or ReceiveStream) from one association.
  static v1::ReceiveRequest ReceiveFrom(const std::string& session, uint64_t association_id);
  // The associations ListAssociations shows `session`.
  int ListedAssociations(const std::string& session);

  // A request of `session`.
  template <typename Request>
  static Request For(const std::string& session) {
    Request request;
    request.set_session_id(session);
    return request;
  }
  static v1::OutboundMessage Message(const std::string& payload, uint32_t stream = 0,
                                     uint32_t ppid = 0);

  // The kernel takes `accepted` messages on `socket`, then refuses the next
  // with EAGAIN (its send buffer is full), which `full` notes. Expectations
  // of later sends on `socket` continue `sequence`.
  void ExpectSendsUntilFull(net::SocketId socket, int accepted, const Calls& full,
                            ::testing::Sequence* sequence);
  // A Send of "one", "two", "three" on `a`, waiting in the core: the kernel
  // took "one", then its buffer was full. Later sends continue `sequence`.
  std::unique_ptr<PendingCall<v1::SendRequest, v1::SendResponse>> StartBlockedSend(
      const TestAssociation& a, ::testing::Sequence* sequence);
  // A message arriving on `a` now is what the next Receive returns: calls
  // that ended before took nothing.
  void ExpectNextReceiveGets(const TestAssociation& a, const std::string& payload);

  // Every message the mock kernel accepted (Send's default action), in order.
  Recorder<Sent>& sent() { return sent_; }
  std::vector<std::string> SentPayloads();
  // Send's default action: record the message, accept it.
  absl::Status AcceptSend(net::SocketId socket, const net::SendInfo& info,
                          absl::Span<const uint8_t> data);

 private:
  void SetDefaults();

  core::Limits limits_;
  Recorder<Sent> sent_;
  std::unique_ptr<net::LoopedMockSctpStack> stack_;
  std::unique_ptr<core::Gateway> gateway_;
  std::unique_ptr<GatewayServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Stub> stub_;
  std::string session_;
  bool stopped_ = false;
  // Handed out by the expectations the test thread sets.
  net::SocketId next_endpoint_socket_ = kFirstEndpointSocket;
  net::SocketId next_association_socket_ = kFirstAssociationSocket;
};

// The same with a StrictMock kernel: where which kernel calls happen is the
// point of the test.
class StrictServiceTest : public ServiceTest {
 protected:
  StrictServiceTest() : ServiceTest(/*strict=*/true) {}
};

}  // namespace sctpgw::rpc
