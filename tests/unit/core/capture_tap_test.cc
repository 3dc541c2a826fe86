#include "server/core/capture_tap.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/core/association.h"

namespace sctpgw::core {
namespace {

AssociationInfo Info(uint64_t id, uint64_t endpoint_id) {
  AssociationInfo info;
  info.id = id;
  info.endpoint_id = endpoint_id;
  info.local_addresses.push_back(*net::SocketAddress::Parse("192.0.2.1", 5000));
  info.peer_addresses.push_back(*net::SocketAddress::Parse("198.51.100.7", 0));
  info.peer_addresses.push_back(*net::SocketAddress::Parse("198.51.100.8", 0));
  info.peer_port = 38412;
  return info;
}

// `payload` must outlive the offer (as the core's message does).
PassingMessage Passing(bool outbound, absl::string_view payload, uint16_t stream = 1) {
  PassingMessage m;
  m.outbound = outbound;
  m.stream = stream;
  m.ppid = 60;
  m.payload = payload;
  return m;
}

class CaptureTapTest : public ::testing::Test {
 protected:
  CaptureTap::CaptureId Open(CaptureScope scope, size_t snap = 0, size_t capacity = 16) {
    return tap_.Open(std::move(scope), snap, capacity, [this] { ++wakes_; });
  }

