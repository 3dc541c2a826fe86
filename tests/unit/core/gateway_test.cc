#include "server/core/gateway.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <optional>

#include "server/core/errors.h"
#include "server/net/errno_status.h"
#include "tests/mocks/net/mock_sctp_stack.h"

namespace sctpgw::core {
namespace {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::Field;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::StrictMock;

constexpr net::SocketId kEndpointSocket = 100;
constexpr net::SocketId kAssociationSocket = 200;
constexpr net::AssocId kKernelAssoc = 7;

net::SocketAddress Address(const char* ip, uint16_t port) {
  return *net::SocketAddress::Parse(ip, port);
}

net::Notification AssocChange(net::AssociationChange change, net::AssocId assoc = kKernelAssoc) {
  net::Notification n;
  n.type = net::NotificationType::kAssociationChange;
  n.assoc_id = assoc;
  n.association_change = change;
  n.outbound_streams = 4;
  n.inbound_streams = 4;
  return n;
}

net::InboundMessage Inbound(const std::string& payload, uint16_t stream = 0) {
  net::InboundMessage m;
  m.assoc_id = kKernelAssoc;
  m.stream = stream;
  m.payload = payload;
  return m;
}

OutboundMessage Outbound(const std::string& payload, uint32_t stream = 0) {
  OutboundMessage m;
  m.stream = stream;
  m.payload = payload;
  return m;
}

Deadline In(std::chrono::milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

// Holds the last result a Done callback delivered.
template <typename T>
struct Result {
  std::optional<absl::StatusOr<T>> value;
  Done<T> callback() {
    return [this](absl::StatusOr<T> v) {
      ASSERT_FALSE(value.has_value()) << "completed twice";
      value = std::move(v);
    };
  }
};

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest() {
    limits_.association_queue_bytes = 100;
    limits_.max_message_bytes = 1000;
    gateway_.emplace(stack_, limits_);
    session_ = gateway_->OpenSession(std::chrono::milliseconds(0), "unit")->id;
  }

  uint64_t OpenEndpoint() {
    EXPECT_CALL(stack_, OpenEndpoint(_)).WillOnce(Return(kEndpointSocket));
    EXPECT_CALL(stack_, LocalPort(kEndpointSocket)).WillOnce(Return(uint16_t{38412}));
    EXPECT_CALL(stack_, LocalAddresses(kEndpointSocket, 0))
        .WillOnce(Return(std::vector<net::SocketAddress>{Address("192.0.2.1", 38412)}));
    EXPECT_CALL(stack_, MaxSendSize(kEndpointSocket)).WillOnce(Return(size_t{1 << 20}));
    EXPECT_CALL(stack_, Settings(kEndpointSocket)).WillOnce(Return(net::SocketSettings{}));
    EndpointSpec spec = endpoint_spec_;
    spec.addresses = {Address("192.0.2.1", 0)};
    auto endpoint = gateway_->OpenEndpoint(session_, spec);
    EXPECT_TRUE(endpoint.ok()) << endpoint.status();
    EXPECT_EQ(endpoint->port, 38412);
    return endpoint->id;
  }

  void ExpectPeelOff() {
    EXPECT_CALL(stack_, PeelOff(kEndpointSocket, kKernelAssoc)).WillOnce(Return(kAssociationSocket));
    EXPECT_CALL(stack_, PeerAddresses(kAssociationSocket, kKernelAssoc))
        .WillOnce(Return(std::vector<net::SocketAddress>{Address("198.51.100.9", 2905)}));
    EXPECT_CALL(stack_, LocalAddresses(kAssociationSocket, kKernelAssoc))
        .WillOnce(Return(std::vector<net::SocketAddress>{Address("192.0.2.1", 38412)}));
  }

  // Opens an endpoint and starts an association from it to a peer.
  void StartAssociate(Result<AssociationInfo>* result, std::chrono::milliseconds deadline) {
    uint64_t endpoint = OpenEndpoint();
    EXPECT_CALL(stack_, Connect(kEndpointSocket, _, _)).WillOnce(Return(kKernelAssoc));
    AssociateSpec spec;
    spec.endpoint_id = endpoint;
    spec.peers = {Address("198.51.100.9", 2905)};
    gateway_->Associate(session_, spec, In(deadline), result->callback());
    stack_.RunPosted();
    EXPECT_FALSE(result->value.has_value());
  }

  // An established association; returns its id.
  uint64_t Establish() {
    Result<AssociationInfo> result;
    StartAssociate(&result, 5000ms);
    ExpectPeelOff();
    stack_.observer()->OnNotification(kEndpointSocket, AssocChange(net::AssociationChange::kCommUp));
    stack_.RunPosted();
    EXPECT_TRUE(result.value.has_value() && result.value->ok());
    return (*result.value)->id;
  }

  StrictMock<net::MockSctpStack> stack_;
  EndpointSpec endpoint_spec_;  // What OpenEndpoint() asks for besides its address.
  Limits limits_;
  std::optional<Gateway> gateway_;
  std::string session_;
};

TEST_F(GatewayTest, AssociateCompletesOnCommUpWithPeeledSocketAndEvent) {
  Result<AssociationInfo> result;
  StartAssociate(&result, 5000ms);

  ExpectPeelOff();
  stack_.observer()->OnNotification(kEndpointSocket, AssocChange(net::AssociationChange::kCommUp));
  stack_.RunPosted();
  ASSERT_TRUE(result.value.has_value());
  ASSERT_TRUE(result.value->ok()) << result.value->status();
  const AssociationInfo& info = **result.value;
  EXPECT_EQ(info.state, AssociationState::kEstablished);
  EXPECT_EQ(info.outbound_streams, 4);
  EXPECT_EQ(info.peer_addresses.front().ToString(), "198.51.100.9:2905");
  EXPECT_EQ(stack_.pending_timers(), 1u) << "only the session's lease may remain";

  std::vector<EventPtr> events;
  ASSERT_TRUE(gateway_->events().Read(0, 10, &events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->sequence, 1u);
  EXPECT_EQ(events[0]->association_id, info.id);
}

TEST_F(GatewayTest, AssociateDeadlineAbortsTheHalfOpenAssociation) {
  Result<AssociationInfo> result;
  StartAssociate(&result, 1000ms);

  EXPECT_CALL(stack_, Abort(kEndpointSocket, kKernelAssoc, _)).WillOnce(Return(absl::OkStatus()));
  stack_.AdvanceTime(1000ms);
  ASSERT_TRUE(result.value.has_value());
  EXPECT_EQ(result.value->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(gateway_->ListAssociations(session_, 0)->empty());
  // The notification the kernel gives for the aborted attempt is dropped.
  stack_.observer()->OnNotification(kEndpointSocket, AssocChange(net::AssociationChange::kCantStartAssociation));
  stack_.RunPosted();
  EXPECT_TRUE(gateway_->ListAssociations(session_, 0)->empty());
}

TEST_F(GatewayTest, AssociateRefusedFailsWithAssociateFailed) {
  Result<AssociationInfo> result;
  StartAssociate(&result, 5000ms);
  stack_.observer()->OnNotification(kEndpointSocket, AssocChange(net::AssociationChange::kCantStartAssociation));
  stack_.RunPosted();
  ASSERT_TRUE(result.value.has_value());
  EXPECT_EQ(result.value->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(result.value->status()), "ASSOCIATE_FAILED");
  EXPECT_TRUE(gateway_->ListAssociations(session_, 0)->empty());
  EXPECT_EQ(stack_.pending_timers(), 1u);  // The session's lease.
}

TEST_F(GatewayTest, SendValidatesEveryMessageBeforeSendingAny) {
  uint64_t id = Establish();
  struct Case {
    std::vector<OutboundMessage> messages;
    const char* reason;
  };
  std::vector<Case> cases = {
      {{Outbound("ok"), Outbound("bad stream", 4)}, "STREAM_OUT_OF_RANGE"},
      {{Outbound("ok"), Outbound("")}, "EMPTY_MESSAGE"},
      {{Outbound("ok"), Outbound(std::string(1001, 'x'))}, "MESSAGE_TOO_LARGE"},
      {{}, "INVALID_ARGUMENT"},
  };
  for (const Case& c : cases) {
    Result<size_t> result;
    gateway_->Send(session_, id, c.messages, In(1000ms), result.callback());
    stack_.RunPosted();
    ASSERT_TRUE(result.value.has_value());
    EXPECT_EQ(ErrorReason(result.value->status()), c.reason);
  }
  Result<size_t> unknown;
  gateway_->Send(session_, 999, {Outbound("x")}, In(1000ms), unknown.callback());
  stack_.RunPosted();
  EXPECT_EQ(unknown.value->status().code(), absl::StatusCode::kNotFound);
  // StrictMock: no Send reached the stack.
}

// A message for one chosen peer address must name one of the
// association's; it goes to the kernel with the association's port. The
// kernel's EMSGSIZE (fragments disabled) is MESSAGE_TOO_LARGE_FOR_PATH.
TEST_F(GatewayTest, SendToAChosenPeerAddress) {
  uint64_t id = Establish();
  OutboundMessage stranger = Outbound("x");
  stranger.peer_address = Address("203.0.113.1", 0);
  Result<size_t> refused;
  gateway_->Send(session_, id, {Outbound("ok"), stranger}, In(1000ms), refused.callback());
  stack_.RunPosted();
  ASSERT_TRUE(refused.value.has_value());
  EXPECT_EQ(ErrorReason(refused.value->status()), "INVALID_ADDRESS");
  EXPECT_EQ(ErrorMetadataOf(refused.value->status())["field"], "messages[1].peer_address");

  OutboundMessage chosen = Outbound("to the peer");
  chosen.peer_address = Address("198.51.100.9", 0);
  chosen.pr_policy = net::SendInfo::PrPolicy::kRetransmissions;
  chosen.pr_value = 1;
  EXPECT_CALL(stack_, Send(kAssociationSocket, _, _))
      .WillOnce(Invoke([](net::SocketId, const net::SendInfo& info, absl::Span<const uint8_t>) {
        EXPECT_TRUE(info.destination.has_value());
        if (info.destination) {
          EXPECT_EQ(info.destination->ToString(), "198.51.100.9:2905");
        }
        EXPECT_EQ(info.pr_policy, net::SendInfo::PrPolicy::kRetransmissions);
        EXPECT_EQ(info.pr_value, 1u);
        return absl::OkStatus();
      }))
      .WillOnce(Return(net::ErrnoStatus(EMSGSIZE, "sendmsg")));
  Result<size_t> sent;
  gateway_->Send(session_, id, {chosen}, In(1000ms), sent.callback());
  stack_.RunPosted();
  ASSERT_TRUE(sent.value.has_value() && sent.value->ok());
  net::AssociationStatus kernel;
  kernel.fragmentation_point = 1452;
  EXPECT_CALL(stack_, Status(kAssociationSocket, kKernelAssoc)).WillOnce(Return(kernel));
  Result<size_t> too_large;
  gateway_->Send(session_, id, {Outbound("large")}, In(1000ms), too_large.callback());
  stack_.RunPosted();
  ASSERT_TRUE(too_large.value.has_value());
  EXPECT_EQ(ErrorReason(too_large.value->status()), "MESSAGE_TOO_LARGE_FOR_PATH");
  EXPECT_EQ(ErrorMetadataOf(too_large.value->status())["fragmentation_point"], "1452");
}

TEST_F(GatewayTest, HeartbeatOnDemandToOnePathOrEvery) {
  uint64_t id = Establish();
  EXPECT_CALL(stack_, RequestHeartbeat(kAssociationSocket, kKernelAssoc,
                                       std::optional<net::SocketAddress>()))
      .WillOnce(Return(absl::OkStatus()));
  EXPECT_TRUE(gateway_->RequestHeartbeat(session_, id, std::nullopt).ok());
  EXPECT_CALL(stack_, RequestHeartbeat(kAssociationSocket, kKernelAssoc,
                                       std::optional<net::SocketAddress>(
                                           Address("198.51.100.9", 2905))))
      .WillOnce(Return(absl::OkStatus()));
  EXPECT_TRUE(gateway_->RequestHeartbeat(session_, id, Address("198.51.100.9", 0)).ok());
  EXPECT_EQ(ErrorReason(gateway_->RequestHeartbeat(session_, id, Address("203.0.113.1", 0))),
            "INVALID_ADDRESS");
}

// While sctpgw drains after Close(), a session's calls are told it is
// stopping (UNAVAILABLE), not that their session is gone (NOT_FOUND).
TEST_F(GatewayTest, CallsAfterCloseAreShuttingDownNotSessionNotFound) {
  gateway_->Close();
  stack_.RunPosted();
  auto endpoints = gateway_->ListEndpoints(session_);
  EXPECT_EQ(ErrorReason(endpoints.status()), "SHUTTING_DOWN");
  EXPECT_EQ(endpoints.status().code(), absl::StatusCode::kUnavailable);
  Result<size_t> sent;
  gateway_->Send(session_, 1, {Outbound("x")}, In(1000ms), sent.callback());
  stack_.RunPosted();
  ASSERT_TRUE(sent.value.has_value());
  EXPECT_EQ(ErrorReason(sent.value->status()), "SHUTTING_DOWN");
  Result<bool> shutdown;
  gateway_->Shutdown(session_, 1, /*abort=*/false, "", In(1000ms), shutdown.callback());
  stack_.RunPosted();
  ASSERT_TRUE(shutdown.value.has_value());
  EXPECT_EQ(ErrorReason(shutdown.value->status()), "SHUTTING_DOWN");
}

// A completion never runs inside the call that started it, not even one
// that is ready at once: callers need no defence against re-entry.
TEST_F(GatewayTest, CompletionsNeverRunInsideTheCallThatStartedThem) {
  uint64_t id = Establish();
  Result<size_t> invalid;
  gateway_->Send(session_, id, {}, In(1000ms), invalid.callback());
  EXPECT_FALSE(invalid.value.has_value());
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("queued"));
  ReceiveSpec spec;
  spec.association_id = id;
  Result<std::vector<ReceivedMessage>> ready;
  gateway_->Receive(session_, spec, In(1000ms), ready.callback());
  EXPECT_FALSE(ready.value.has_value());
  EXPECT_CALL(stack_, Send(kAssociationSocket, _, _)).WillOnce(Return(absl::OkStatus()));
  Result<size_t> sent;
  gateway_->Send(session_, id, {Outbound("x")}, In(1000ms), sent.callback());
  EXPECT_FALSE(sent.value.has_value());
  stack_.RunPosted();
  ASSERT_TRUE(invalid.value.has_value());
  EXPECT_EQ(ErrorReason(invalid.value->status()), "INVALID_ARGUMENT");
  ASSERT_TRUE(ready.value.has_value() && ready.value->ok());
  EXPECT_EQ((**ready.value)[0].message.payload, "queued");
  ASSERT_TRUE(sent.value.has_value() && sent.value->ok());
  EXPECT_EQ(**sent.value, 1u);
}

TEST_F(GatewayTest, SendWaitsForRoomWhenTheKernelBufferIsFull) {
  uint64_t id = Establish();
  ::testing::InSequence in_order;
  EXPECT_CALL(stack_, Send(kAssociationSocket, _, _)).WillOnce(Return(absl::OkStatus()));
  EXPECT_CALL(stack_, Send(kAssociationSocket, _, _))
      .WillOnce(Return(net::ErrnoStatus(EAGAIN, "sendmsg")));
  Result<size_t> result;
  gateway_->Send(session_, id, {Outbound("one"), Outbound("two")}, In(5000ms), result.callback());
  stack_.RunPosted();
  EXPECT_FALSE(result.value.has_value());

  EXPECT_CALL(stack_, Send(kAssociationSocket, _, _)).WillOnce(Return(absl::OkStatus()));
  stack_.observer()->OnWritable(kAssociationSocket);
  stack_.RunPosted();
  ASSERT_TRUE(result.value.has_value());
  ASSERT_TRUE(result.value->ok());
  EXPECT_EQ(**result.value, 2u);
}

TEST_F(GatewayTest, SendDeadlineSaysHowManyWereAccepted) {
  uint64_t id = Establish();
  ::testing::InSequence in_order;
  EXPECT_CALL(stack_, Send(kAssociationSocket, _, _)).WillOnce(Return(absl::OkStatus()));
  EXPECT_CALL(stack_, Send(kAssociationSocket, _, _))
      .WillOnce(Return(net::ErrnoStatus(EAGAIN, "sendmsg")));
  Result<size_t> result;
  gateway_->Send(session_, id, {Outbound("one"), Outbound("two"), Outbound("three")}, In(1000ms),
                 result.callback());
  stack_.RunPosted();
  stack_.AdvanceTime(1000ms);
  ASSERT_TRUE(result.value.has_value());
  EXPECT_EQ(result.value->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ErrorMetadataOf(result.value->status())["accepted_messages"], "1");
  // The withdrawn messages are not sent when room comes back.
  stack_.observer()->OnWritable(kAssociationSocket);
  stack_.RunPosted();
}

TEST_F(GatewayTest, ReceiveWaitsThenCompletesAndDeadlineLosesNothing) {
  uint64_t id = Establish();
  ReceiveSpec spec;
  spec.association_id = id;
  Result<std::vector<ReceivedMessage>> timed_out;
  gateway_->Receive(session_, spec, In(1000ms), timed_out.callback());
  stack_.RunPosted();
  stack_.AdvanceTime(1000ms);
  ASSERT_TRUE(timed_out.value.has_value());
  EXPECT_EQ(timed_out.value->status().code(), absl::StatusCode::kDeadlineExceeded);

  Result<std::vector<ReceivedMessage>> waiting;
  gateway_->Receive(session_, spec, In(5000ms), waiting.callback());
  stack_.RunPosted();
  EXPECT_FALSE(waiting.value.has_value());
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("hello", 2));
  stack_.RunPosted();
  ASSERT_TRUE(waiting.value.has_value());
  ASSERT_TRUE(waiting.value->ok());
  ASSERT_EQ((*waiting.value)->size(), 1u);
  EXPECT_EQ((**waiting.value)[0].message.payload, "hello");
  EXPECT_EQ((**waiting.value)[0].message.stream, 2);
  EXPECT_EQ((**waiting.value)[0].association_id, id);
}

TEST_F(GatewayTest, FullQueueStopsReadingUntilDrained) {
  uint64_t id = Establish();
  EXPECT_CALL(stack_, PauseReading(kAssociationSocket, true));
  for (int i = 0; i < 3; ++i) {
    stack_.observer()->OnMessage(kAssociationSocket, Inbound(std::string(40, 'a' + i)));
    stack_.RunPosted();
  }
  EXPECT_EQ(gateway_->GetAssociation(session_, id)->queued_bytes, 120u);

  EXPECT_CALL(stack_, PauseReading(kAssociationSocket, false));
  ReceiveSpec spec;
  spec.association_id = id;
  spec.max_messages = 2;
  Result<std::vector<ReceivedMessage>> result;
  gateway_->Receive(session_, spec, In(1000ms), result.callback());
  stack_.RunPosted();
  ASSERT_TRUE(result.value->ok());
  ASSERT_EQ((*result.value)->size(), 2u);
  EXPECT_EQ((**result.value)[0].message.payload[0], 'a');
  EXPECT_EQ((**result.value)[1].message.payload[0], 'b');
  EXPECT_EQ(gateway_->GetAssociation(session_, id)->queued_bytes, 40u);
}

TEST_F(GatewayTest, GracefulShutdownCompletesOnShutdownComp) {
  uint64_t id = Establish();
  EXPECT_CALL(stack_, Shutdown(kAssociationSocket, kKernelAssoc)).WillOnce(Return(absl::OkStatus()));
  Result<bool> result;
  gateway_->Shutdown(session_, id, /*abort=*/false, "", In(5000ms), result.callback());
  stack_.RunPosted();
  EXPECT_FALSE(result.value.has_value());
  EXPECT_EQ(gateway_->GetAssociation(session_, id)->state, AssociationState::kShuttingDown);

  EXPECT_CALL(stack_, CloseWhenDrained(kAssociationSocket));
  stack_.observer()->OnNotification(kAssociationSocket, AssocChange(net::AssociationChange::kShutdownComplete));
  stack_.RunPosted();
  ASSERT_TRUE(result.value.has_value());
  EXPECT_TRUE(result.value->ok());
  EXPECT_TRUE(gateway_->ListAssociations(session_, 0)->empty());
  // A late call names an association that has ended.
  Result<size_t> late;
  gateway_->Send(session_, id, {Outbound("x")}, In(1000ms), late.callback());
  stack_.RunPosted();
  EXPECT_EQ(ErrorReason(late.value->status()), "ASSOCIATION_CLOSED");
}

TEST_F(GatewayTest, MessagesQueuedWhenTheAssociationEndsCanStillBeRead) {
  uint64_t id = Establish();
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("last words"));
  stack_.RunPosted();
  EXPECT_CALL(stack_, CloseWhenDrained(kAssociationSocket));
  stack_.observer()->OnNotification(kAssociationSocket, AssocChange(net::AssociationChange::kCommLost));
  stack_.RunPosted();
  EXPECT_EQ(gateway_->GetAssociation(session_, id)->state, AssociationState::kClosed);

