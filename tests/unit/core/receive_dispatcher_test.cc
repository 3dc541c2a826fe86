#include "server/core/receive_dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "server/core/errors.h"
#include "tests/mocks/net/mock_sctp_stack.h"

namespace sctpgw::core {
namespace {

using namespace std::chrono_literals;
using ::testing::StrictMock;

net::InboundMessage Message(const std::string& payload) {
  net::InboundMessage message;
  message.payload = payload;
  return message;
}

class ReceiveDispatcherTest : public ::testing::Test {
 protected:
  ReceiveDispatcherTest() {
    Endpoint endpoint;
    endpoint.session = "s1";
    endpoint.socket = 100;
    endpoint_ = &registry_.AddEndpoint(std::move(endpoint));
  }

  Association& AddAssociation() {
    return registry_.AddAssociation(*endpoint_, next_kernel_id_++, false, /*queue_limit=*/100);
  }

  // A receive of `spec`, its result kept in `result`.
  OperationId Add(ReceiveSpec spec, std::optional<absl::StatusOr<std::vector<ReceivedMessage>>>* result) {
    if (spec.max_messages == 0) spec.max_messages = 10;
    if (spec.max_bytes == 0) spec.max_bytes = 1000;
    return pending_.Add(ReceiveOperation{spec,
                                         [result](absl::StatusOr<std::vector<ReceivedMessage>> r) {
                                           *result = std::move(r);
                                         }},
                        std::chrono::steady_clock::now() + 1s);
  }

  StrictMock<net::MockSctpStack> stack_;
  AssociationRegistry registry_;
  PendingOperations pending_{stack_, 20ms, [](OperationId) {}};
  std::vector<uint64_t> read_out_;
  ReceiveDispatcher dispatcher_{registry_, pending_, stack_,
                                [this](uint64_t id) { read_out_.push_back(id); }};
  Endpoint* endpoint_ = nullptr;
  net::AssocId next_kernel_id_ = 1;
};

TEST_F(ReceiveDispatcherTest, ValidateFillsDefaultsAndRefusesWhatIsOutOfRange) {
  Limits limits;
  ReceiveSpec spec;
  spec.association_id = 4;
  auto filled = ReceiveDispatcher::Validate(spec, limits);
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(filled->max_messages, limits.default_messages_per_receive);
  EXPECT_EQ(filled->max_bytes, limits.default_bytes_per_receive);
  spec.endpoint_id = 2;  // Both: one too many.
  EXPECT_EQ(ErrorMetadataOf(ReceiveDispatcher::Validate(spec, limits).status())["field"], "target");
  spec.endpoint_id = 0;
  spec.max_messages = limits.max_messages_per_receive + 1;
  EXPECT_EQ(ErrorMetadataOf(ReceiveDispatcher::Validate(spec, limits).status())["field"],
            "max_messages");
  spec.max_messages = 0;
  spec.max_bytes = limits.max_bytes_per_receive + 1;
  EXPECT_EQ(ErrorMetadataOf(ReceiveDispatcher::Validate(spec, limits).status())["field"],
            "max_bytes");
}

TEST_F(ReceiveDispatcherTest, AnAssociationsOwnReceivesGoBeforeItsEndpoints) {
  Association& association = AddAssociation();
  std::optional<absl::StatusOr<std::vector<ReceivedMessage>>> own, any;
  ReceiveSpec by_endpoint;
  by_endpoint.endpoint_id = endpoint_->info.id;
  endpoint_->receivers.push_back(Add(by_endpoint, &any));
  ReceiveSpec by_association;
  by_association.association_id = association.id();
  by_association.max_messages = 1;
  association.receivers().push_back(Add(by_association, &own));

  association.Queue(Message("first"));
  association.Queue(Message("second"));
  dispatcher_.Serve(association);
  stack_.RunPosted();
  ASSERT_TRUE(own.has_value() && own->ok());
  EXPECT_EQ((**own)[0].message.payload, "first");
  ASSERT_TRUE(any.has_value() && any->ok());
  EXPECT_EQ((**any)[0].message.payload, "second");
  EXPECT_TRUE(association.receivers().empty());
  EXPECT_TRUE(endpoint_->receivers.empty());
}

TEST_F(ReceiveDispatcherTest, AnEndpointsReceivesTakeFromItsAssociationsInRoundRobin) {
  Association& a = AddAssociation();
  Association& b = AddAssociation();
  for (const char* payload : {"a1", "a2"}) a.Queue(Message(payload));
  for (const char* payload : {"b1", "b2"}) b.Queue(Message(payload));
  ReceiveSpec spec;
  spec.endpoint_id = endpoint_->info.id;
  spec.max_messages = 1;
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    std::optional<absl::StatusOr<std::vector<ReceivedMessage>>> result;
    EXPECT_TRUE(dispatcher_.TryReceive(Add(spec, &result)));
    stack_.RunPosted();
    ASSERT_TRUE(result.has_value() && result->ok());
    order.push_back((**result)[0].message.payload);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a1", "b1", "a2", "b2"}));
  std::optional<absl::StatusOr<std::vector<ReceivedMessage>>> nothing;
  EXPECT_FALSE(dispatcher_.TryReceive(Add(spec, &nothing)));  // Stays waiting.
  EXPECT_EQ(pending_.size(), 1u);
}

// Its last messages are then being written to the receive: it is let go
// once they are (Gateway::Settle), not before, so that a failed write can
// give them back.
TEST_F(ReceiveDispatcherTest, ReadingAnEndedAssociationToTheEndResumesReadingAndKeepsItWhileWritten) {
  Association& association = AddAssociation();
  registry_.Attach(association, 200);
  EXPECT_CALL(stack_, PauseReading(200, true));
  association.Queue(Message(std::string(100, 'x')));
  dispatcher_.UpdateReading(association);
  association.set_state(AssociationState::kClosed);
  ReceiveSpec spec;
  spec.association_id = association.id();
  std::optional<absl::StatusOr<std::vector<ReceivedMessage>>> result;
  EXPECT_CALL(stack_, PauseReading(200, false));
  EXPECT_TRUE(dispatcher_.TryReceive(Add(spec, &result)));
  EXPECT_TRUE(read_out_.empty());
  EXPECT_EQ(association.unsettled_messages(), 1u);
  association.Settle(1);
  EXPECT_TRUE(association.read_out());
}

}  // namespace
}  // namespace sctpgw::core
