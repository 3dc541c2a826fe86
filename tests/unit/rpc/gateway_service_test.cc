// The unary calls and WatchEvents through gRPC, over the real core with a
// mock kernel: what a client sees (codes, reasons, responses, events) and
// what reaches the kernel.
#include "server/rpc/gateway_service.h"

#include <chrono>
#include <string>
#include <vector>

#include "tests/unit/rpc/service_fixture.h"

namespace sctpgw::rpc {
namespace {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using ::testing::Return;

using GatewayServiceTest = ServiceTest;
using StrictGatewayServiceTest = StrictServiceTest;

// A session id of the right form that no OpenSession returned.
constexpr char kUnknownSession[] = "0123456789abcdef0123456789abcdef";

// A WatchEvents stream read as a client reads it, on the test thread.
class EventStream {
 public:
  EventStream(Stub& stub, const v1::WatchEventsRequest& request) {
    context_.set_deadline(std::chrono::system_clock::now() + kTimeout);
    reader_ = stub.WatchEvents(&context_, request);
  }
  // The next response; false when the stream has ended.
  bool Next(v1::WatchEventsResponse* response) { return reader_->Read(response); }
  // Events until `count` have come (acks and progress skipped).
  std::vector<v1::Event> Events(size_t count) {
    std::vector<v1::Event> events;
    v1::WatchEventsResponse response;
    while (events.size() < count && reader_->Read(&response)) {
      for (const v1::Event& event : response.events().events()) events.push_back(event);
    }
    return events;
  }
  void Cancel() { context_.TryCancel(); }
  // Reads to the end; the stream's status.
  grpc::Status Finish() {
    v1::WatchEventsResponse response;
    while (reader_->Read(&response)) {
    }
    return reader_->Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader_;
};

TEST_F(GatewayServiceTest, OpenSessionClampsTheLeaseAndRefusesALongClientName) {
  size_t sessions = Stats().sessions;
  struct Case {
    std::chrono::milliseconds requested;
    std::chrono::milliseconds lease;
  };
  // 0 takes the default; others are clamped to min_lease..max_lease.
  for (const Case& c : {Case{0ms, limits().default_lease}, Case{1ms, limits().min_lease},
                        Case{5000ms, 5000ms}, Case{limits().max_lease * 2, limits().max_lease}}) {
    v1::OpenSessionRequest request;
    request.set_requested_lease_ms(static_cast<uint32_t>(c.requested.count()));
    v1::OpenSessionResponse response;
    grpc::Status status = Call(&Stub::OpenSession, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.lease_ms(), c.lease.count()) << "asked for " << c.requested.count();
    EXPECT_EQ(response.session_id().size(), 32u);
    EXPECT_NE(response.session_id(), session());
  }
  EXPECT_EQ(Stats().sessions, sessions + 4);

  v1::OpenSessionRequest request;
  request.set_client_name(std::string(65, 'n'));
  v1::OpenSessionResponse response;
  grpc::Status status = Call(&Stub::OpenSession, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorReason(status), "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorMetadata(status)["field"], "client_name");
  EXPECT_TRUE(response.session_id().empty());
  EXPECT_EQ(Stats().sessions, sessions + 4);
  request.set_client_name(std::string(64, 'n'));
  EXPECT_TRUE(Call(&Stub::OpenSession, request, &response).ok());
}

TEST_F(GatewayServiceTest, OpenEndpointReturnsWhatTheKernelBound) {
  net::EndpointConfig config;
  EXPECT_CALL(stack(), OpenEndpoint(_))
      .WillOnce(::testing::DoAll(::testing::SaveArg<0>(&config), Return(kFirstEndpointSocket)));
  EXPECT_CALL(stack(), LocalPort(kFirstEndpointSocket));
  EXPECT_CALL(stack(), LocalAddresses(kFirstEndpointSocket, 0))
      .WillOnce(Return(std::vector<net::SocketAddress>{Address(kLocalIp, kLocalPort),
                                                       Address("2001:db8::1", kLocalPort)}));
  EXPECT_CALL(stack(), MaxSendSize(kFirstEndpointSocket));
  EXPECT_CALL(stack(), Settings(kFirstEndpointSocket));
  auto request = For<v1::OpenEndpointRequest>(session());
  request.add_local_addresses(kLocalIp);
  request.add_local_addresses("2001:db8::1");
  request.set_listen(true);
  request.set_backlog(16);
  v1::OpenEndpointResponse response;
  grpc::Status status = Call(&Stub::OpenEndpoint, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // What the kernel was asked for.
  ASSERT_EQ(config.addresses.size(), 2u);
  EXPECT_EQ(config.addresses[0].ToString(), "192.0.2.1:0");
  EXPECT_EQ(config.addresses[1].ToString(), "[2001:db8::1]:0");
  EXPECT_TRUE(config.listen);
  EXPECT_EQ(config.backlog, 16);
  EXPECT_FALSE(config.settings.bundle_messages);  // Every message out at once.
  // What the client is told: the kernel's port and addresses.
  const v1::Endpoint& endpoint = response.endpoint();
  EXPECT_NE(endpoint.endpoint_id(), 0u);
  EXPECT_EQ(endpoint.port(), kLocalPort);
  EXPECT_TRUE(endpoint.listening());
  ASSERT_EQ(endpoint.local_addresses_size(), 2);
  EXPECT_EQ(endpoint.local_addresses(0).ip(), kLocalIp);
  EXPECT_EQ(endpoint.local_addresses(0).port(), kLocalPort);
  EXPECT_EQ(endpoint.local_addresses(1).ip(), "2001:db8::1");
  EXPECT_EQ(Stats().endpoints, 1u);
}

// The extensions' bad requests never reach the core: INVALID_ARGUMENT
// naming the field.
TEST_F(GatewayServiceTest, ExtensionRequestsOutOfRangeAreRefusedNamingTheField) {
  auto configure = For<v1::ConfigureStreamsRequest>(session());
  configure.set_association_id(1);
  v1::StreamValue* value = configure.add_values();
  value->set_stream(1);
  value->set_value(70000);
  v1::ConfigureStreamsResponse configured;
  grpc::Status status = Call(&Stub::ConfigureStreams, configure, &configured);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["field"], "values[0].value");
  auto reset = For<v1::ResetStreamsRequest>(session());
  reset.set_association_id(1);
  v1::ResetStreamsResponse reset_done;
  status = Call(&Stub::ResetStreams, reset, &reset_done);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorMetadata(status)["field"], "direction");
  auto key = For<v1::ChangeAuthKeyRequest>(session());
  key.set_endpoint_id(1);
  key.set_action(v1::AUTH_KEY_ACTION_ADD);
  key.set_secret(std::string(200, 's'));
  v1::ChangeAuthKeyResponse key_done;
  status = Call(&Stub::ChangeAuthKey, key, &key_done);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().find("sss"), std::string::npos);
}

TEST_F(GatewayServiceTest, OpenEndpointRefusesABadAddressAndAnUnknownSession) {
  EXPECT_CALL(stack(), OpenEndpoint(_)).Times(0);
  auto request = For<v1::OpenEndpointRequest>(session());
  request.add_local_addresses("192.0.2.300");
  v1::OpenEndpointResponse response;
  grpc::Status status = Call(&Stub::OpenEndpoint, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorReason(status), "INVALID_ADDRESS");
  EXPECT_EQ(ErrorMetadata(status)["field"], "local_addresses[0]");

  for (const std::string& unknown : {std::string(kUnknownSession), std::string()}) {
    request = For<v1::OpenEndpointRequest>(unknown);
    request.add_local_addresses(kLocalIp);
    status = Call(&Stub::OpenEndpoint, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << "session \"" << unknown << "\"";
    EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND");
  }
  EXPECT_EQ(Stats().endpoints, 0u);
}

TEST_F(GatewayServiceTest, AssociateCompletesOnCommUpWithTheAssociation) {
  net::SocketId endpoint_socket = 0;
  uint64_t endpoint_id = OpenEndpoint(session(), /*listen=*/false, &endpoint_socket);
  std::vector<net::SocketAddress> peers;
  Calls connected = NewCalls();
  EXPECT_CALL(stack(), Connect(endpoint_socket, _, _))
      .WillOnce(
          ::testing::DoAll(::testing::SaveArg<1>(&peers), NoteThenReturn(connected, kKernelAssoc)));
  net::SocketId socket = ExpectPeelOff(endpoint_socket, kKernelAssoc);
  auto call = Start(&AsyncStub::Associate, AssociateToPeer(session(), endpoint_id));
  ASSERT_TRUE(connected->WaitFor(1));
  EXPECT_FALSE(call->done()) << "Associate returned before COMM_UP";
  EXPECT_EQ(Stats().waiting_operations, 1u);

  Inject(endpoint_socket, CommUp());
  grpc::Status status = call->Wait();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].ToString(), "198.51.100.9:2905");
  const v1::Association& association = call->response().association();
  EXPECT_NE(association.association_id(), 0u);
  EXPECT_EQ(association.endpoint_id(), endpoint_id);
  EXPECT_EQ(association.kernel_association_id(), kKernelAssoc);
  EXPECT_EQ(association.state(), v1::ASSOCIATION_STATE_ESTABLISHED);
  EXPECT_FALSE(association.incoming());
  EXPECT_EQ(association.outbound_streams(), kStreams);
  EXPECT_EQ(association.inbound_streams(), kStreams);
  ASSERT_EQ(association.peer_addresses_size(), 1);
  EXPECT_EQ(association.peer_addresses(0).ip(), kPeerIp);
  EXPECT_EQ(association.peer_addresses(0).port(), kPeerPort);
  ASSERT_EQ(association.local_addresses_size(), 1);
  EXPECT_EQ(association.local_addresses(0).ip(), kLocalIp);
  EXPECT_EQ(Stats().waiting_operations, 0u);
  EXPECT_EQ(Stats().associations[core::AssociationState::kEstablished], 1u);