  ReceiveSpec spec;
  spec.association_id = id;
  Result<std::vector<ReceivedMessage>> result;
  gateway_->Receive(session_, spec, In(1000ms), result.callback());
  stack_.RunPosted();
  ASSERT_TRUE(result.value->ok());
  EXPECT_EQ((**result.value)[0].message.payload, "last words");
  // Read out and written: now it is gone.
  gateway_->Settle({{id, 1}});
  EXPECT_FALSE(gateway_->GetAssociation(session_, id).ok());
}

// The last messages of an ended association, taken by a receive whose
// response is never written, come back; the association stays until they
// are written.
TEST_F(GatewayTest, AnEndedAssociationsLastMessagesComeBackIfNeverWritten) {
  uint64_t id = Establish();
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("last words"));
  stack_.RunPosted();
  EXPECT_CALL(stack_, CloseWhenDrained(kAssociationSocket));
  stack_.observer()->OnNotification(kAssociationSocket, AssocChange(net::AssociationChange::kCommLost));
  stack_.RunPosted();
  ReceiveSpec spec;
  spec.association_id = id;
  Result<std::vector<ReceivedMessage>> taken;
  gateway_->Receive(session_, spec, In(1000ms), taken.callback());
  stack_.RunPosted();
  ASSERT_TRUE(taken.value->ok());
  // Being written: kept, and another receive hears it has ended.
  ASSERT_TRUE(gateway_->GetAssociation(session_, id).ok());
  Result<std::vector<ReceivedMessage>> meanwhile;
  gateway_->Receive(session_, spec, In(1000ms), meanwhile.callback());
  stack_.RunPosted();
  EXPECT_EQ(ErrorReason(meanwhile.value->status()), "ASSOCIATION_CLOSED");
  // The write failed: back, and read again.
  gateway_->ReturnUnwritten(std::move(**taken.value));
  Result<std::vector<ReceivedMessage>> again;
  gateway_->Receive(session_, spec, In(1000ms), again.callback());
  stack_.RunPosted();
  ASSERT_TRUE(again.value->ok());
  EXPECT_EQ((**again.value)[0].message.payload, "last words");
  // Written this time: now it is gone.
  gateway_->Settle({{id, 1}});
  EXPECT_FALSE(gateway_->GetAssociation(session_, id).ok());
}

