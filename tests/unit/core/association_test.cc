#include "server/core/association.h"

#include <gtest/gtest.h>

namespace sctpgw::core {
namespace {

Association NewAssociation(size_t queue_limit) {
  AssociationInfo info;
  info.id = 5;
  info.endpoint_id = 2;
  return Association("s1", info, queue_limit);
}

net::InboundMessage Message(const std::string& payload) {
  net::InboundMessage message;
  message.payload = payload;
  return message;
}

TEST(AssociationTest, TakesMessagesInOrderWithinTheBudget) {
  Association association = NewAssociation(1000);
  for (const char* payload : {"aaaa", "bbbb", "cccc", "dddd"}) association.Queue(Message(payload));
  EXPECT_EQ(association.queued_bytes(), 16u);

  std::vector<ReceivedMessage> out;
  size_t bytes = 0;
  association.TakeMessages(/*max_messages=*/10, /*max_bytes=*/9, &out, &bytes);
  ASSERT_EQ(out.size(), 2u);  // A third would pass 9 bytes.
  EXPECT_EQ(out[0].message.payload, "aaaa");
  EXPECT_EQ(out[1].message.payload, "bbbb");
  EXPECT_EQ(out[0].association_id, 5u);
  EXPECT_EQ(bytes, 8u);

  out.clear();
  bytes = 0;
  association.TakeMessages(/*max_messages=*/1, /*max_bytes=*/100, &out, &bytes);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message.payload, "cccc");
  EXPECT_EQ(association.queued_messages(), 1u);
  EXPECT_EQ(association.queued_bytes(), 4u);
}

TEST(AssociationTest, OneMessageAlwaysGoesEvenAboveTheByteBudget) {
  Association association = NewAssociation(1000);
  association.Queue(Message(std::string(50, 'x')));
  std::vector<ReceivedMessage> out;
  size_t bytes = 0;
  association.TakeMessages(10, 10, &out, &bytes);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(bytes, 50u);
  EXPECT_FALSE(association.has_messages());
}

TEST(AssociationTest, ReadingPausesAtTheLimitAndResumesAtHalf) {
  Association association = NewAssociation(100);
  // Without a socket there is nothing to pause.
  association.Queue(Message(std::string(100, 'x')));
  EXPECT_EQ(association.UpdateReading(), Association::Reading::kUnchanged);
  association.set_socket(9);
  EXPECT_EQ(association.UpdateReading(), Association::Reading::kPause);
  EXPECT_EQ(association.UpdateReading(), Association::Reading::kUnchanged);
  EXPECT_TRUE(association.reading_paused());

  std::vector<ReceivedMessage> out;
  size_t bytes = 0;
  association.Queue(Message(std::string(40, 'y')));
  association.TakeMessages(1, 1000, &out, &bytes);  // 40 left: below half.
  EXPECT_EQ(association.UpdateReading(), Association::Reading::kResume);
  EXPECT_FALSE(association.reading_paused());
}

TEST(AssociationTest, SnapshotCountsTheQueueAndTheWaitingReceives) {
  Association association = NewAssociation(1000);
  association.Queue(Message("abc"));
  association.receivers().push_back(11);
  association.receivers().push_back(12);
  Unlist(association.receivers(), 11);
  AssociationInfo info = association.Snapshot();
  EXPECT_EQ(info.id, 5u);
  EXPECT_EQ(info.queued_messages, 1u);
  EXPECT_EQ(info.queued_bytes, 3u);
  EXPECT_EQ(info.waiting_receives, 1u);
}

}  // namespace
}  // namespace sctpgw::core