  // Later calls reach the association on its own socket.
  EXPECT_CALL(stack(), Send(socket, _, _));
  auto send = For<v1::SendRequest>(session());
  send.set_association_id(association.association_id());
  *send.add_messages() = Message("on its own socket");
  v1::SendResponse sent;
  EXPECT_TRUE(Call(&Stub::Send, send, &sent).ok());
}

TEST_F(GatewayServiceTest, AssociateRefusedByThePeerIsUnavailable) {
  net::SocketId endpoint_socket = 0;
  uint64_t endpoint_id = OpenEndpoint(session(), /*listen=*/false, &endpoint_socket);
  Calls connected = NewCalls();
  EXPECT_CALL(stack(), Connect(endpoint_socket, _, _))
      .WillOnce(NoteThenReturn(connected, kKernelAssoc));
  EXPECT_CALL(stack(), PeelOff(_, _)).Times(0);
  auto call = Start(&AsyncStub::Associate, AssociateToPeer(session(), endpoint_id));
  ASSERT_TRUE(connected->WaitFor(1));

  Inject(endpoint_socket, CantStartAssociation());
  grpc::Status status = call->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "ASSOCIATE_FAILED");
  EXPECT_EQ(ErrorMetadata(status)["sctp_event"], "CANT_STR_ASSOC");
  EXPECT_EQ(ListedAssociations(session()), 0);
  EXPECT_EQ(Associations(Stats()), 0u);
}