  CaptureTap tap_;
  int wakes_ = 0;
  Association a1_{"s1", Info(1, 10), 1 << 20};
  Association a2_{"s1", Info(2, 20), 1 << 20};
  Association other_{"s2", Info(3, 30), 1 << 20};
};

TEST_F(CaptureTapTest, NothingIsCopiedWhileNoCaptureIsOpen) {
  tap_.Offer(a1_, Passing(true, "lost"));
  EXPECT_EQ(tap_.open_count(), 0u);
  auto id = Open({"s1"});
  EXPECT_EQ(tap_.open_count(), 1u);
  EXPECT_TRUE(tap_.Take(id, 10, 1 << 20).messages.empty());
  tap_.Close(id);
  EXPECT_EQ(tap_.open_count(), 0u);
}

TEST_F(CaptureTapTest, ACaptureSeesItsScopeOnly) {
  auto session = Open({"s1"});
  auto endpoint = Open({"s1", 20});
  auto association = Open({"s1", 0, 1});
  for (Association* a : {&a1_, &a2_, &other_}) tap_.Offer(*a, Passing(false, "x"));
  auto ids = [&](CaptureTap::CaptureId id) {
    std::vector<uint64_t> seen;
    for (const CapturedMessage& m : tap_.Take(id, 10, 1 << 20).messages) {
      seen.push_back(m.association_id);
    }
    return seen;
  };
  EXPECT_EQ(ids(session), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ids(endpoint), (std::vector<uint64_t>{2}));
  EXPECT_EQ(ids(association), (std::vector<uint64_t>{1}));
  EXPECT_EQ(wakes_, 4);  // One per message queued in a capture.
}

TEST_F(CaptureTapTest, MessagesCarryWhereAndWhatPassed) {
  auto id = Open({"s1"}, /*snap=*/3);
  std::optional<net::SocketAddress> chosen = *net::SocketAddress::Parse("198.51.100.8", 0);
  PassingMessage out = Passing(true, "outbound", 4);
  out.peer = &chosen;
  out.unordered = true;
  tap_.Offer(a1_, out);
  std::optional<net::SocketAddress> source = *net::SocketAddress::Parse("198.51.100.7", 38412);
  PassingMessage in = Passing(false, "inbound!");
  in.peer = &source;
  in.ssn = 5;
  in.tsn = 99;
  in.offset = 8;
  in.more_follows = true;
  tap_.Offer(a1_, in);
  auto batch = tap_.Take(id, 10, 1 << 20);
  ASSERT_EQ(batch.messages.size(), 2u);
  const CapturedMessage& o = batch.messages[0];
  EXPECT_TRUE(o.outbound);
  EXPECT_EQ(o.endpoint_id, 10u);
  EXPECT_EQ(o.local->ToString(), "192.0.2.1:5000");
  EXPECT_EQ(o.peer->ToString(), "198.51.100.8:38412");  // The chosen address, the peer's port.
  EXPECT_EQ(o.stream, 4);
  EXPECT_TRUE(o.unordered);
  EXPECT_EQ(o.length, 8u);
  EXPECT_EQ(o.payload, "out");  // snap_bytes 3.
  const CapturedMessage& i = batch.messages[1];
  EXPECT_FALSE(i.outbound);
  EXPECT_EQ(i.peer->ToString(), "198.51.100.7:38412");
  EXPECT_EQ(i.ssn, 5);
  EXPECT_EQ(i.tsn, 99u);
  EXPECT_EQ(i.offset, 8u);
  EXPECT_TRUE(i.more_follows);
  // Without a source, the association's first peer address.
  tap_.Offer(a1_, Passing(false, "y"));
  EXPECT_EQ(tap_.Take(id, 10, 1 << 20).messages[0].peer->ToString(), "198.51.100.7:38412");
}

// A full capture drops and counts; the count comes where the gap is.
TEST_F(CaptureTapTest, AFullCaptureDropsAndSaysWhereAndHowMany) {
  auto id = Open({"s1"}, 0, /*capacity=*/2);
  for (const char* p : {"1", "2", "3", "4", "5"}) tap_.Offer(a1_, Passing(false, p));
  auto first = tap_.Take(id, 10, 1 << 20);
  ASSERT_EQ(first.messages.size(), 2u);
  EXPECT_EQ(first.dropped, 0u);
  tap_.Offer(a1_, Passing(false, "6"));
  tap_.Offer(a1_, Passing(false, "7"));
  auto second = tap_.Take(id, 10, 1 << 20);
  EXPECT_EQ(second.dropped, 3u);  // 3, 4, 5 went missing before 6.
  ASSERT_EQ(second.messages.size(), 2u);
  EXPECT_EQ(second.messages[0].payload, "6");
  // Dropped with nothing after them yet: said on their own.
  for (const char* p : {"8", "9", "10"}) tap_.Offer(a1_, Passing(false, p));
  auto third = tap_.Take(id, 10, 1 << 20);
  EXPECT_EQ(third.messages.size(), 2u);
  auto fourth = tap_.Take(id, 10, 1 << 20);
  EXPECT_TRUE(fourth.messages.empty());
  EXPECT_EQ(fourth.dropped, 1u);
}

TEST_F(CaptureTapTest, BatchesStopAtTheirLimitsButHoldAtLeastOneMessage) {
  auto id = Open({"s1"});
  const std::string a(100, 'a'), b(100, 'b');
  tap_.Offer(a1_, Passing(false, a));
  tap_.Offer(a1_, Passing(false, b));
  tap_.Offer(a1_, Passing(false, "c"));
  EXPECT_EQ(tap_.Take(id, 10, 50).messages.size(), 1u);   // One, however large.
  EXPECT_EQ(tap_.Take(id, 1, 1 << 20).messages.size(), 1u);
  EXPECT_EQ(tap_.Take(id, 10, 1 << 20).messages.size(), 1u);
}

TEST_F(CaptureTapTest, ASessionsEndEndsItsCapturesOnceTheyAreRead) {
  auto mine = Open({"s1"});
  auto theirs = Open({"s2"});
  tap_.Offer(a1_, Passing(false, "last"));
  int before = wakes_;
  tap_.EndSession("s1");
  EXPECT_EQ(wakes_, before + 1);
  tap_.Offer(a1_, Passing(false, "after the end"));
  auto batch = tap_.Take(mine, 10, 1 << 20);
  ASSERT_EQ(batch.messages.size(), 1u);  // What waited still comes, with the end.
  EXPECT_EQ(batch.messages[0].payload, "last");
  EXPECT_TRUE(batch.ended);
  EXPECT_TRUE(tap_.Take(mine, 10, 1 << 20).ended);
  EXPECT_FALSE(tap_.Take(theirs, 10, 1 << 20).ended);
  tap_.Close(mine);
  EXPECT_TRUE(tap_.Take(mine, 10, 1 << 20).ended);  // Closed: nothing more.
}

}  // namespace
}  // namespace sctpgw::core
