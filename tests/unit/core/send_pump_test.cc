#include "server/core/send_pump.h"

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
using ::testing::Return;
using ::testing::StrictMock;

OutboundMessage Outbound(const std::string& payload, uint32_t stream = 0) {
  OutboundMessage m;
  m.stream = stream;
  m.payload = payload;
  return m;
}

Association Established(uint16_t outbound_streams) {
  AssociationInfo info;
  info.id = 3;
  info.kernel_id = 7;
  info.state = AssociationState::kEstablished;
  info.outbound_streams = outbound_streams;
  Association association("s1", info, 1000);
  association.set_socket(200);
  return association;
}

TEST(ValidateMessagesTest, NamesTheFirstMessageAtFault) {
  Association association = Established(2);
  Limits limits;
  limits.max_messages_per_send = 3;
  auto reason = [&](const std::vector<OutboundMessage>& messages) {
    return ErrorReason(ValidateMessages(association, messages, 10, limits));
  };
  EXPECT_EQ(reason({}), "INVALID_ARGUMENT");
  EXPECT_EQ(reason({Outbound("a"), Outbound("b"), Outbound("c"), Outbound("d")}), "LIMIT_EXCEEDED");
  EXPECT_EQ(reason({Outbound("a"), Outbound("b", 2)}), "STREAM_OUT_OF_RANGE");
  EXPECT_EQ(reason({Outbound("")}), "EMPTY_MESSAGE");
  EXPECT_EQ(reason({Outbound(std::string(11, 'x'))}), "MESSAGE_TOO_LARGE");
  absl::Status bad_stream = ValidateMessages(association, {Outbound("a"), Outbound("b", 5)}, 10, limits);
  EXPECT_EQ(ErrorMetadataOf(bad_stream)["field"], "messages[1].stream");
  EXPECT_EQ(ErrorMetadataOf(bad_stream)["outbound_streams"], "2");
  EXPECT_TRUE(ValidateMessages(association, {Outbound("a"), Outbound("b", 1)}, 10, limits).ok());
}

TEST(WithAcceptedCountTest, SaysHowManyWentWhenSomeDid) {
  SendOperation send;
  send.messages = {Outbound("a"), Outbound("b"), Outbound("c")};
  absl::Status late = Error(Reason::kDeadlineExceeded, "send: late");
  EXPECT_EQ(WithAcceptedCount(late, send), late);
  send.next = 2;
  absl::Status partial = WithAcceptedCount(late, send);
  EXPECT_EQ(ErrorReason(partial), "DEADLINE_EXCEEDED");
  EXPECT_EQ(ErrorMetadataOf(partial)["accepted_messages"], "2");
  EXPECT_THAT(std::string(partial.message()), ::testing::HasSubstr("the first 2 of 3"));
}

class SendPumpTest : public ::testing::Test {
 protected:
  StrictMock<net::MockSctpStack> stack_;
  GatewayStats counters_;
  PendingOperations pending_{stack_, 20ms, [](OperationId) {}};
  CaptureTap captures_;
  SendPump pump_{stack_, pending_, counters_, captures_};
  Association association_ = Established(4);
};

TEST_F(SendPumpTest, SendsInOrderAndStartsTheShutdownQueuedBehind) {
  std::optional<absl::StatusOr<size_t>> sent;
  std::optional<absl::StatusOr<bool>> shut;
  OperationId send = pending_.Add(
      SendOperation{3, {Outbound("one"), Outbound("two", 1)}, 0,
                    [&](absl::StatusOr<size_t> r) { sent = std::move(r); }},
      std::chrono::steady_clock::now() + 1s);
  OperationId shutdown = pending_.Add(
      ShutdownOperation{3, [&](absl::StatusOr<bool> r) { shut = std::move(r); }},
      std::chrono::steady_clock::now() + 1s);
  association_.outbound() = {send, shutdown};
  ::testing::InSequence in_order;
  EXPECT_CALL(stack_, Send(200, _, _))
      .WillOnce([](net::SocketId, const net::SendInfo& info, absl::Span<const uint8_t> data) {
        EXPECT_EQ(info.stream, 0);
        EXPECT_EQ(info.assoc_id, 7);
        EXPECT_EQ(std::string(data.begin(), data.end()), "one");
        return absl::OkStatus();
      });
  EXPECT_CALL(stack_, Send(200, _, _)).WillOnce(Return(net::ErrnoStatus(EAGAIN, "sendmsg")));
  pump_.Pump(association_);
  EXPECT_EQ(association_.outbound().size(), 2u);  // Waiting for room.

  EXPECT_CALL(stack_, Send(200, _, _)).WillOnce(Return(absl::OkStatus()));
  EXPECT_CALL(stack_, Shutdown(200, 7)).WillOnce(Return(absl::OkStatus()));
  pump_.Pump(association_);  // OnWritable.
  EXPECT_TRUE(association_.outbound().empty());
  EXPECT_EQ(association_.shutdowns(), std::vector<OperationId>{shutdown});
  EXPECT_EQ(association_.state(), AssociationState::kShuttingDown);
  stack_.RunPosted();
  ASSERT_TRUE(sent.has_value() && sent->ok());
  EXPECT_EQ(**sent, 2u);
  EXPECT_FALSE(shut.has_value());  // Completes on SHUTDOWN_COMP.
  EXPECT_EQ(counters_.messages_sent, 2u);
  EXPECT_EQ(counters_.bytes_sent, 6u);
}

TEST_F(SendPumpTest, ARefusedSendFailsWithWhatWasAcceptedAndTheNextGoesOn) {
  std::optional<absl::StatusOr<size_t>> first, second;
  OperationId a = pending_.Add(
      SendOperation{3, {Outbound("one"), Outbound("two")}, 0,
                    [&](absl::StatusOr<size_t> r) { first = std::move(r); }},
      std::chrono::steady_clock::now() + 1s);
  OperationId b = pending_.Add(
      SendOperation{3, {Outbound("three")}, 0,
                    [&](absl::StatusOr<size_t> r) { second = std::move(r); }},
      std::chrono::steady_clock::now() + 1s);
  association_.outbound() = {a, b};
  ::testing::InSequence in_order;
  EXPECT_CALL(stack_, Send(200, _, _)).WillOnce(Return(absl::OkStatus()));
  EXPECT_CALL(stack_, Send(200, _, _)).WillOnce(Return(net::ErrnoStatus(ECONNRESET, "sendmsg")));
  EXPECT_CALL(stack_, Send(200, _, _)).WillOnce(Return(absl::OkStatus()));
  pump_.Pump(association_);
  stack_.RunPosted();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(ErrorReason(first->status()), "ASSOCIATION_LOST");
  EXPECT_EQ(ErrorMetadataOf(first->status())["accepted_messages"], "1");
  ASSERT_TRUE(second.has_value() && second->ok());
  EXPECT_EQ(counters_.send_errors, 1u);
  EXPECT_EQ(pending_.size(), 0u);
}

TEST_F(SendPumpTest, OperationsThatEndedWhileQueuedAreSkipped) {
  OperationId gone = pending_.Add(SendOperation{3, {Outbound("x")}, 0, [](absl::StatusOr<size_t>) {}},
                                  std::chrono::steady_clock::now() + 1s);
  pending_.Take(gone);  // Its deadline came.
  association_.outbound() = {gone};
  pump_.Pump(association_);  // StrictMock: nothing sent.
  EXPECT_TRUE(association_.outbound().empty());
}

}  // namespace
}  // namespace sctpgw::core