TEST_F(GatewayTest, NotificationsQueuedBehindCommLostAreStillReported) {
  uint64_t id = Establish();
  EXPECT_CALL(stack_, CloseWhenDrained(kAssociationSocket));
  stack_.observer()->OnNotification(kAssociationSocket, AssocChange(net::AssociationChange::kCommLost));
  stack_.RunPosted();
  net::Notification failed;
  failed.type = net::NotificationType::kSendFailed;
  failed.context = 4242;
  failed.data = "undelivered";
  stack_.observer()->OnNotification(kAssociationSocket, failed);
  stack_.RunPosted();
  stack_.observer()->OnClosed(kAssociationSocket);
  stack_.RunPosted();
  std::vector<EventPtr> events;
  ASSERT_TRUE(gateway_->events().Read(0, 10, &events).ok());
  ASSERT_EQ(events.size(), 3u);  // COMM_UP, COMM_LOST, SEND_FAILED.
  EXPECT_EQ(events[2]->association_id, id);
  EXPECT_EQ(events[2]->notification.context, 4242u);
  EXPECT_EQ(events[2]->notification.data, "undelivered");
}

TEST_F(GatewayTest, IncomingAssociationIsPeeledOffAndAnnounced) {
  OpenEndpoint();
  ExpectPeelOff();
  stack_.observer()->OnNotification(kEndpointSocket, AssocChange(net::AssociationChange::kCommUp));
  stack_.RunPosted();
  auto associations = gateway_->ListAssociations(session_, 0);
  ASSERT_TRUE(associations.ok());
  ASSERT_EQ(associations->size(), 1u);
  EXPECT_TRUE(associations->front().incoming);
  std::vector<EventPtr> events;
  ASSERT_TRUE(gateway_->events().Read(0, 10, &events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->association_id, associations->front().id);
}

TEST_F(GatewayTest, CancelledReceiveCompletesWithCancelled) {
  uint64_t id = Establish();
  ReceiveSpec spec;
  spec.association_id = id;
  Result<std::vector<ReceivedMessage>> result;
  OperationId op = gateway_->Receive(session_, spec, In(5000ms), result.callback());
  stack_.RunPosted();
  gateway_->Cancel(op);
  stack_.RunPosted();
  ASSERT_TRUE(result.value.has_value());
  EXPECT_EQ(result.value->status().code(), absl::StatusCode::kCancelled);
  gateway_->Cancel(op);  // Twice is harmless.
  EXPECT_EQ(stack_.pending_timers(), 1u);  // The session's lease.
}

TEST_F(GatewayTest, SessionsSeeOnlyTheirOwnObjects) {
  uint64_t id = Establish();
  stack_.RunPosted();
  std::string other = gateway_->OpenSession(0ms, "other")->id;
  Result<size_t> send;
  gateway_->Send(other, id, {Outbound("x")}, In(1000ms), send.callback());
  stack_.RunPosted();
  EXPECT_EQ(ErrorReason(send.value->status()), "ASSOCIATION_NOT_FOUND");
  EXPECT_TRUE(gateway_->ListAssociations(other, 0)->empty());
  EXPECT_TRUE(gateway_->ListEndpoints(other)->empty());
  EXPECT_EQ(ErrorReason(gateway_->GetAssociation(other, id).status()), "ASSOCIATION_NOT_FOUND");
  EXPECT_EQ(ErrorReason(gateway_->ListEndpoints("no-such-session").status()), "SESSION_NOT_FOUND");
  EXPECT_EQ(gateway_->ListAssociations(session_, 0)->size(), 1u);
}

TEST_F(GatewayTest, ExpiredLeaseShutsDownThenAbortsAndForgets) {
  uint64_t id = Establish();
  // The lease (30 s by default) runs out: graceful shutdown first.
  EXPECT_CALL(stack_, Shutdown(kAssociationSocket, kKernelAssoc)).WillOnce(Return(absl::OkStatus()));
  stack_.AdvanceTime(limits_.default_lease);
  EXPECT_EQ(gateway_->session_count(), 0u);
  // The peer does not complete within the shutdown timeout: ABORT.
  EXPECT_CALL(stack_, Abort(kAssociationSocket, kKernelAssoc, _)).WillOnce(Return(absl::OkStatus()));
  stack_.AdvanceTime(limits_.session_shutdown_timeout);
  // COMM_LOST follows; the association and then its endpoint are gone.
  EXPECT_CALL(stack_, CloseWhenDrained(kAssociationSocket));
  EXPECT_CALL(stack_, Close(kEndpointSocket));
  stack_.observer()->OnNotification(kAssociationSocket, AssocChange(net::AssociationChange::kCommLost));
  stack_.RunPosted();
  std::vector<EventPtr> events;
  ASSERT_TRUE(gateway_->events().Read(0, 10, &events).ok());
  EXPECT_EQ(events.back()->association_id, id);
  EXPECT_NE(events.back()->detail.find("session ended"), std::string::npos);
}

TEST_F(GatewayTest, AnOpenEventStreamKeepsTheSessionAlive) {
  ASSERT_TRUE(gateway_->WatchStarted(session_).ok());
  stack_.AdvanceTime(limits_.default_lease * 3);
  EXPECT_EQ(gateway_->session_count(), 1u);
  gateway_->WatchEnded(session_);
  stack_.AdvanceTime(limits_.default_lease);
  EXPECT_EQ(gateway_->session_count(), 0u);
  EXPECT_EQ(gateway_->WatchStarted(session_).code(), absl::StatusCode::kNotFound);
}

TEST_F(GatewayTest, PerSessionEndpointLimit) {
  limits_.max_endpoints_per_session = 1;
  gateway_.reset();
  gateway_.emplace(stack_, limits_);
  session_ = gateway_->OpenSession(0ms, "unit")->id;
  OpenEndpoint();
  EndpointSpec spec;
  spec.addresses = {Address("192.0.2.1", 0)};
  auto second = gateway_->OpenEndpoint(session_, spec);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorMetadataOf(second.status())["limit"], "max_endpoints_per_session");
}