// The kernel is asked for exactly this: connect, then ABORT the half-open
// association at the deadline; nothing else.
TEST_F(StrictGatewayServiceTest, AssociateDeadlineAbortsTheHalfOpenAssociation) {
  net::SocketId endpoint_socket = 0;
  uint64_t endpoint_id = OpenEndpoint(session(), /*listen=*/false, &endpoint_socket);
  Calls aborted = NewCalls();
  {
    InSequence in_order;
    EXPECT_CALL(stack(), Connect(endpoint_socket, _, _)).WillOnce(Return(kKernelAssoc));
    EXPECT_CALL(stack(), Abort(endpoint_socket, kKernelAssoc, _))
        .WillOnce(NoteThenReturn(aborted, absl::OkStatus()));
  }
  auto call = Start(&AsyncStub::Associate, AssociateToPeer(session(), endpoint_id), 300ms);
  grpc::Status status = call->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  ASSERT_TRUE(aborted->WaitFor(1));
  ASSERT_TRUE(WaitForWaitingOperations(0));

  EXPECT_EQ(ListedAssociations(session()), 0);
  // What the kernel says of the aborted attempt changes nothing.
  Inject(endpoint_socket, CantStartAssociation());
  EXPECT_EQ(ListedAssociations(session()), 0);
  EXPECT_EQ(Associations(Stats()), 0u);
}

TEST_F(GatewayServiceTest, SendHandsEveryMessageToTheKernelInOrder) {
  TestAssociation a = Establish();
  auto request = For<v1::SendRequest>(session());
  request.set_association_id(a.id);
  *request.add_messages() = Message("first", 0, 60);
  *request.add_messages() = Message(std::string("bin\0ary\xff", 8), 3, 46);
  v1::OutboundMessage third = Message("third", 1, 0);
  third.set_unordered(true);
  third.set_context(4242);
  *request.add_messages() = third;
  v1::SendResponse response;
  grpc::Status status = Call(&Stub::Send, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted_messages(), 3u);

  std::vector<Sent> sent = this->sent().values();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].payload, "first");
  EXPECT_EQ(sent[0].stream, 0);
  EXPECT_EQ(sent[0].ppid, 60u);
  EXPECT_EQ(sent[1].payload, std::string("bin\0ary\xff", 8));
  EXPECT_EQ(sent[1].stream, 3);
  EXPECT_EQ(sent[1].ppid, 46u);
  EXPECT_EQ(sent[2].payload, "third");
  EXPECT_TRUE(sent[2].unordered);
  EXPECT_EQ(sent[2].context, 4242u);
  for (const Sent& s : sent) {
    EXPECT_EQ(s.socket, a.socket);
    EXPECT_EQ(s.kernel_id, kKernelAssoc);
  }
  EXPECT_EQ(Stats().messages_sent, 3u);
}

