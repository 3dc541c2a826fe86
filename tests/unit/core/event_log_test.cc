#include "server/core/event_log.h"

#include <gtest/gtest.h>

#include "server/core/errors.h"

namespace sctpgw::core {
namespace {

Event MakeEvent(uint64_t association) {
  Event event;
  event.association_id = association;
  return event;
}

TEST(EventLogTest, SequencesIncreaseAndReadsResumeExactlyOnce) {
  EventLog log(100);
  for (uint64_t i = 1; i <= 5; ++i) EXPECT_EQ(log.Append(MakeEvent(i)), i);
  std::vector<EventPtr> events;
  ASSERT_TRUE(log.Read(0, 2, &events).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]->sequence, 2u);
  events.clear();
  ASSERT_TRUE(log.Read(2, 100, &events).ok());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]->sequence, 3u);
  EXPECT_EQ(events[2]->association_id, 5u);
  events.clear();
  ASSERT_TRUE(log.Read(5, 100, &events).ok());
  EXPECT_TRUE(events.empty());
}

TEST(EventLogTest, TheLastSequenceIsMirroredBeforeAnyoneCanReadTheEvent) {
  EventLog log(100);
  log.Append(MakeEvent(1));
  uint64_t mirror = 0;
  log.MirrorLastSequence(&mirror);
  EXPECT_EQ(mirror, 1u);
  uint64_t seen_by_subscriber = 0;
  log.Subscribe([&] { seen_by_subscriber = mirror; });
  log.Append(MakeEvent(2));
  EXPECT_EQ(seen_by_subscriber, 2u);
  log.MirrorLastSequence(nullptr);
  log.Append(MakeEvent(3));
  EXPECT_EQ(mirror, 2u);
}

TEST(EventLogTest, CompactedHistoryIsAnErrorNotAGap) {
  EventLog log(3);
  for (int i = 0; i < 10; ++i) log.Append(MakeEvent(0));
  EXPECT_EQ(log.first_kept_sequence(), 8u);
  std::vector<EventPtr> events;
  absl::Status status = log.Read(5, 100, &events);
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ErrorReason(status), "HISTORY_COMPACTED");
  EXPECT_EQ(ErrorMetadataOf(status)["first_kept_sequence"], "8");
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(log.Read(7, 100, &events).ok());  // Exactly the kept ones.
  EXPECT_EQ(events.size(), 3u);
}

TEST(EventLogTest, SubscribersAreWokenUntilUnsubscribed) {
  EventLog log(10);
  int wakes = 0;
  auto id = log.Subscribe([&] { ++wakes; });
  log.Append(MakeEvent(0));
  log.WakeAll();
  EXPECT_EQ(wakes, 2);
  log.Unsubscribe(id);
  log.Append(MakeEvent(0));
  EXPECT_EQ(wakes, 2);
}

}  // namespace
}  // namespace sctpgw::core