TEST_F(GatewayTest, UdpEncapsulationWithoutALocalUdpPortIsUnavailable) {
  EXPECT_CALL(stack_, OpenEndpoint(Field(&net::EndpointConfig::udp_encapsulation_port, 9899)))
      .WillOnce(Return(absl::FailedPreconditionError(
          "SCTP over UDP needs a local UDP port: net.sctp.udp_port is 0")));
  EndpointSpec spec;
  spec.addresses = {Address("192.0.2.1", 0)};
  spec.udp_encapsulation_port = 9899;
  auto endpoint = gateway_->OpenEndpoint(session_, spec);
  EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(endpoint.status()), "UDP_ENCAPSULATION_UNAVAILABLE");
  EXPECT_EQ(ErrorMetadataOf(endpoint.status())["field"], "udp_encapsulation_port");
  EXPECT_NE(endpoint.status().message().find("net.sctp.udp_port is 0"), std::string::npos);
}

// ---------------------------------------------------------------- handover

// A second gateway, as a new process would have it, on its own stack.
struct Taker {
  explicit Taker(const Limits& limits) { gateway.emplace(stack, limits); }
  StrictMock<net::MockSctpStack> stack;
  std::optional<Gateway> gateway;
};

constexpr net::SocketId kTakerEndpointSocket = 1100;
constexpr net::SocketId kTakerAssociationSocket = 1200;