TEST_F(GatewayServiceTest, SendWaitsOnAFullBufferUntilTheSocketIsWritable) {
  TestAssociation a = Establish();
  ::testing::Sequence sends;
  auto call = StartBlockedSend(a, &sends);
  EXPECT_CALL(stack(), Send(a.socket, _, _)).Times(2).InSequence(sends);
  EXPECT_FALSE(call->done());

  InjectWritable(a.socket);
  grpc::Status status = call->Wait();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(call->response().accepted_messages(), 3u);
  EXPECT_THAT(SentPayloads(), ElementsAre("one", "two", "three"));
}

// A client that gives up while its Send waits: CANCELLED, and what was not
// yet accepted is withdrawn: the kernel never gets it.
TEST_F(StrictGatewayServiceTest, SendCancelledWhileWaitingWithdrawsTheRest) {
  TestAssociation a = Establish();
  ::testing::Sequence sends;
  auto call = StartBlockedSend(a, &sends);

  call->Cancel();
  grpc::Status status = call->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  ASSERT_TRUE(WaitForWaitingOperations(0));
  // Room again: nothing of the cancelled batch goes out.
  InjectWritable(a.socket);
  ::testing::Mock::VerifyAndClearExpectations(&stack());
  EXPECT_THAT(SentPayloads(), ElementsAre("one"));
}

TEST_F(GatewayServiceTest, ReceiveWaitsUntilAMessageArrives) {
  TestAssociation a = Establish();
  auto request = ReceiveFrom(session(), a.id);
  auto call = Start(&AsyncStub::Receive, request);
  ASSERT_TRUE(WaitForWaitingOperations(1));
  auto get = For<v1::GetAssociationRequest>(session());
  get.set_association_id(a.id);
  v1::GetAssociationResponse info;
  ASSERT_TRUE(Call(&Stub::GetAssociation, get, &info).ok());
  EXPECT_EQ(info.association().waiting_receives(), 1u);
  EXPECT_FALSE(call->done());

  InjectMessage(a.socket, "hello", /*stream=*/2, /*ppid=*/46);
  grpc::Status status = call->Wait();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(call->response().messages_size(), 1);
  const v1::InboundMessage& message = call->response().messages(0);
  EXPECT_EQ(message.payload(), "hello");
  EXPECT_EQ(message.stream(), 2u);
  EXPECT_EQ(message.ppid(), 46u);
  EXPECT_EQ(message.association_id(), a.id);
  EXPECT_EQ(Stats().queued_messages, 0u);
}

TEST_F(GatewayServiceTest, ReceiveDeadlineLosesNoMessage) {
  TestAssociation a = Establish();
  auto request = ReceiveFrom(session(), a.id);
  v1::ReceiveResponse response;
  grpc::Status status = Call(&Stub::Receive, request, &response, 300ms);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_EQ(response.messages_size(), 0);
  ASSERT_TRUE(WaitForWaitingOperations(0));
  ExpectNextReceiveGets(a, "after the deadline");
}

TEST_F(GatewayServiceTest, ReceiveCancelledByTheClientTakesNoMessage) {
  TestAssociation a = Establish();
  auto request = ReceiveFrom(session(), a.id);
  auto call = Start(&AsyncStub::Receive, request);
  ASSERT_TRUE(WaitForWaitingOperations(1));
  call->Cancel();
  grpc::Status status = call->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  ASSERT_TRUE(WaitForWaitingOperations(0));
  ExpectNextReceiveGets(a, "for the next call");
}

TEST_F(GatewayServiceTest, GracefulShutdownCompletesOnShutdownComp) {
  TestAssociation a = Establish();
  Calls started = NewCalls();
  EXPECT_CALL(stack(), Shutdown(a.socket, kKernelAssoc))
      .WillOnce(NoteThenReturn(started, absl::OkStatus()));
  auto request = For<v1::ShutdownRequest>(session());
  request.set_association_id(a.id);
  request.set_mode(v1::SHUTDOWN_MODE_GRACEFUL);
  auto call = Start(&AsyncStub::Shutdown, request);
  ASSERT_TRUE(started->WaitFor(1));
  auto get = For<v1::GetAssociationRequest>(session());
  get.set_association_id(a.id);
  v1::GetAssociationResponse info;
  ASSERT_TRUE(Call(&Stub::GetAssociation, get, &info).ok());
  EXPECT_EQ(info.association().state(), v1::ASSOCIATION_STATE_SHUTTING_DOWN);
  EXPECT_FALSE(call->done()) << "graceful Shutdown returned before SHUTDOWN_COMP";

  EXPECT_CALL(stack(), CloseWhenDrained(a.socket));
  Inject(a.socket, ShutdownComp());
  grpc::Status status = call->Wait();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Associations(Stats()), 0u);
  // A late call names an association that has ended.
  auto send = For<v1::SendRequest>(session());
  send.set_association_id(a.id);
  *send.add_messages() = Message("too late");
  v1::SendResponse sent;
  grpc::Status late = Call(&Stub::Send, send, &sent);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(late), "ASSOCIATION_CLOSED");
}

