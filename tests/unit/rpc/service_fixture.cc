#include "tests/unit/rpc/service_fixture.h"

#include <cerrno>

#include "server/core/errors.h"
#include "server/net/errno_status.h"

namespace sctpgw::rpc {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::AnyNumber;
using ::testing::AtLeast;
using ::testing::Invoke;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::StrictMock;

namespace {

net::Notification AssociationChange(net::AssociationChange change, net::AssocId kernel_id) {
  net::Notification n;
  n.type = net::NotificationType::kAssociationChange;
  n.assoc_id = kernel_id;
  n.association_change = change;
  n.outbound_streams = kStreams;
  n.inbound_streams = kStreams;
  return n;
}

net::Notification PeerAddressChange(net::PeerAddressState state, net::AssocId kernel_id) {
  net::Notification n;
  n.type = net::NotificationType::kPeerAddressChange;
  n.assoc_id = kernel_id;
  n.address_state = state;
  n.address = Address(kPeerIp, kPeerPort);
  return n;
}

core::Limits TestLimits() {
  core::Limits limits;
  // Short leases make the tests of what keeps a session alive quick.
  limits.min_lease = kShortLease;
  return limits;
}

}  // namespace

net::Notification CommUp(net::AssocId kernel_id) { return AssociationChange(net::AssociationChange::kCommUp, kernel_id); }
net::Notification CommLost(net::AssocId kernel_id) { return AssociationChange(net::AssociationChange::kCommLost, kernel_id); }
net::Notification ShutdownComp(net::AssocId kernel_id) {
  return AssociationChange(net::AssociationChange::kShutdownComplete, kernel_id);
}
net::Notification CantStartAssociation(net::AssocId kernel_id) {
  return AssociationChange(net::AssociationChange::kCantStartAssociation, kernel_id);
}
net::Notification PathDown(net::AssocId kernel_id) {
  return PeerAddressChange(net::PeerAddressState::kUnreachable, kernel_id);
}
net::Notification PathUp(net::AssocId kernel_id) {
  return PeerAddressChange(net::PeerAddressState::kAvailable, kernel_id);
}

net::SocketAddress Address(const char* ip, uint16_t port) {
  return *net::SocketAddress::Parse(ip, port);
}

ServiceTest::ServiceTest(bool strict)
    : limits_(TestLimits()),
      stack_(strict ? std::unique_ptr<net::LoopedMockSctpStack>(
                          new StrictMock<net::LoopedMockSctpStack>())
                    : std::unique_ptr<net::LoopedMockSctpStack>(
                          new NiceMock<net::LoopedMockSctpStack>())),
      gateway_(std::make_unique<core::Gateway>(*stack_, limits_)),
      service_(std::make_unique<GatewayServiceImpl>(*gateway_)) {
  SetDefaults();
}

ServiceTest::~ServiceTest() {
  // Stopped by TearDown() already, unless SetUp() failed early: from here on
  // nothing runs on the core.
  stack_->Stop();
  stub_.reset();
  server_.reset();
  service_.reset();
  gateway_.reset();
  stack_.reset();
}

void ServiceTest::SetDefaults() {
  net::LoopedMockSctpStack& s = *stack_;
  ON_CALL(s, LocalPort(_)).WillByDefault(Return(kLocalPort));
  ON_CALL(s, LocalAddresses(_, _))
      .WillByDefault(Return(std::vector<net::SocketAddress>{Address(kLocalIp, kLocalPort)}));
  ON_CALL(s, PeerAddresses(_, _))
      .WillByDefault(Return(std::vector<net::SocketAddress>{Address(kPeerIp, kPeerPort)}));
  ON_CALL(s, MaxSendSize(_)).WillByDefault(Return(size_t{1} << 20));
  ON_CALL(s, Settings(_)).WillByDefault(Return(net::SocketSettings{}));
  ON_CALL(s, Send(_, _, _)).WillByDefault(Invoke(this, &ServiceTest::AcceptSend));
  ON_CALL(s, Shutdown(_, _)).WillByDefault(Return(absl::OkStatus()));
  ON_CALL(s, Abort(_, _, _)).WillByDefault(Return(absl::OkStatus()));
  net::AssociationStatus status;
  status.peer_rwnd = 65536;
  status.inbound_streams = kStreams;
  status.outbound_streams = kStreams;
  status.primary_address = Address(kPeerIp, kPeerPort);
  ON_CALL(s, Status(_, _)).WillByDefault(Return(status));
  net::PathInfo path;
  path.address = Address(kPeerIp, kPeerPort);
  path.cwnd = 4380;
  path.srtt_ms = 12;
  path.rto_ms = 300;
  path.mtu = 1500;
  ON_CALL(s, Path(_, _, _)).WillByDefault(Return(path));
  net::PathParameters parameters;
  parameters.rto_initial_ms = 3000;
  parameters.heartbeat_interval_ms = 30000;
  ON_CALL(s, Parameters(_, _)).WillByDefault(Return(parameters));
}

void ServiceTest::SetUp() {
  grpc::ServerBuilder builder;
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  ASSERT_NE(server_, nullptr);
  stub_ = v1::GatewayService::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  session_ = OpenSession();
  ASSERT_FALSE(session_.empty());
}

void ServiceTest::StopService() {
  if (stopped_) return;
  stopped_ = true;
  // Whatever the core still holds is closed now, strict or not.
  EXPECT_CALL(*stack_, Close(_)).Times(AnyNumber());
  EXPECT_CALL(*stack_, CloseWhenDrained(_)).Times(AnyNumber());
  RunOnLoop([this] { gateway_->Close(); });
  service_->StopStreams(core::Error(core::Reason::kShuttingDown, "sctpgw is stopping"));
  EXPECT_TRUE(service_->WaitForCalls(std::chrono::system_clock::now() + kTimeout))
      << "calls were still running after the core closed";
}

void ServiceTest::TearDown() {
  if (server_ == nullptr) return;
  // Every test ends with no call running (a cancelled one ends once the
  // core has withdrawn its operation) and no core operation waiting.
  EXPECT_TRUE(service_->WaitForCalls(std::chrono::system_clock::now() + kTimeout))
      << "a call was still in progress at the end of the test";
  EXPECT_EQ(Stats().waiting_operations, 0u);
  StopService();
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  stack_->Stop();
}

core::GatewayStats ServiceTest::Stats() {
  return RunOnLoop([this] { return gateway_->Stats(); });
}

bool ServiceTest::WaitForStats(const std::function<bool(const core::GatewayStats&)>& done,
                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(Stats())) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

bool ServiceTest::WaitForWaitingOperations(size_t count) {
  return WaitForStats(
      [count](const core::GatewayStats& stats) { return stats.waiting_operations == count; });
}

size_t ServiceTest::Associations(const core::GatewayStats& stats) {
  size_t total = 0;
  for (const auto& [state, count] : stats.associations) total += count;
  return total;
}

std::optional<size_t> ServiceTest::SessionsAfter(std::chrono::milliseconds delay) {
  auto counted = std::make_shared<std::promise<size_t>>();
  std::future<size_t> result = counted->get_future();
  core::Gateway* gateway = gateway_.get();
  RunOnLoop([this, delay, counted, gateway] {
    stack_->StartTimer(delay,
                       [counted, gateway] { counted->set_value(gateway->Stats().sessions); });
  });
  if (result.wait_for(delay + kTimeout) != std::future_status::ready) return std::nullopt;
  return result.get();
}

void ServiceTest::Tick(std::chrono::milliseconds delay) {
  GatewayServiceImpl* service = service_.get();
  RunOnLoop([this, service, delay] {
    if (delay.count() == 0) {
      service->Tick();
    } else {
      stack_->StartTimer(delay, [service] { service->Tick(); });
    }
  });
}

void ServiceTest::Inject(net::SocketId socket, net::Notification notification) {
  RunOnLoop([this, socket, &notification] {
    stack_->observer()->OnNotification(socket, std::move(notification));
  });
}

void ServiceTest::InjectMessage(net::SocketId socket, const std::string& payload, uint16_t stream,
                                uint32_t ppid, int kernel_id) {
  net::InboundMessage message;
  message.assoc_id = kernel_id;
  message.stream = stream;
  message.ppid = ppid;
  message.payload = payload;
  RunOnLoop(
      [this, socket, &message] { stack_->observer()->OnMessage(socket, std::move(message)); });
}

void ServiceTest::InjectWritable(net::SocketId socket) {
  RunOnLoop([this, socket] { stack_->observer()->OnWritable(socket); });
}

absl::Status ServiceTest::AcceptSend(net::SocketId socket, const net::SendInfo& info,
                                     absl::Span<const uint8_t> data) {
  Sent sent;
  sent.socket = socket;
  sent.kernel_id = info.assoc_id;
  sent.stream = info.stream;
  sent.ppid = info.ppid;
  sent.unordered = info.unordered;
  sent.context = info.context;
  sent.payload.assign(reinterpret_cast<const char*>(data.data()), data.size());
  sent_.Add(std::move(sent));
  return absl::OkStatus();
}

std::vector<std::string> ServiceTest::SentPayloads() {
  std::vector<std::string> payloads;
  for (const Sent& s : sent_.values()) payloads.push_back(s.payload);
  return payloads;
}

std::string ServiceTest::OpenSession(std::chrono::milliseconds lease) {
  v1::OpenSessionRequest request;
  request.set_requested_lease_ms(static_cast<uint32_t>(lease.count()));
  request.set_client_name("service_test");
  v1::OpenSessionResponse response;
  grpc::Status status = Call(&Stub::OpenSession, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.session_id();
}

net::SocketId ServiceTest::ExpectOpenEndpoint() {
  net::SocketId socket = next_endpoint_socket_++;
  EXPECT_CALL(*stack_, OpenEndpoint(_)).WillOnce(Return(socket));
  EXPECT_CALL(*stack_, LocalPort(socket));
  EXPECT_CALL(*stack_, LocalAddresses(socket, 0)).Times(AtLeast(1));
  EXPECT_CALL(*stack_, MaxSendSize(socket));
  EXPECT_CALL(*stack_, Settings(socket));
  return socket;
}

uint64_t ServiceTest::OpenEndpoint(const std::string& session, bool listen, net::SocketId* socket) {
  net::SocketId expected = ExpectOpenEndpoint();
  if (socket != nullptr) *socket = expected;
  auto request = For<v1::OpenEndpointRequest>(session);
  request.add_local_addresses(kLocalIp);
  request.set_listen(listen);
  v1::OpenEndpointResponse response;
  grpc::Status status = Call(&Stub::OpenEndpoint, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.endpoint().endpoint_id();
}

net::SocketId ServiceTest::ExpectPeelOff(net::SocketId endpoint_socket, int kernel_id) {
  net::SocketId socket = next_association_socket_++;
  EXPECT_CALL(*stack_, PeelOff(endpoint_socket, kernel_id)).WillOnce(Return(socket));
  // Read again by GetAssociation.
  EXPECT_CALL(*stack_, PeerAddresses(socket, kernel_id)).Times(AtLeast(1));
  EXPECT_CALL(*stack_, LocalAddresses(socket, kernel_id)).Times(AtLeast(1));
  return socket;
}

TestAssociation ServiceTest::Establish(const std::string& session, int kernel_id) {
  TestAssociation a;
  a.kernel_id = kernel_id;
  a.endpoint_id = OpenEndpoint(session, /*listen=*/false, &a.endpoint_socket);
  Calls connected = NewCalls();
  EXPECT_CALL(*stack_, Connect(a.endpoint_socket, _, _))
      .WillOnce(NoteThenReturn(connected, kernel_id));
  a.socket = ExpectPeelOff(a.endpoint_socket, kernel_id);
  auto call = Start(&AsyncStub::Associate, AssociateToPeer(session, a.endpoint_id));
  // COMM_UP only once the core has asked the kernel to connect.
  EXPECT_TRUE(connected->WaitFor(1));
  Inject(a.endpoint_socket, CommUp(kernel_id));
  grpc::Status status = call->Wait();
  EXPECT_TRUE(status.ok()) << status.error_message();
  a.info = call->response().association();
  a.id = a.info.association_id();
  return a;
}

void ServiceTest::ExpectSendsUntilFull(net::SocketId socket, int accepted, const Calls& full,
                                       ::testing::Sequence* sequence) {
  EXPECT_CALL(*stack_, Send(socket, _, _)).Times(accepted).InSequence(*sequence);
  EXPECT_CALL(*stack_, Send(socket, _, _))
      .InSequence(*sequence)
      .WillOnce(NoteThenReturn(full, net::ErrnoStatus(EAGAIN, "sendmsg")));
}

std::unique_ptr<PendingCall<v1::SendRequest, v1::SendResponse>> ServiceTest::StartBlockedSend(
    const TestAssociation& a, ::testing::Sequence* sequence) {
  Calls full = NewCalls();
  ExpectSendsUntilFull(a.socket, 1, full, sequence);
  auto request = For<v1::SendRequest>(session_);
  request.set_association_id(a.id);
  for (const char* payload : {"one", "two", "three"}) *request.add_messages() = Message(payload);
  auto call = Start(&AsyncStub::Send, request);
  EXPECT_TRUE(full->WaitFor(1));
  EXPECT_TRUE(WaitForWaitingOperations(1));
  return call;
}

void ServiceTest::ExpectNextReceiveGets(const TestAssociation& a, const std::string& payload) {
  InjectMessage(a.socket, payload);
  v1::ReceiveResponse response;
  grpc::Status status = Call(&Stub::Receive, ReceiveFrom(session_, a.id), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.messages_size(), 1);
  EXPECT_EQ(response.messages(0).payload(), payload);
}

v1::AssociateRequest ServiceTest::AssociateToPeer(const std::string& session,
                                                  uint64_t endpoint_id) {
  auto request = For<v1::AssociateRequest>(session);
  request.set_endpoint_id(endpoint_id);
  request.add_peer_addresses(kPeerIp);
  request.set_peer_port(kPeerPort);
  return request;
}

v1::ReceiveRequest ServiceTest::ReceiveFrom(const std::string& session, uint64_t association_id) {
  auto request = For<v1::ReceiveRequest>(session);
  request.set_association_id(association_id);
  return request;
}

int ServiceTest::ListedAssociations(const std::string& session) {
  v1::ListAssociationsResponse response;
  grpc::Status status =
      Call(&Stub::ListAssociations, For<v1::ListAssociationsRequest>(session), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.associations_size();
}

v1::OutboundMessage ServiceTest::Message(const std::string& payload, uint32_t stream,
                                         uint32_t ppid) {
  v1::OutboundMessage message;
  message.set_payload(payload);
  message.set_stream(stream);
  message.set_ppid(ppid);
  return message;
}

}  // namespace sctpgw::rpc
