// SendStream and ReceiveStream through gRPC, over the real core with a mock
// kernel: order, acknowledgements, how each stream ends (OK, error, cancel,
// deadline, the service stopping) and what reaches the kernel.
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/rpc/service_fixture.h"

namespace sctpgw::rpc {
namespace {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::ElementsAre;

using SendStreamClient = grpc::ClientReaderWriter<v1::SendRequest, v1::SendStreamResponse>;
using ReceiveStreamClient = grpc::ClientReader<v1::ReceiveResponse>;
using StrictDataStreamsTest = StrictServiceTest;

class DataStreamsTest : public ServiceTest {
 protected:
  // A ReceiveStream on `a` (of `session`) whose Receive now waits in the core.
  std::unique_ptr<ReceiveStreamClient> WaitingReceiveStream(grpc::ClientContext* context,
                                                            const TestAssociation& a,
                                                            const std::string& session) {
    auto stream = stub().ReceiveStream(context, ReceiveFrom(session, a.id));
    EXPECT_TRUE(WaitForWaitingOperations(1)) << "the stream's Receive did not reach the core";
    return stream;
  }
  std::unique_ptr<ReceiveStreamClient> WaitingReceiveStream(grpc::ClientContext* context,
                                                            const TestAssociation& a) {
    return WaitingReceiveStream(context, a, session());
  }
};

// Reads what is left of a SendStream; its status.
grpc::Status Finish(SendStreamClient& stream) {
  v1::SendStreamResponse ack;
  while (stream.Read(&ack)) {
  }
  return stream.Finish();
}

// Messages of a ReceiveStream until `count` have come (or the stream ends).
std::vector<v1::InboundMessage> ReadMessages(ReceiveStreamClient& stream, size_t count,
                                             int* responses = nullptr) {
  std::vector<v1::InboundMessage> messages;
  v1::ReceiveResponse response;
  while (messages.size() < count && stream.Read(&response)) {
    if (responses != nullptr) ++*responses;
    for (const v1::InboundMessage& m : response.messages()) messages.push_back(m);
  }
  return messages;
}

// A client's context for one call, with a deadline `timeout` from now.
class CallContext {
 public:
  explicit CallContext(std::chrono::milliseconds timeout = kTimeout) {
    context.set_deadline(std::chrono::system_clock::now() + timeout);
  }
  grpc::ClientContext context;
};

v1::SendRequest Batch(const std::string& session, uint64_t association_id,
                      const std::vector<v1::OutboundMessage>& messages) {
  v1::SendRequest request;
  request.set_session_id(session);
  request.set_association_id(association_id);
  for (const v1::OutboundMessage& m : messages) *request.add_messages() = m;
  return request;
}

// ---------------------------------------------------------------- SendStream

TEST_F(DataStreamsTest, SendStreamSendsEveryRequestInOrderAndAcknowledges) {
  TestAssociation a = Establish();
  CallContext call;
  auto stream = stub().SendStream(&call.context);
  std::vector<std::string> expected;
  auto request = [&](int r) {
    std::vector<v1::OutboundMessage> messages;
    for (int m = 0; m < 2; ++m) {
      expected.push_back(absl::StrCat("r", r, "m", m));
      messages.push_back(Message(expected.back(), r % kStreams, 60));
    }
    return Batch(session(), a.id, messages);
  };
  // Every 64 requests done are acknowledged without waiting for the tick.
  for (int r = 0; r < 64; ++r) ASSERT_TRUE(stream->Write(request(r))) << "request " << r;
  v1::SendStreamResponse ack;
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_EQ(ack.completed_requests(), 64u);
  EXPECT_EQ(ack.accepted_messages(), 128u);
  // After the client's half-close: progress while the rest drains (only
  // forward), and the totals at the end.
  for (int r = 64; r < 70; ++r) ASSERT_TRUE(stream->Write(request(r))) << "request " << r;
  ASSERT_TRUE(stream->WritesDone());
  v1::SendStreamResponse last = ack;
  while (stream->Read(&ack)) {
    EXPECT_GT(ack.completed_requests(), last.completed_requests());
    EXPECT_EQ(ack.accepted_messages(), 2 * ack.completed_requests());
    last = ack;
  }
  EXPECT_EQ(last.completed_requests(), 70u);
  EXPECT_EQ(last.accepted_messages(), 140u);
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  std::vector<Sent> sent = this->sent().values();
  EXPECT_EQ(SentPayloads(), expected);
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].stream, (i / 2) % kStreams) << "message " << i;
    EXPECT_EQ(sent[i].ppid, 60u);
    EXPECT_EQ(sent[i].socket, a.socket);
  }
}

