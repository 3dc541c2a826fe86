#include "server/net/send_failed_joiner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sctpgw::net {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

enum Part { kWhole, kFirst, kMiddle, kLast };

// One SEND_FAILED notification as Linux gives it for one DATA chunk of an
// unsent message sent on stream 2 with ppid 46 and context 9.
Notification SendFailed(AssocId assoc_id, const std::string& data, Part part) {
  Notification n;
  n.type = NotificationType::kSendFailed;
  n.assoc_id = assoc_id;
  n.unordered = true;
  n.stream = 2;
  n.ppid = 46;
  n.context = 9;
  n.data = data;
  n.first_fragment = part == kWhole || part == kFirst;
  n.last_fragment = part == kWhole || part == kLast;
  return n;
}

Notification CommLost(AssocId assoc_id) {
  Notification n;
  n.type = NotificationType::kAssociationChange;
  n.assoc_id = assoc_id;
  n.association_change = AssociationChange::kCommLost;
  return n;
}

// What the owner is given, one line per notification: "A send_failed data
// first last" (the fragment flags that are set) or "A other", A the
// association.
std::string Describe(const Notification& n) {
  if (n.type != NotificationType::kSendFailed) return absl::StrCat(n.assoc_id, " other");
  return absl::StrCat(n.assoc_id, " send_failed ", n.data, n.first_fragment ? " first" : "",
                      n.last_fragment ? " last" : "");
}

// Feeds `notifications` in order; returns everything delivered, in order.
std::vector<std::string> Deliveries(SendFailedJoiner& joiner,
                                    std::vector<Notification> notifications) {
  std::vector<std::string> delivered;
  for (Notification& n : notifications) {
    for (const Notification& ready : joiner.Add(std::move(n))) delivered.push_back(Describe(ready));
  }
  return delivered;
}

TEST(SendFailedJoinerTest, WholeMessageDeliveredAtOnce) {
  SendFailedJoiner joiner(1024);
  std::vector<Notification> ready = joiner.Add(SendFailed(1, "hello", kWhole));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].data, "hello");
  EXPECT_EQ(ready[0].stream, 2);
  EXPECT_EQ(ready[0].ppid, 46u);
  EXPECT_EQ(ready[0].context, 9u);
  EXPECT_TRUE(ready[0].first_fragment);
  EXPECT_TRUE(ready[0].last_fragment);
}

TEST(SendFailedJoinerTest, FirstMiddleAndLastFragmentsJoinedIntoOne) {
  SendFailedJoiner joiner(1024);
  EXPECT_THAT(joiner.Add(SendFailed(1, "ab", kFirst)), IsEmpty());
  EXPECT_THAT(joiner.Add(SendFailed(1, "cd", kMiddle)), IsEmpty());
  std::vector<Notification> ready = joiner.Add(SendFailed(1, "ef", kLast));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(Describe(ready[0]), "1 send_failed abcdef first last");
  EXPECT_EQ(ready[0].stream, 2);
  EXPECT_EQ(ready[0].ppid, 46u);
  EXPECT_EQ(ready[0].context, 9u);
  EXPECT_TRUE(ready[0].unordered);
  EXPECT_FALSE(ready[0].sent);
}

TEST(SendFailedJoinerTest, OtherNotificationsPassThrough) {
  SendFailedJoiner joiner(1024);
  EXPECT_THAT(Deliveries(joiner, {CommLost(1), SendFailed(1, "x", kWhole), CommLost(2)}),
              ElementsAre("1 other", "1 send_failed x first last", "2 other"));
}

TEST(SendFailedJoinerTest, OtherNotificationDeliversAPendingMessageFirst) {
  SendFailedJoiner joiner(1024);
  // The last fragment never came (the kernel could not allocate it): what
  // was joined goes first, as it is, then the notification.
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "ab", kFirst), SendFailed(1, "cd", kMiddle),
                                  CommLost(1)}),
              ElementsAre("1 send_failed abcd first", "1 other"));
  // Nothing is left pending.
  EXPECT_THAT(Deliveries(joiner, {CommLost(1)}), ElementsAre("1 other"));
}

TEST(SendFailedJoinerTest, NewFirstFragmentDeliversAPendingMessageFirst) {
  SendFailedJoiner joiner(1024);
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "ab", kFirst), SendFailed(1, "cd", kFirst)}),
              ElementsAre("1 send_failed ab first"));
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "ef", kLast)}),
              ElementsAre("1 send_failed cdef first last"));
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "gh", kFirst), SendFailed(1, "whole", kWhole)}),
              ElementsAre("1 send_failed gh first", "1 send_failed whole first last"));
}

TEST(SendFailedJoinerTest, FragmentWhoseStartWasNotSeenDeliveredAsItIs) {
  SendFailedJoiner joiner(1024);
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "cd", kMiddle), SendFailed(1, "ef", kLast)}),
              ElementsAre("1 send_failed cd", "1 send_failed ef last"));
  // The next message joins as usual.
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "g", kFirst), SendFailed(1, "h", kLast)}),
              ElementsAre("1 send_failed gh first last"));
}

TEST(SendFailedJoinerTest, JoinedMessageOfExactlyTheMaximumIsOne) {
  SendFailedJoiner joiner(4);
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "ab", kFirst), SendFailed(1, "cd", kLast)}),
              ElementsAre("1 send_failed abcd first last"));
}

TEST(SendFailedJoinerTest, JoinedMessageOverTheMaximumDeliveredInPartsInOrder) {
  SendFailedJoiner joiner(4);
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "abc", kFirst), SendFailed(1, "de", kMiddle),
                                  SendFailed(1, "f", kLast)}),
              ElementsAre("1 send_failed abc first", "1 send_failed de",
                          "1 send_failed f last"));
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "g", kFirst), SendFailed(1, "h", kLast)}),
              ElementsAre("1 send_failed gh first last"));
}

TEST(SendFailedJoinerTest, AssociationsAreJoinedIndependently) {
  SendFailedJoiner joiner(1024);
  EXPECT_THAT(Deliveries(joiner, {SendFailed(1, "a1", kFirst), SendFailed(2, "b1", kFirst),
                                  SendFailed(1, "a2", kMiddle),
                                  CommLost(3),  // Another association's: nothing pending flushed.
                                  SendFailed(2, "b2", kLast)}),
              ElementsAre("3 other", "2 send_failed b1b2 first last"));
  // Association 1's message is still pending: a notification of its own
  // delivers it first.
  EXPECT_THAT(Deliveries(joiner, {CommLost(2), CommLost(1)}),
              ElementsAre("2 other", "1 send_failed a1a2 first", "1 other"));
}

}  // namespace
}  // namespace sctpgw::net