TEST_F(GatewayTest, FreezeEndsWaitingCallsWithHandedOverAndRefusesNewOnes) {
  uint64_t id = Establish();
  ReceiveSpec spec;
  spec.association_id = id;
  Result<std::vector<ReceivedMessage>> waiting;
  gateway_->Receive(session_, spec, In(5000ms), waiting.callback());
  stack_.RunPosted();
  ASSERT_FALSE(waiting.value.has_value());

  EXPECT_CALL(stack_, PauseReading(kEndpointSocket, true));
  EXPECT_CALL(stack_, PauseReading(kAssociationSocket, true));
  auto state = gateway_->Freeze();
  ASSERT_TRUE(state.ok()) << state.status();
  stack_.RunPosted();
  ASSERT_TRUE(waiting.value.has_value());
  EXPECT_TRUE(HasReason(waiting.value->status(), Reason::kHandedOver)) << waiting.value->status();
  EXPECT_EQ(waiting.value->status().code(), absl::StatusCode::kUnavailable);

  Result<size_t> sent;
  gateway_->Send(session_, id, {Outbound("late")}, In(1000ms), sent.callback());
  stack_.RunPosted();
  ASSERT_TRUE(sent.value.has_value());
  EXPECT_TRUE(HasReason(sent.value->status(), Reason::kHandedOver));
  EXPECT_TRUE(HasReason(gateway_->OpenSession(0ms, "x").status(), Reason::kHandedOver));
  // A second handover while one is under way is refused.
  EXPECT_FALSE(gateway_->Freeze().ok());
}

TEST_F(GatewayTest, ThawAfterAFailedHandoverServesOnWithNothingLost) {
  uint64_t id = Establish();
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("kept"));
  EXPECT_CALL(stack_, PauseReading(_, true)).Times(2);
  ASSERT_TRUE(gateway_->Freeze().ok());
  EXPECT_CALL(stack_, PauseReading(kEndpointSocket, false));
  EXPECT_CALL(stack_, PauseReading(kAssociationSocket, false));
  gateway_->Thaw();
  ReceiveSpec spec;
  spec.association_id = id;
  Result<std::vector<ReceivedMessage>> received;
  gateway_->Receive(session_, spec, In(1000ms), received.callback());
  stack_.RunPosted();
  ASSERT_TRUE(received.value.has_value() && received.value->ok());
  ASSERT_EQ((*received.value)->size(), 1u);
  EXPECT_EQ((*received.value)->front().message.payload, "kept");
}