// The first failing request ends the stream with Send's error once the ones
// before it are sent; nothing after it reaches the kernel.
TEST_F(DataStreamsTest, SendStreamEndsAtTheFirstInvalidRequest) {
  TestAssociation a = Establish();
  EXPECT_CALL(stack(), Send(a.socket, _, _)).Times(2);
  CallContext call;
  auto stream = stub().SendStream(&call.context);
  ASSERT_TRUE(stream->Write(Batch(session(), a.id, {Message("first", 1), Message("second", 2)})));
  stream->Write(Batch(session(), a.id, {Message("stream 50 of 4", 50)}));  // May find it ended.
  stream->Write(Batch(session(), a.id, {Message("never sent", 1)}));
  stream->WritesDone();
  grpc::Status status = Finish(*stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "STREAM_OUT_OF_RANGE");
  EXPECT_EQ(ErrorMetadata(status)["completed_requests"], "1");
  EXPECT_EQ(ErrorMetadata(status)["field"], "messages[0].stream");
  EXPECT_THAT(SentPayloads(), ElementsAre("first", "second"));

  // The association is still usable: the bad request only ended the stream.
  EXPECT_CALL(stack(), Send(a.socket, _, _));
  v1::SendResponse response;
  status = Call(&Stub::Send, Batch(session(), a.id, {Message("after", 3)}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(SentPayloads(), ElementsAre("first", "second", "after"));
}

TEST_F(StrictDataStreamsTest, SendStreamCancelledWhileASendWaitsSendsNothingMore) {
  TestAssociation a = Establish();
  Calls blocked = NewCalls();
  ::testing::Sequence sends;
  ExpectSendsUntilFull(a.socket, 1, blocked, &sends);
  CallContext call;
  auto stream = stub().SendStream(&call.context);
  ASSERT_TRUE(stream->Write(Batch(session(), a.id, {Message("one"), Message("two")})));
  ASSERT_TRUE(blocked->WaitFor(1));
  ASSERT_TRUE(WaitForWaitingOperations(1));

  call.context.TryCancel();
  grpc::Status status = Finish(*stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  ASSERT_TRUE(WaitForWaitingOperations(0));
  InjectWritable(a.socket);  // Room again: the withdrawn message stays withdrawn.
  ::testing::Mock::VerifyAndClearExpectations(&stack());
  EXPECT_THAT(SentPayloads(), ElementsAre("one"));
}

// Fewer than 64 requests are acknowledged on the service's tick.
TEST_F(DataStreamsTest, SendStreamAcknowledgesOnTheTick) {
  TestAssociation a = Establish();
  CallContext call;
  auto stream = stub().SendStream(&call.context);
  ASSERT_TRUE(stream->Write(Batch(session(), a.id, {Message("one"), Message("two")})));
  // Both sent and the core's send complete: the tick finds them done.
  ASSERT_TRUE(WaitForStats([](const core::GatewayStats& stats) {
    return stats.messages_sent == 2 && stats.waiting_operations == 0;
  }));
  Tick();
  v1::SendStreamResponse ack;
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_EQ(ack.completed_requests(), 1u);
  EXPECT_EQ(ack.accepted_messages(), 2u);
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&ack)) << "acknowledged already: nothing more to say";
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Stopping ends an idle SendStream and a waiting ReceiveStream at once.
TEST_F(DataStreamsTest, StreamsEndWhenTheServiceStops) {
  TestAssociation a = Establish();
  CallContext call;
  auto stream = stub().SendStream(&call.context);
  ASSERT_TRUE(stream->Write(Batch(session(), a.id, {Message("one")})));
  ASSERT_TRUE(sent().WaitFor(1));  // Sent: the stream now waits on its client.
  CallContext receive_call;
  auto receiver = WaitingReceiveStream(&receive_call.context, a);

  StopService();
  grpc::Status status = Finish(*stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SHUTTING_DOWN");
  EXPECT_TRUE(ReadMessages(*receiver, 1).empty());
  status = receiver->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SHUTTING_DOWN");
  // New streams are refused at once.
  CallContext late_call;
  auto late = stub().SendStream(&late_call.context);
  status = Finish(*late);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SHUTTING_DOWN");
}

TEST_F(DataStreamsTest, SendStreamToAnUnknownAssociationIsNotFound) {
  EXPECT_CALL(stack(), Send(_, _, _)).Times(0);
  CallContext call;
  auto stream = stub().SendStream(&call.context);
  stream->Write(Batch(session(), 987654, {Message("nowhere")}));
  stream->WritesDone();
  grpc::Status status = Finish(*stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_NOT_FOUND");
  EXPECT_EQ(ErrorMetadata(status)["completed_requests"], "0");
}

// ---------------------------------------------------------------- ReceiveStream

TEST_F(DataStreamsTest, ReceiveStreamDeliversMessagesInOrderAcrossResponses) {
  TestAssociation a = Establish();
  CallContext call;
  auto stream = WaitingReceiveStream(&call.context, a);
  InjectMessage(a.socket, "m0", /*stream=*/1, /*ppid=*/7);
  std::vector<v1::InboundMessage> got = ReadMessages(*stream, 1);
  ASSERT_EQ(got.size(), 1u);
  // The rest arrive while the first response is on its way or after it.
  for (int i = 1; i < 6; ++i) InjectMessage(a.socket, absl::StrCat("m", i), i % kStreams, 7);
  int responses = 1;
  for (const v1::InboundMessage& m : ReadMessages(*stream, 5, &responses)) got.push_back(m);
  ASSERT_EQ(got.size(), 6u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].payload(), absl::StrCat("m", i));
    EXPECT_EQ(got[i].stream(), i == 0 ? 1u : i % kStreams);
    EXPECT_EQ(got[i].ppid(), 7u);
    EXPECT_EQ(got[i].association_id(), a.id);
  }
  EXPECT_GE(responses, 2);
  EXPECT_EQ(Stats().queued_messages, 0u);
  call.context.TryCancel();
  v1::ReceiveResponse rest;
  while (stream->Read(&rest)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// The association is lost with messages still queued: the stream delivers
// them, then ends OK.
TEST_F(DataStreamsTest, ReceiveStreamEndsOkAfterCommLostOnceItsLastMessageIsDelivered) {
  TestAssociation a = Establish();
  CallContext call;
  auto stream = WaitingReceiveStream(&call.context, a);
  EXPECT_CALL(stack(), CloseWhenDrained(a.socket));
  RunOnLoop([this, &a] {
    net::InboundMessage message;
    message.assoc_id = kKernelAssoc;
    for (const char* payload : {"last", "words"}) {
      message.payload = payload;
      stack().observer()->OnMessage(a.socket, message);
    }
    stack().observer()->OnNotification(a.socket, CommLost());
  });
  std::vector<v1::InboundMessage> got = ReadMessages(*stream, 3);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].payload(), "last");
  EXPECT_EQ(got[1].payload(), "words");
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Associations(Stats()), 0u) << "read out: the ended association is forgotten";
}

TEST_F(DataStreamsTest, ReceiveStreamEndsOkOnShutdownCompWhileWaiting) {
  TestAssociation a = Establish();
  CallContext call;
  auto stream = WaitingReceiveStream(&call.context, a);
  EXPECT_CALL(stack(), CloseWhenDrained(a.socket));
  Inject(a.socket, ShutdownComp());
  EXPECT_TRUE(ReadMessages(*stream, 1).empty());
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Associations(Stats()), 0u);
}