TEST_F(GatewayServiceTest, AbortSendsTheReasonAndEndsTheAssociationAtOnce) {
  TestAssociation a = Establish();
  EXPECT_CALL(stack(), Abort(a.socket, kKernelAssoc, absl::string_view("going away")));
  EXPECT_CALL(stack(), Shutdown(_, _)).Times(0);
  auto request = For<v1::ShutdownRequest>(session());
  request.set_association_id(a.id);
  request.set_mode(v1::SHUTDOWN_MODE_ABORT);
  request.set_abort_reason("going away");
  v1::ShutdownResponse response;
  grpc::Status status = Call(&Stub::Shutdown, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto send = For<v1::SendRequest>(session());
  send.set_association_id(a.id);
  *send.add_messages() = Message("after the abort");
  v1::SendResponse sent;
  status = Call(&Stub::Send, send, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_CLOSED");
  EXPECT_TRUE(this->sent().values().empty());

  // The kernel's COMM_LOST follows: the association is gone.
  EXPECT_CALL(stack(), CloseWhenDrained(a.socket));
  Inject(a.socket, CommLost());
  EXPECT_EQ(Associations(Stats()), 0u);
  auto oversized = request;
  oversized.set_abort_reason(std::string(257, 'r'));
  status = Call(&Stub::Shutdown, oversized, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorMetadata(status)["field"], "abort_reason");
}

TEST_F(GatewayServiceTest, GetAndListAssociationsPageThroughIncomingAssociations) {
  net::SocketId endpoint_socket = 0;
  uint64_t endpoint_id = OpenEndpoint(session(), /*listen=*/true, &endpoint_socket);
  for (int kernel_id : {11, 12, 13}) {
    ExpectPeelOff(endpoint_socket, kernel_id);
    Inject(endpoint_socket, CommUp(kernel_id));
  }
  auto list = For<v1::ListAssociationsRequest>(session());
  list.set_endpoint_id(endpoint_id);
  list.set_page_size(2);
  v1::ListAssociationsResponse page;
  ASSERT_TRUE(Call(&Stub::ListAssociations, list, &page).ok());
  ASSERT_EQ(page.associations_size(), 2);
  EXPECT_EQ(page.associations(0).kernel_association_id(), 11);
  EXPECT_EQ(page.associations(1).kernel_association_id(), 12);
  EXPECT_TRUE(page.associations(0).incoming());
  EXPECT_LT(page.associations(0).association_id(), page.associations(1).association_id());
  ASSERT_FALSE(page.next_page_token().empty());
  list.set_page_token(page.next_page_token());
  v1::ListAssociationsResponse last;
  ASSERT_TRUE(Call(&Stub::ListAssociations, list, &last).ok());
  ASSERT_EQ(last.associations_size(), 1);
  EXPECT_EQ(last.associations(0).kernel_association_id(), 13);
  EXPECT_TRUE(last.next_page_token().empty());

  list.set_page_token("not a token");
  grpc::Status status = Call(&Stub::ListAssociations, list, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorMetadata(status)["field"], "page_token");

  auto get = For<v1::GetAssociationRequest>(session());
  get.set_association_id(last.associations(0).association_id());
  v1::GetAssociationResponse info;
  status = Call(&Stub::GetAssociation, get, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.association().state(), v1::ASSOCIATION_STATE_ESTABLISHED);
  EXPECT_EQ(info.association().endpoint_id(), endpoint_id);
  EXPECT_EQ(info.status().peer_rwnd(), 65536u);
  ASSERT_EQ(info.paths_size(), 1);
  EXPECT_EQ(info.paths(0).address().ip(), kPeerIp);
  EXPECT_EQ(info.paths(0).srtt_ms(), 12u);
  EXPECT_EQ(info.path_parameters().rto_initial_ms(), 3000u);

  get.set_association_id(987654);
  status = Call(&Stub::GetAssociation, get, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_NOT_FOUND");
  // Another session sees none of them.
  get = For<v1::GetAssociationRequest>(OpenSession());
  get.set_association_id(last.associations(0).association_id());
  status = Call(&Stub::GetAssociation, get, &info);
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_NOT_FOUND");
}

TEST_F(GatewayServiceTest, ListEndpointsPagesAndCountsAssociations) {
  TestAssociation a = Establish();
  uint64_t second = OpenEndpoint(session());
  uint64_t third = OpenEndpoint(session(), /*listen=*/true);
  OpenEndpoint(OpenSession());  // Another session's: never listed here.
  auto list = For<v1::ListEndpointsRequest>(session());
  list.set_page_size(2);
  v1::ListEndpointsResponse page;
  ASSERT_TRUE(Call(&Stub::ListEndpoints, list, &page).ok());
  ASSERT_EQ(page.endpoints_size(), 2);
  EXPECT_EQ(page.endpoints(0).endpoint_id(), a.endpoint_id);
  EXPECT_EQ(page.endpoints(0).association_count(), 1u);
  EXPECT_EQ(page.endpoints(1).endpoint_id(), second);
  EXPECT_EQ(page.endpoints(1).association_count(), 0u);
  ASSERT_FALSE(page.next_page_token().empty());
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(Call(&Stub::ListEndpoints, list, &page).ok());
  ASSERT_EQ(page.endpoints_size(), 1);
  EXPECT_EQ(page.endpoints(0).endpoint_id(), third);
  EXPECT_TRUE(page.endpoints(0).listening());
  EXPECT_TRUE(page.next_page_token().empty());

  list.set_page_size(1001);
  grpc::Status status = Call(&Stub::ListEndpoints, list, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorMetadata(status)["field"], "page_size");
}

// CloseSession ends what waits for the session, shuts its associations down
// and closes its endpoints; its id is unknown from then on.
TEST_F(GatewayServiceTest, CloseSessionThenCallsGetSessionNotFound) {
  core::GatewayStats baseline = Stats();
  std::string session = OpenSession();
  TestAssociation a = Establish(session);
  auto receive = ReceiveFrom(session, a.id);
  auto waiting = Start(&AsyncStub::Receive, receive);
  ASSERT_TRUE(WaitForWaitingOperations(1));

  EXPECT_CALL(stack(), Shutdown(a.socket, kKernelAssoc));
  v1::CloseSessionResponse closed;
  grpc::Status status = Call(&Stub::CloseSession, For<v1::CloseSessionRequest>(session), &closed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  grpc::Status ended = waiting->Wait();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::NOT_FOUND) << ended.error_message();
  EXPECT_EQ(ErrorReason(ended), "SESSION_NOT_FOUND");

  v1::ListEndpointsResponse endpoints;
  status = Call(&Stub::ListEndpoints, For<v1::ListEndpointsRequest>(session), &endpoints);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND");
  auto send = For<v1::SendRequest>(session);
  send.set_association_id(a.id);
  *send.add_messages() = Message("x");
  v1::SendResponse sent;
  EXPECT_EQ(ErrorReason(Call(&Stub::Send, send, &sent)), "SESSION_NOT_FOUND");
  status = Call(&Stub::CloseSession, For<v1::CloseSessionRequest>(session), &closed);
  EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND");

  // The peer completes the shutdown: the association and then the endpoint go.
  EXPECT_CALL(stack(), CloseWhenDrained(a.socket));
  EXPECT_CALL(stack(), Close(a.endpoint_socket));
  Inject(a.socket, ShutdownComp());
  core::GatewayStats after = Stats();
  EXPECT_EQ(after.sessions, baseline.sessions);
  EXPECT_EQ(after.endpoints, baseline.endpoints);
  EXPECT_EQ(Associations(after), 0u);
  EXPECT_EQ(after.waiting_operations, 0u);
}

// While sctpgw stops, a waiting call and every new one are told so
// (UNAVAILABLE, retryable elsewhere), not that their session is gone.
TEST_F(GatewayServiceTest, CallsWhileTheServiceStopsAreShuttingDown) {
  TestAssociation a = Establish();
  auto receive = ReceiveFrom(session(), a.id);
  auto waiting = Start(&AsyncStub::Receive, receive);
  ASSERT_TRUE(WaitForWaitingOperations(1));
  EventStream events(stub(), For<v1::WatchEventsRequest>(session()));
  ASSERT_EQ(events.Events(1).size(), 1u);  // The COMM_UP.

  StopService();
  grpc::Status status = waiting->Wait();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SHUTTING_DOWN");
  grpc::Status ended = events.Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  EXPECT_EQ(ErrorReason(ended), "SHUTTING_DOWN");

  v1::ListEndpointsResponse endpoints;
  grpc::Status late =
      Call(&Stub::ListEndpoints, For<v1::ListEndpointsRequest>(session()), &endpoints);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorReason(late), "SHUTTING_DOWN");
  v1::ReceiveResponse received;
  late = Call(&Stub::Receive, receive, &received);
  EXPECT_EQ(ErrorReason(late), "SHUTTING_DOWN");
  v1::OpenSessionResponse opened;
  late = Call(&Stub::OpenSession, v1::OpenSessionRequest(), &opened);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorReason(late), "SHUTTING_DOWN");
}

// ---------------------------------------------------------------- WatchEvents

v1::AssociationChangeType ChangeOf(const v1::Event& event) {
  return event.association_change().type();
}

TEST_F(GatewayServiceTest, WatchEventsAcksThenSendsEventsInOrder) {
  EventStream stream(stub(), For<v1::WatchEventsRequest>(session()));
  v1::WatchEventsResponse first;
  ASSERT_TRUE(stream.Next(&first));
  ASSERT_TRUE(first.has_ack());
  EXPECT_EQ(first.ack().after_sequence(), 0u);
  EXPECT_EQ(first.ack().last_sequence(), 0u);

  TestAssociation a = Establish();
  Inject(a.socket, PathDown());
  Inject(a.socket, PathUp());
  Inject(a.socket, CommLost());
  std::vector<v1::Event> events = stream.Events(4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(ChangeOf(events[0]), v1::ASSOCIATION_CHANGE_TYPE_COMM_UP);
  EXPECT_EQ(events[1].peer_address_change().type(), v1::PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE);
  EXPECT_EQ(events[1].peer_address_change().address().ip(), kPeerIp);
  EXPECT_EQ(events[2].peer_address_change().type(), v1::PEER_ADDRESS_CHANGE_TYPE_AVAILABLE);
  EXPECT_EQ(ChangeOf(events[3]), v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1) << "event " << i;
    EXPECT_EQ(events[i].association_id(), a.id);
    EXPECT_EQ(events[i].endpoint_id(), a.endpoint_id);
  }
  stream.Cancel();
  EXPECT_EQ(stream.Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GatewayServiceTest, WatchEventsResumesAfterASequenceOrFromNewOnly) {
  TestAssociation a = Establish();  // Event 1.
  Inject(a.socket, PathDown());     // 2
  Inject(a.socket, PathUp());       // 3
  auto request = For<v1::WatchEventsRequest>(session());
  request.set_after_sequence(1);
  {
    EventStream resumed(stub(), request);
    v1::WatchEventsResponse ack;
    ASSERT_TRUE(resumed.Next(&ack));
    EXPECT_EQ(ack.ack().after_sequence(), 1u);
    EXPECT_EQ(ack.ack().last_sequence(), 3u);
    std::vector<v1::Event> events = resumed.Events(2);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].sequence(), 2u);
    EXPECT_EQ(events[1].sequence(), 3u);
    resumed.Cancel();
    EXPECT_EQ(resumed.Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  request.set_after_sequence(0);
  request.set_only_new(true);
  EventStream fresh(stub(), request);
  v1::WatchEventsResponse ack;
  ASSERT_TRUE(fresh.Next(&ack));
  EXPECT_EQ(ack.ack().after_sequence(), 3u);
  Inject(a.socket, PathDown());  // 4: the first this stream gets.
  std::vector<v1::Event> events = fresh.Events(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sequence(), 4u);
  fresh.Cancel();
  EXPECT_EQ(fresh.Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GatewayServiceTest, WatchEventsRefusesAProgressIntervalOutOfRange) {
  for (uint32_t interval : {999u, 3600001u}) {
    auto request = For<v1::WatchEventsRequest>(session());
    request.set_progress_interval_ms(interval);
    EventStream stream(stub(), request);
    v1::WatchEventsResponse response;
    EXPECT_FALSE(stream.Next(&response)) << "no ack for a refused stream";
    grpc::Status status = stream.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << interval;
    EXPECT_EQ(ErrorReason(status), "INVALID_ARGUMENT");
    EXPECT_EQ(ErrorMetadata(status)["field"], "progress_interval_ms");
  }
  EventStream unknown(stub(), For<v1::WatchEventsRequest>(kUnknownSession));
  grpc::Status status = unknown.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND");
}

TEST_F(GatewayServiceTest, WatchEventsEndsWithSessionNotFoundWhenTheSessionCloses) {
  std::string session = OpenSession();
  EventStream stream(stub(), For<v1::WatchEventsRequest>(session));
  v1::WatchEventsResponse ack;
  ASSERT_TRUE(stream.Next(&ack));
  ASSERT_TRUE(ack.has_ack());
  v1::CloseSessionResponse closed;
  ASSERT_TRUE(Call(&Stub::CloseSession, For<v1::CloseSessionRequest>(session), &closed).ok());
  grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND");
}

TEST_F(GatewayServiceTest, WatchEventsCancelledByTheClient) {
  EventStream stream(stub(), For<v1::WatchEventsRequest>(session()));
  v1::WatchEventsResponse ack;
  ASSERT_TRUE(stream.Next(&ack));
  stream.Cancel();
  EXPECT_EQ(stream.Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The stream no longer holds the session: it lives on its lease again,
  // and other events still flow to new streams.
  TestAssociation a = Establish();
  EventStream next(stub(), For<v1::WatchEventsRequest>(session()));
  std::vector<v1::Event> events = next.Events(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].association_id(), a.id);
  next.Cancel();
  EXPECT_EQ(next.Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GatewayServiceTest, WatchEventsSendsProgressWhenIdle) {
  auto request = For<v1::WatchEventsRequest>(session());
  request.set_progress_interval_ms(1000);
  EventStream stream(stub(), request);
  v1::WatchEventsResponse response;
  ASSERT_TRUE(stream.Next(&response));
  ASSERT_TRUE(response.has_ack());
  Tick();  // Too early: nothing.
  Tick(1000ms);
  ASSERT_TRUE(stream.Next(&response));
  ASSERT_TRUE(response.has_progress()) << response.DebugString();
  EXPECT_EQ(response.progress().last_sequence(), 0u);
  EXPECT_TRUE(response.progress().has_time());
  stream.Cancel();
  EXPECT_EQ(stream.Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GatewayServiceTest, WatchEventsKeepsTheSessionAlivePastItsLease) {
  size_t baseline = Stats().sessions;
  std::string session = OpenSession(kShortLease);
  EventStream stream(stub(), For<v1::WatchEventsRequest>(session));
  v1::WatchEventsResponse ack;
  ASSERT_TRUE(stream.Next(&ack));
  ASSERT_TRUE(ack.has_ack());
  EXPECT_EQ(SessionsAfter(3 * kShortLease), baseline + 1)
      << "the session expired under an open event stream";

  // Without the stream the lease runs out.
  stream.Cancel();
  EXPECT_EQ(stream.Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitForStats([&](const core::GatewayStats& s) { return s.sessions == baseline; }));
  v1::ListEndpointsResponse endpoints;
  grpc::Status status =
      Call(&Stub::ListEndpoints, For<v1::ListEndpointsRequest>(session), &endpoints);
  EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND");
}

TEST_F(GatewayServiceTest, GetServiceStatusSaysHowTheProcessStandsWithoutASession) {
  ProcessInfo info;
  info.version = "9.8.7";
  info.kernel_sctp = true;
  info.start = ProcessInfo::Start::kRecovered;
  info.associations_recovered = 2;
  info.messages_lost = 5;
  info.messages_unconfirmed = 1;
  info.crash_survival = true;
  service().SetProcessInfo(info);
  v1::GetServiceStatusResponse response;
  ASSERT_TRUE(Call(&Stub::GetServiceStatus, v1::GetServiceStatusRequest(), &response).ok());
  EXPECT_EQ(response.version(), "9.8.7");
  EXPECT_EQ(response.state(), v1::SERVICE_STATE_SERVING);
  EXPECT_EQ(response.start(), v1::SERVICE_START_RECOVERED);
  EXPECT_EQ(response.associations_recovered(), 2u);
  EXPECT_EQ(response.messages_lost(), 5u);
  EXPECT_EQ(response.messages_unconfirmed(), 1u);
  EXPECT_TRUE(response.crash_survival());
  EXPECT_TRUE(response.kernel_sctp());
  EXPECT_EQ(response.sessions(), Stats().sessions);
  EXPECT_GT(response.started().seconds(), 0);
  // While a handover is under way it still answers, and says so.
  ASSERT_TRUE(RunOnLoop([this] { return gateway().Freeze().ok(); }));
  ASSERT_TRUE(Call(&Stub::GetServiceStatus, v1::GetServiceStatusRequest(), &response).ok());
  EXPECT_EQ(response.state(), v1::SERVICE_STATE_HANDING_OVER);
  RunOnLoop([this] {
    gateway().Thaw();
    return true;
  });
  ASSERT_TRUE(Call(&Stub::GetServiceStatus, v1::GetServiceStatusRequest(), &response).ok());
  EXPECT_EQ(response.state(), v1::SERVICE_STATE_SERVING);
}

}  // namespace
}  // namespace sctpgw::rpc