TEST_F(GatewayTest, RestoredGatewayHasTheSessionAssociationQueueAndEvents) {
  uint64_t id = Establish();
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("first", 1));
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("second", 2));
  const uint64_t last_event = gateway_->events().last_sequence();
  ASSERT_GT(last_event, 0u);
  EXPECT_CALL(stack_, PauseReading(_, true)).Times(2);
  auto state = gateway_->Freeze();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->Sockets(), (std::vector<net::SocketId>{kEndpointSocket, kAssociationSocket}));

  Taker taker(limits_);
  EXPECT_CALL(taker.stack, LocalPort(kTakerEndpointSocket)).WillOnce(Return(uint16_t{38412}));
  EXPECT_CALL(taker.stack, Status(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(net::AssociationStatus{}));
  EXPECT_CALL(taker.stack, PeerAddresses(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(std::vector<net::SocketAddress>{Address("198.51.100.9", 2905)}));
  absl::Status restored = taker.gateway->Restore(
      *state, {{kEndpointSocket, kTakerEndpointSocket}, {kAssociationSocket, kTakerAssociationSocket}});
  ASSERT_TRUE(restored.ok()) << restored;
  // Frozen until the old process lets go.
  EXPECT_TRUE(HasReason(taker.gateway->GetAssociation(session_, id).status(), Reason::kHandedOver));
  EXPECT_CALL(taker.stack, PauseReading(kTakerEndpointSocket, false));
  EXPECT_CALL(taker.stack, PauseReading(kTakerAssociationSocket, false));
  taker.gateway->Thaw();

  EXPECT_EQ(taker.gateway->events().last_sequence(), last_event);
  auto association = taker.gateway->GetAssociation(session_, id);
  ASSERT_TRUE(association.ok()) << association.status();
  EXPECT_EQ(association->state, AssociationState::kEstablished);
  EXPECT_EQ(association->queued_messages, 2u);
  ReceiveSpec spec;
  spec.association_id = id;
  Result<std::vector<ReceivedMessage>> received;
  taker.gateway->Receive(session_, spec, In(1000ms), received.callback());
  taker.stack.RunPosted();
  ASSERT_TRUE(received.value.has_value() && received.value->ok()) << received.value->status();
  ASSERT_EQ((*received.value)->size(), 2u);
  EXPECT_EQ((*received.value)->at(0).message.payload, "first");
  EXPECT_EQ((*received.value)->at(1).message.stream, 2);
  // New messages go to the taker's socket now.
  EXPECT_CALL(taker.stack, Send(kTakerAssociationSocket, _, _)).WillOnce(Return(absl::OkStatus()));
  Result<size_t> sent;
  taker.gateway->Send(session_, id, {Outbound("after")}, In(1000ms), sent.callback());
  taker.stack.RunPosted();
  ASSERT_TRUE(sent.value.has_value() && sent.value->ok());
  // The old one lets go without a word to the kernel (StrictMock).
  gateway_->Release();
  gateway_->Close();
}

TEST_F(GatewayTest, RestoreReportsAnAssociationWhoseSocketIsNotItsOwn) {
  uint64_t id = Establish();
  EXPECT_CALL(stack_, PauseReading(_, true)).Times(2);
  auto state = gateway_->Freeze();
  ASSERT_TRUE(state.ok());
  Taker taker(limits_);
  EXPECT_CALL(taker.stack, LocalPort(kTakerEndpointSocket)).WillOnce(Return(uint16_t{38412}));
  EXPECT_CALL(taker.stack, Status(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(net::AssociationStatus{}));
  EXPECT_CALL(taker.stack, PeerAddresses(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(std::vector<net::SocketAddress>{Address("198.51.100.77", 9)}));
  EXPECT_CALL(taker.stack, Close(kTakerAssociationSocket));
  const uint64_t before = state->events.last_sequence;
  ASSERT_TRUE(taker.gateway
                  ->Restore(*state, {{kEndpointSocket, kTakerEndpointSocket},
                                     {kAssociationSocket, kTakerAssociationSocket}})
                  .ok());
  std::vector<EventPtr> events;
  ASSERT_TRUE(taker.gateway->events().Read(before, 10, &events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->session, gateway_->events().State().events.back()->session);
  EXPECT_EQ(events[0]->association_id, id);
  EXPECT_EQ(events[0]->notification.association_change, net::AssociationChange::kCommLost);
  EXPECT_THAT(events[0]->detail, ::testing::HasSubstr("not connected to the association's peer"));
  EXPECT_CALL(taker.stack, PauseReading(kTakerEndpointSocket, false));
  taker.gateway->Thaw();
  EXPECT_EQ(taker.gateway->GetAssociation(session_, id).status().code(),
            absl::StatusCode::kNotFound);
}

// The peer ended the association while the holder was frozen: the kernel
// has no status for it any more, but its socket still holds the end (and
// any data before it). The taker keeps it and reads it; nothing is
// reported lost.
TEST_F(GatewayTest, RestoreKeepsAnAssociationThatEndedWhileFrozen) {
  uint64_t id = Establish();
  EXPECT_CALL(stack_, PauseReading(_, true)).Times(2);
  auto state = gateway_->Freeze();
  ASSERT_TRUE(state.ok());
  Taker taker(limits_);
  EXPECT_CALL(taker.stack, LocalPort(kTakerEndpointSocket)).WillOnce(Return(uint16_t{38412}));
  EXPECT_CALL(taker.stack, Status(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(absl::InvalidArgumentError("no such association")));
  EXPECT_CALL(taker.stack, PeerAddresses(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(absl::InvalidArgumentError("no such association")));
  const uint64_t before = state->events.last_sequence;
  ASSERT_TRUE(taker.gateway
                  ->Restore(*state, {{kEndpointSocket, kTakerEndpointSocket},
                                     {kAssociationSocket, kTakerAssociationSocket}})
                  .ok());
  std::vector<EventPtr> events;
  ASSERT_TRUE(taker.gateway->events().Read(before, 10, &events).ok());
  EXPECT_TRUE(events.empty()) << "reported lost";
  EXPECT_CALL(taker.stack, PauseReading(kTakerEndpointSocket, false));
  EXPECT_CALL(taker.stack, PauseReading(kTakerAssociationSocket, false));
  taker.gateway->Thaw();
  EXPECT_TRUE(taker.gateway->GetAssociation(session_, id).ok());
}

TEST_F(GatewayTest, RestoreRefusesAnInconsistentState) {
  Establish();
  EXPECT_CALL(stack_, PauseReading(_, true)).Times(2);
  auto state = gateway_->Freeze();
  ASSERT_TRUE(state.ok());
  state->associations.front().info.endpoint_id = 99;  // No such endpoint.
  Taker taker(limits_);
  EXPECT_CALL(taker.stack, LocalPort(kTakerEndpointSocket)).WillOnce(Return(uint16_t{38412}));
  EXPECT_CALL(taker.stack, Status(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(net::AssociationStatus{}));
  EXPECT_CALL(taker.stack, PeerAddresses(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(std::vector<net::SocketAddress>{Address("198.51.100.9", 2905)}));
  absl::Status restored = taker.gateway->Restore(
      *state, {{kEndpointSocket, kTakerEndpointSocket}, {kAssociationSocket, kTakerAssociationSocket}});
  EXPECT_EQ(restored.code(), absl::StatusCode::kInvalidArgument) << restored;
  EXPECT_EQ(taker.gateway->session_count(), 0u);
}

TEST_F(GatewayTest, AssociateAgainAfterAHandoverWaitsForTheHalfOpenAssociation) {
  Result<AssociationInfo> first;
  StartAssociate(&first, 5000ms);
  EXPECT_CALL(stack_, PauseReading(kEndpointSocket, true));
  auto state = gateway_->Freeze();
  ASSERT_TRUE(state.ok());
  stack_.RunPosted();
  ASSERT_TRUE(first.value.has_value());
  EXPECT_TRUE(HasReason(first.value->status(), Reason::kHandedOver));
  EXPECT_CALL(stack_, PauseReading(kEndpointSocket, false));
  gateway_->Thaw();  // No ABORT was sent (StrictMock): the INIT goes on.

  AssociateSpec spec;
  spec.endpoint_id = state->endpoints.front().info.id;
  spec.peers = {Address("198.51.100.9", 2905)};
  Result<AssociationInfo> again;
  gateway_->Associate(session_, spec, In(5000ms), again.callback());  // No second connect.
  ExpectPeelOff();
  stack_.observer()->OnNotification(kEndpointSocket, AssocChange(net::AssociationChange::kCommUp));
  stack_.RunPosted();
  ASSERT_TRUE(again.value.has_value());
  ASSERT_TRUE(again.value->ok()) << again.value->status();
  EXPECT_EQ((*again.value)->id, state->associations.front().info.id);
}

// The association came up while the handover was under way (COMM_UP read
// by the taker before any call reached it): the Associate made again gets
// it at once instead of ASSOCIATION_EXISTS; a later Associate to the same
// peer is refused as before.
TEST_F(GatewayTest, AssociateAgainAfterAHandoverGetsTheAssociationThatCameUpMeanwhile) {
  Result<AssociationInfo> first;
  StartAssociate(&first, 5000ms);
  EXPECT_CALL(stack_, PauseReading(kEndpointSocket, true));
  auto state = gateway_->Freeze();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->associations.size(), 1u);
  EXPECT_TRUE(state->associations.front().associate_interrupted);
  stack_.RunPosted();
  EXPECT_CALL(stack_, PauseReading(kEndpointSocket, false));
  gateway_->Thaw();
  ExpectPeelOff();
  stack_.observer()->OnNotification(kEndpointSocket, AssocChange(net::AssociationChange::kCommUp));
  stack_.RunPosted();

  AssociateSpec spec;
  spec.endpoint_id = state->endpoints.front().info.id;
  spec.peers = {Address("198.51.100.9", 2905)};
  Result<AssociationInfo> again;
  gateway_->Associate(session_, spec, In(5000ms), again.callback());  // No second connect.
  EXPECT_FALSE(again.value.has_value()) << "completed inside the call";
  stack_.RunPosted();
  ASSERT_TRUE(again.value.has_value());
  ASSERT_TRUE(again.value->ok()) << again.value->status();
  EXPECT_EQ((*again.value)->id, state->associations.front().info.id);
  EXPECT_EQ((*again.value)->state, AssociationState::kEstablished);
}

// A graceful Shutdown under way when the handover froze everything ends
// HANDED_OVER; the association then ends by SHUTDOWN_COMP before the same
// call is made again: that call succeeds (once) instead of finding the
// association gone.
TEST_F(GatewayTest, ShutdownAgainAfterAHandoverSucceedsIfTheAssociationShutDownMeanwhile) {
  uint64_t id = Establish();
  EXPECT_CALL(stack_, Shutdown(kAssociationSocket, _)).WillOnce(Return(absl::OkStatus()));
  Result<bool> first;
  gateway_->Shutdown(session_, id, /*abort=*/false, "", In(5000ms), first.callback());
  stack_.RunPosted();
  EXPECT_CALL(stack_, PauseReading(_, true)).Times(2);
  auto state = gateway_->Freeze();
  ASSERT_TRUE(state.ok());
  stack_.RunPosted();
  ASSERT_TRUE(first.value.has_value());
  EXPECT_TRUE(HasReason(first.value->status(), Reason::kHandedOver));
  ASSERT_EQ(state->associations.size(), 1u);
  EXPECT_TRUE(state->associations.front().shutdown_interrupted);
  EXPECT_CALL(stack_, PauseReading(_, false)).Times(2);
  gateway_->Thaw();
  EXPECT_CALL(stack_, CloseWhenDrained(kAssociationSocket));
  stack_.observer()->OnNotification(kAssociationSocket,
                                    AssocChange(net::AssociationChange::kShutdownComplete));
  stack_.RunPosted();

  Result<bool> again;
  gateway_->Shutdown(session_, id, /*abort=*/false, "", In(5000ms), again.callback());
  stack_.RunPosted();
  ASSERT_TRUE(again.value.has_value());
  EXPECT_TRUE(again.value->ok()) << again.value->status();
  Result<bool> third;
  gateway_->Shutdown(session_, id, /*abort=*/false, "", In(5000ms), third.callback());
  stack_.RunPosted();
  ASSERT_TRUE(third.value.has_value());
  EXPECT_TRUE(HasReason(third.value->status(), Reason::kAssociationClosed))
      << third.value->status();
}

// ---------------------------------------------------------------- crash survival

// Counters as a ledger in shared memory would hold them.
class FakeTally final : public QueueTally {
 public:
  uint64_t* Track(uint64_t association_id) override { return &counters[association_id]; }
  void Untrack(uint64_t association_id) override {
    counters.erase(association_id);
    ++untracked;
  }
  std::map<uint64_t, uint64_t> counters;
  int untracked = 0;
};

TEST_F(GatewayTest, QueueTallyFollowsTheQueueUntilTheAssociationIsForgotten) {
  FakeTally tally;
  gateway_->SetQueueTally(&tally);
  uint64_t id = Establish();
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("one"));
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("two"));
  EXPECT_EQ(tally.counters[id], 2u);
  ReceiveSpec spec;
  spec.association_id = id;
  spec.max_messages = 1;
  Result<std::vector<ReceivedMessage>> received;
  gateway_->Receive(session_, spec, In(1000ms), received.callback());
  stack_.RunPosted();
  ASSERT_TRUE(received.value.has_value() && received.value->ok());
  // Taken but not yet written to the caller: being written, still held.
  EXPECT_EQ(tally.counters[id], uint64_t{1} << 32 | 1);
  gateway_->Settle({{id, 1}});
  EXPECT_EQ(tally.counters[id], 1u);
  Result<std::vector<ReceivedMessage>> second;
  gateway_->Receive(session_, spec, In(1000ms), second.callback());
  stack_.RunPosted();
  ASSERT_TRUE(second.value.has_value() && second.value->ok());
  gateway_->Settle({{id, 1}, {id + 100, 5}});  // Unknown ids are ignored.
  EXPECT_EQ(tally.counters[id], 0u);
  // The peer aborts; the association is forgotten and its counter goes.
  EXPECT_CALL(stack_, CloseWhenDrained(kAssociationSocket));
  stack_.observer()->OnNotification(kAssociationSocket, AssocChange(net::AssociationChange::kCommLost));
  stack_.RunPosted();
  EXPECT_EQ(tally.untracked, 1);
  EXPECT_EQ(tally.counters.count(id), 0u);
}

// A response that was never written (its client went away, or sctpgw
// stopped first): its messages go back to the front of the queue, in
// order, and the next receive gets them first.
TEST_F(GatewayTest, MessagesNeverWrittenGoBackToTheFrontOfTheQueue) {
  FakeTally tally;
  gateway_->SetQueueTally(&tally);
  uint64_t id = Establish();
  for (const char* text : {"one", "two", "three"}) {
    stack_.observer()->OnMessage(kAssociationSocket, Inbound(text));
  }
  ReceiveSpec spec;
  spec.association_id = id;
  spec.max_messages = 2;
  Result<std::vector<ReceivedMessage>> taken;
  gateway_->Receive(session_, spec, In(1000ms), taken.callback());
  stack_.RunPosted();
  ASSERT_TRUE(taken.value.has_value() && taken.value->ok());
  ASSERT_EQ((*taken.value)->size(), 2u);
  EXPECT_EQ(tally.counters[id], uint64_t{2} << 32 | 1);
  gateway_->ReturnUnwritten(std::move(**taken.value));
  EXPECT_EQ(tally.counters[id], 3u);
  EXPECT_EQ(gateway_->GetAssociation(session_, id)->queued_messages, 3u);
  spec.max_messages = 10;
  Result<std::vector<ReceivedMessage>> again;
  gateway_->Receive(session_, spec, In(1000ms), again.callback());
  stack_.RunPosted();
  ASSERT_TRUE(again.value.has_value() && again.value->ok());
  std::vector<std::string> payloads;
  for (const ReceivedMessage& message : **again.value) payloads.push_back(message.message.payload);
  EXPECT_EQ(payloads, (std::vector<std::string>{"one", "two", "three"}));
  // Messages of an association that is gone are dropped without harm.
  ReceivedMessage stray;
  stray.association_id = id + 100;
  gateway_->ReturnUnwritten({stray});
}

// ---------------------------------------------------------------- extensions

TEST_F(GatewayTest, StreamReconfigurationIsCheckedAndTheKernelsRefusalsGetTheirReasons) {
  endpoint_spec_.stream_reconfiguration.reset_streams = true;
  uint64_t id = Establish();  // 4 streams each way.
  net::StreamReconfigRequest reset;
  reset.outgoing = true;
  reset.streams = {1, 3};
  EXPECT_CALL(stack_, ReconfigureStreams(kAssociationSocket, kKernelAssoc, _))
      .WillOnce(Return(absl::OkStatus()))
      .WillOnce(Return(net::ErrnoStatus(ENOPROTOOPT, "setsockopt")))
      .WillOnce(Return(net::ErrnoStatus(EINPROGRESS, "setsockopt")))
      .WillOnce(Return(net::ErrnoStatus(EAGAIN, "setsockopt")));
  EXPECT_TRUE(gateway_->ReconfigureStreams(session_, id, reset).ok());
  EXPECT_TRUE(HasReason(gateway_->ReconfigureStreams(session_, id, reset),
                        Reason::kStreamReconfigurationUnavailable));
  absl::Status pending = gateway_->ReconfigureStreams(session_, id, reset);
  EXPECT_TRUE(HasReason(pending, Reason::kReconfigurationPending)) << pending;
  EXPECT_EQ(pending.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(HasReason(gateway_->ReconfigureStreams(session_, id, reset),
                        Reason::kReconfigurationPending));
  // Checked before the kernel is asked: a stream beyond the association's,
  // a request the endpoint does not allow, too many streams.
  reset.streams = {4};
  EXPECT_TRUE(HasReason(gateway_->ReconfigureStreams(session_, id, reset), Reason::kStreamOutOfRange));
  net::StreamReconfigRequest add;
  add.kind = net::StreamReconfigRequest::Kind::kAddStreams;
  add.add_outbound = 1;
  EXPECT_TRUE(HasReason(gateway_->ReconfigureStreams(session_, id, add),
                        Reason::kStreamReconfigurationUnavailable));
}

TEST_F(GatewayTest, SchedulersTheKernelLacksAreUnsupportedAndValuesChecked) {
  uint64_t id = Establish();
  EXPECT_CALL(stack_, SetStreamScheduling(kAssociationSocket, kKernelAssoc,
                                          net::StreamScheduler::kWeightedFair, _))
      .WillOnce(Return(net::ErrnoStatus(EOPNOTSUPP, "setsockopt")));
  auto refused = gateway_->ConfigureStreams(session_, id, net::StreamScheduler::kWeightedFair, {});
  EXPECT_TRUE(HasReason(refused.status(), Reason::kSchedulerUnsupported)) << refused.status();
  auto beyond = gateway_->ConfigureStreams(session_, id, net::StreamScheduler::kDefault,
                                           {net::StreamValue{4, 1}});
  EXPECT_TRUE(HasReason(beyond.status(), Reason::kStreamOutOfRange));
  net::StreamSettings now;
  now.scheduler = net::StreamScheduler::kPriority;
  now.values = {net::StreamValue{2, 7}};
  EXPECT_CALL(stack_, SetStreamScheduling(kAssociationSocket, kKernelAssoc,
                                          net::StreamScheduler::kPriority, _))
      .WillOnce(Return(absl::OkStatus()));
  EXPECT_CALL(stack_, Streams(kAssociationSocket, kKernelAssoc, std::vector<uint16_t>{2}))
      .WillOnce(Return(now));
  auto set = gateway_->ConfigureStreams(session_, id, net::StreamScheduler::kPriority,
                                        {net::StreamValue{2, 7}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->scheduler, net::StreamScheduler::kPriority);
}

TEST_F(GatewayTest, AuthKeyChangesReachTheEndpointAndItsAssociations) {
  endpoint_spec_.auth.enabled = true;
  uint64_t id = Establish();
  const uint64_t endpoint = gateway_->GetAssociation(session_, id)->endpoint_id;
  net::AuthKeyChange add;
  add.key_id = 2;
  add.secret = "s";
  EXPECT_CALL(stack_, ChangeAuthKey(kEndpointSocket, 0, _)).WillOnce(Return(absl::OkStatus()));
  EXPECT_CALL(stack_, ChangeAuthKey(kAssociationSocket, kKernelAssoc, _))
      .WillOnce(Return(absl::OkStatus()));
  ASSERT_TRUE(gateway_->ChangeAuthKey(session_, AuthKeyTarget{endpoint, 0}, add).ok());
  auto endpoints = gateway_->ListEndpoints(session_);
  ASSERT_TRUE(endpoints.ok());
  EXPECT_EQ((*endpoints)[0].auth_key_ids, std::vector<uint16_t>{2});
  // EINVAL: the active key (cannot be deleted) or no such key.
  net::AuthKeyChange remove;
  remove.action = net::AuthKeyChange::Action::kDelete;
  remove.key_id = 1;
  net::AuthStatus status;
  status.peer_supports_auth = true;
  status.active_key = 1;
  EXPECT_CALL(stack_, ChangeAuthKey(kAssociationSocket, kKernelAssoc, _))
      .WillRepeatedly(Return(net::ErrnoStatus(EINVAL, "setsockopt")));
  EXPECT_CALL(stack_, Auth(kAssociationSocket, kKernelAssoc)).WillRepeatedly(Return(status));
  EXPECT_TRUE(HasReason(gateway_->ChangeAuthKey(session_, AuthKeyTarget{0, id}, remove),
                        Reason::kAuthKeyActive));
  remove.key_id = 5;
  EXPECT_TRUE(HasReason(gateway_->ChangeAuthKey(session_, AuthKeyTarget{0, id}, remove),
                        Reason::kAuthKeyNotFound));
  // EACCES: the peer does not use AUTH.
  EXPECT_CALL(stack_, ChangeAuthKey(kAssociationSocket, kKernelAssoc, _))
      .WillOnce(Return(net::ErrnoStatus(EACCES, "setsockopt")));
  EXPECT_TRUE(HasReason(gateway_->ChangeAuthKey(session_, AuthKeyTarget{0, id}, add),
                        Reason::kAuthUnavailable));
}

TEST_F(GatewayTest, SnapshotHoldsIdsButNoMessagesAndChangesNothing) {
  const uint64_t before = gateway_->StateVersion();
  uint64_t id = Establish();
  EXPECT_NE(gateway_->StateVersion(), before);
  stack_.observer()->OnMessage(kAssociationSocket, Inbound("queued"));
  GatewayState snapshot = gateway_->Snapshot();
  ASSERT_EQ(snapshot.associations.size(), 1u);
  EXPECT_EQ(snapshot.associations[0].info.id, id);
  EXPECT_TRUE(snapshot.associations[0].queue.empty());
  EXPECT_TRUE(snapshot.events.events.empty());
  EXPECT_EQ(snapshot.events.last_sequence, gateway_->events().last_sequence());
  ASSERT_EQ(snapshot.sessions.size(), 1u);
  EXPECT_EQ(snapshot.Sockets(), (std::vector<net::SocketId>{kEndpointSocket, kAssociationSocket}));
  auto association = gateway_->GetAssociation(session_, id);
  ASSERT_TRUE(association.ok());
  EXPECT_EQ(association->queued_messages, 1u);
}

TEST_F(GatewayTest, RestoredAfterACrashTheSessionIsToldHowManyMessagesWereLost) {
  uint64_t id = Establish();
  GatewayState snapshot = gateway_->Snapshot();
  const uint64_t last = snapshot.events.last_sequence;
  Taker taker(limits_);
  EXPECT_CALL(taker.stack, LocalPort(kTakerEndpointSocket)).WillOnce(Return(uint16_t{38412}));
  EXPECT_CALL(taker.stack, Status(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(net::AssociationStatus{}));
  EXPECT_CALL(taker.stack, PeerAddresses(kTakerAssociationSocket, kKernelAssoc))
      .WillOnce(Return(std::vector<net::SocketAddress>{Address("198.51.100.9", 2905)}));
  ASSERT_TRUE(taker.gateway
                  ->Restore(snapshot, {{kEndpointSocket, kTakerEndpointSocket},
                                       {kAssociationSocket, kTakerAssociationSocket}})
                  .ok());
  taker.gateway->ReportLostMessages(id, 3, 2, "sctpgw stopped unexpectedly");
  taker.gateway->ReportLostMessages(id + 100, 1, 0, "no such association: ignored");
  EXPECT_CALL(taker.stack, PauseReading(kTakerEndpointSocket, false));
  EXPECT_CALL(taker.stack, PauseReading(kTakerAssociationSocket, false));
  taker.gateway->Thaw();
  std::vector<EventPtr> events;
  ASSERT_TRUE(taker.gateway->events().Read(last, 10, &events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->sequence, last + 1);
  EXPECT_EQ(events[0]->session, session_);
  EXPECT_EQ(events[0]->association_id, id);
  EXPECT_EQ(events[0]->messages_lost, 3u);
  EXPECT_EQ(events[0]->messages_unconfirmed, 2u);
  EXPECT_EQ(events[0]->detail, "sctpgw stopped unexpectedly");
  EXPECT_EQ(taker.gateway->Stats().events.at({"messages_lost", ""}), 3u);
  // The session is the same: its application reattaches with its id.
  EXPECT_TRUE(taker.gateway->GetAssociation(session_, id).ok());
  gateway_->Release();
  gateway_->Close();
}

}  // namespace
}  // namespace sctpgw::core