TEST_F(DataStreamsTest, ReceiveStreamCancelledByTheClientTakesNoMessage) {
  TestAssociation a = Establish();
  CallContext call;
  auto stream = WaitingReceiveStream(&call.context, a);
  call.context.TryCancel();
  EXPECT_TRUE(ReadMessages(*stream, 1).empty());
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitForWaitingOperations(0));
  ExpectNextReceiveGets(a, "for the next call");
}

TEST_F(DataStreamsTest, ReceiveStreamEndsAtItsDeadlineLosingNothing) {
  TestAssociation a = Establish();
  CallContext call(300ms);
  auto stream = stub().ReceiveStream(&call.context, ReceiveFrom(session(), a.id));
  EXPECT_TRUE(ReadMessages(*stream, 1).empty());
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  ASSERT_TRUE(WaitForWaitingOperations(0));
  ExpectNextReceiveGets(a, "after the deadline");
}

TEST_F(DataStreamsTest, ReceiveStreamRefusesARequestWithoutATarget) {
  v1::ReceiveRequest request;
  request.set_session_id(session());
  CallContext call;
  auto stream = stub().ReceiveStream(&call.context, request);
  EXPECT_TRUE(ReadMessages(*stream, 1).empty());
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorMetadata(status)["field"], "target");

  CallContext unknown_call;
  auto unknown = stub().ReceiveStream(&unknown_call.context, ReceiveFrom(session(), 424242));
  EXPECT_TRUE(ReadMessages(*unknown, 1).empty());
  status = unknown->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_NOT_FOUND");
}

// An open ReceiveStream holds its session past the lease, as an event stream
// does; once it ends the lease runs out and the association is shut down.
TEST_F(DataStreamsTest, ReceiveStreamKeepsItsSessionAlivePastTheLease) {
  size_t baseline = Stats().sessions;
  std::string session = OpenSession(kShortLease);
  TestAssociation a = Establish(session);
  CallContext call;
  auto stream = WaitingReceiveStream(&call.context, a, session);
  EXPECT_EQ(SessionsAfter(3 * kShortLease), baseline + 1)
      << "the session expired under an open ReceiveStream";

  Calls shutdown = NewCalls();
  EXPECT_CALL(stack(), Shutdown(a.socket, kKernelAssoc))
      .WillOnce(NoteThenReturn(shutdown, absl::OkStatus()));
  call.context.TryCancel();
  EXPECT_TRUE(ReadMessages(*stream, 1).empty());
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The lease runs out: the peer is asked to shut down, and completes.
  ASSERT_TRUE(shutdown->WaitFor(1));
  EXPECT_EQ(Stats().sessions, baseline);
  EXPECT_CALL(stack(), CloseWhenDrained(a.socket));
  EXPECT_CALL(stack(), Close(a.endpoint_socket));
  Inject(a.socket, ShutdownComp());
  core::GatewayStats after = Stats();
  EXPECT_EQ(Associations(after), 0u);
  EXPECT_EQ(after.endpoints, 0u);
}

}  // namespace
}  // namespace sctpgw::rpc
