#include "server/core/pending_operations.h"

#include <gtest/gtest.h>

#include <optional>

#include "server/core/errors.h"
#include "tests/mocks/net/mock_sctp_stack.h"

namespace sctpgw::core {
namespace {

using namespace std::chrono_literals;

// The mock's clock starts at 0 and deadlines are on the steady clock: a
// deadline `d` from now fires after about `d` of mock time.
Deadline In(std::chrono::milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

class PendingOperationsTest : public ::testing::Test {
 protected:
  net::MockSctpStack runner_;
  std::vector<OperationId> expired_;
  PendingOperations pending_{runner_, 20ms, [this](OperationId id) {
                               expired_.push_back(id);
                               if (auto op = pending_.Take(id)) {
                                 pending_.Fail(std::move(*op), absl::DeadlineExceededError("late"));
                               }
                             }};
};

TEST_F(PendingOperationsTest, CompleteDeliversOnTheRunnerNeverInline) {
  std::optional<absl::StatusOr<size_t>> result;
  OperationId id = pending_.Add(
      SendOperation{1, {}, 0, [&](absl::StatusOr<size_t> r) { result = std::move(r); }}, In(1s));
  EXPECT_EQ(pending_.size(), 1u);
  EXPECT_TRUE(pending_.Complete<SendOperation>(id, size_t{3}));
  EXPECT_FALSE(result.has_value()) << "delivered inside Complete()";
  EXPECT_EQ(pending_.size(), 0u);
  EXPECT_EQ(runner_.pending_timers(), 0u) << "the deadline timer is cancelled";
  runner_.RunPosted();
  ASSERT_TRUE(result.has_value() && result->ok());
  EXPECT_EQ(**result, 3u);
  // Ended once: later completions find nothing.
  EXPECT_FALSE(pending_.Complete<SendOperation>(id, size_t{4}));
  EXPECT_FALSE(pending_.Take(id).has_value());
}

TEST_F(PendingOperationsTest, CompleteOfAnotherKindFindsNothing) {
  OperationId id = pending_.Add(ShutdownOperation{1, [](absl::StatusOr<bool>) {}}, In(1s));
  EXPECT_EQ(pending_.FindAs<SendOperation>(id), nullptr);
  EXPECT_FALSE(pending_.Complete<SendOperation>(id, size_t{1}));
  EXPECT_NE(pending_.FindAs<ShutdownOperation>(id), nullptr);
  EXPECT_STREQ(OperationName(*pending_.Find(id)), "shutdown");
}

TEST_F(PendingOperationsTest, FailDeliversTheStatusToEveryKind) {
  std::vector<absl::Status> statuses;
  auto record = [&](auto result) { statuses.push_back(result.status()); };
  std::vector<OperationId> ids = {
      pending_.Add(AssociateOperation{1, record}, In(1s)),
      pending_.Add(SendOperation{1, {}, 0, record}, In(1s)),
      pending_.Add(ReceiveOperation{{}, record}, In(1s)),
      pending_.Add(ShutdownOperation{1, record}, In(1s)),
  };
  EXPECT_EQ(pending_.ids(), ids);
  for (OperationId id : ids) pending_.Fail(*pending_.Take(id), absl::CancelledError("stop"));
  EXPECT_TRUE(statuses.empty());
  runner_.RunPosted();
  ASSERT_EQ(statuses.size(), 4u);
  for (const absl::Status& status : statuses) EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
}

TEST_F(PendingOperationsTest, TheDeadlineFiresAMarginEarly) {
  std::optional<absl::StatusOr<bool>> result;
  OperationId id = pending_.Add(
      ShutdownOperation{1, [&](absl::StatusOr<bool> r) { result = std::move(r); }}, In(1000ms));
  runner_.AdvanceTime(900ms);
  EXPECT_TRUE(expired_.empty());
  // 5% of the time left (50 ms) before the deadline.
  runner_.AdvanceTime(60ms);
  EXPECT_EQ(expired_, std::vector<OperationId>{id});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(PendingOperationsTest, TakingAnOperationCancelsItsDeadline) {
  OperationId id = pending_.Add(ShutdownOperation{1, [](absl::StatusOr<bool>) {}}, In(1000ms));
  EXPECT_EQ(runner_.pending_timers(), 1u);
  EXPECT_TRUE(pending_.Take(id).has_value());
  EXPECT_EQ(runner_.pending_timers(), 0u);
  runner_.AdvanceTime(2000ms);
  EXPECT_TRUE(expired_.empty());
}

}  // namespace
}  // namespace sctpgw::core
