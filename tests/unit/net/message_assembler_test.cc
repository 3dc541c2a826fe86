#include "server/net/message_assembler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sctpgw::net {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One recvmsg() result: its bytes and how it was described.
struct Piece {
  std::string bytes;
  bool end_of_record = true;
  bool notification = false;
  sctp_assoc_t assoc_id = 1;
  uint16_t stream = 0;
};

ReceiveResult Describe(const Piece& piece) {
  ReceiveResult result;
  result.length = piece.bytes.size();
  result.end_of_record = piece.end_of_record;
  result.notification = piece.notification;
  result.has_info = !piece.notification;
  result.assoc_id = piece.assoc_id;
  result.stream = piece.stream;
  return result;
}

std::string Delivery(const AssembledMessage& whole) {
  std::string stream =
      whole.info.stream == 0 ? "" : absl::StrCat("/", whole.info.stream);
  if (whole.offset != 0 || whole.more_follows) {
    return absl::StrCat("part ", whole.info.assoc_id, stream, "@", whole.offset,
                        whole.more_follows ? "+" : "", ": ", whole.bytes);
  }
  return absl::StrCat(whole.info.notification ? "notification " : "message ",
                      whole.info.assoc_id, stream, ": ", whole.bytes);
}

// Feeds `pieces` as a socket reader does, from one reused read buffer, and
// returns what the reader would deliver, in order: "message A: bytes",
// "notification A: bytes", "part A@offset+: bytes" (a part of a long
// message, + when more follows) or "oversized A" (A the association).
std::vector<std::string> Deliveries(MessageAssembler& assembler, const std::vector<Piece>& pieces) {
  std::vector<std::string> delivered;
  std::vector<uint8_t> buffer(1024);
  for (const Piece& piece : pieces) {
    std::copy(piece.bytes.begin(), piece.bytes.end(), buffer.begin());
    AssemblyResult result =
        assembler.Add(Describe(piece), absl::MakeConstSpan(buffer.data(), piece.bytes.size()));
    std::fill(buffer.begin(), buffer.end(), 'x');  // The next read overwrites it.
    if (auto* whole = std::get_if<AssembledMessage>(&result)) {
      delivered.push_back(Delivery(*whole));
      while (auto more = assembler.TakeReady()) delivered.push_back(Delivery(*more));
    } else if (auto* oversized = std::get_if<OversizedMessage>(&result)) {
      delivered.push_back(absl::StrCat("oversized ", oversized->assoc_id));
    }
  }
  return delivered;
}

TEST(MessageAssemblerTest, WholeMessageInOnePieceKeepsItsInfo) {
  MessageAssembler assembler(1024);
  ReceiveResult piece = Describe({"hello", true, false, 42});
  piece.stream = 3;
  piece.ssn = 17;
  piece.tsn = 1000;
  piece.ppid = 46;
  piece.unordered = true;
  const std::string bytes = "hello";
  AssemblyResult result = assembler.Add(
      piece, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  auto* whole = std::get_if<AssembledMessage>(&result);
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->bytes, "hello");
  EXPECT_FALSE(whole->info.notification);
  EXPECT_TRUE(whole->info.has_info);
  EXPECT_EQ(whole->info.assoc_id, 42);
  EXPECT_EQ(whole->info.stream, 3);
  EXPECT_EQ(whole->info.ssn, 17);
  EXPECT_EQ(whole->info.tsn, 1000u);
  EXPECT_EQ(whole->info.ppid, 46u);
  EXPECT_TRUE(whole->info.unordered);
  EXPECT_EQ(whole->info.length, 5u);
  EXPECT_TRUE(whole->info.end_of_record);
}

TEST(MessageAssemblerTest, WholeMessagesOneAfterAnother) {
  MessageAssembler assembler(1024);
  EXPECT_THAT(Deliveries(assembler, {{"one"}, {"two", true, false, 2}, {"three"}}),
              ElementsAre("message 1: one", "message 2: two", "message 1: three"));
}

TEST(MessageAssemblerTest, PiecesJoinedUpToTheEndOfRecord) {
  MessageAssembler assembler(1024);
  EXPECT_THAT(Deliveries(assembler, {{"ab", false}, {"cd", false}}), IsEmpty());
  EXPECT_THAT(Deliveries(assembler, {{"ef"}}), ElementsAre("message 1: abcdef"));
  EXPECT_THAT(Deliveries(assembler, {{"g", false}, {"h"}}), ElementsAre("message 1: gh"));
}

TEST(MessageAssemblerTest, TheFirstPieceDescribesTheWhole) {
  MessageAssembler assembler(1024);
  ReceiveResult first = Describe({"abc", false});
  first.stream = 4;
  first.ppid = 60;
  ReceiveResult last = Describe({"de"});
  last.stream = 4;  // The kernel repeats the stream on every piece; the PPID may not be.
  const std::string bytes = "abcde";
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  EXPECT_TRUE(std::holds_alternative<NothingReady>(
      assembler.Add(first, absl::MakeConstSpan(data, 3))));
  AssemblyResult result = assembler.Add(last, absl::MakeConstSpan(data + 3, 2));
  auto* whole = std::get_if<AssembledMessage>(&result);
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->bytes, "abcde");
  EXPECT_EQ(whole->info.stream, 4);
  EXPECT_EQ(whole->info.ppid, 60u);
  EXPECT_EQ(whole->info.length, 5u);
}

TEST(MessageAssemblerTest, MessageOfExactlyTheMaximumIsDelivered) {
  MessageAssembler assembler(8);
  EXPECT_THAT(Deliveries(assembler, {{"1234", false}, {"5678"}}),
              ElementsAre("message 1: 12345678"));
}

TEST(MessageAssemblerTest, OversizedMessageDroppedWholeAndReportedOnceThenTheNextIsFine) {
  MessageAssembler assembler(8);
  assembler.set_deliver_in_pieces(false);
  // The second piece crosses the limit: reported there, the third dropped.
  EXPECT_THAT(Deliveries(assembler, {{"12345", false, false, 5}}), IsEmpty());
  EXPECT_THAT(Deliveries(assembler, {{"6789", false, false, 5}}), ElementsAre("oversized 5"));
  EXPECT_THAT(Deliveries(assembler, {{"abc", false, false, 5}, {"def", true, false, 5}}),
              IsEmpty());
  EXPECT_THAT(Deliveries(assembler, {{"next", true, false, 5}}), ElementsAre("message 5: next"));
}

TEST(MessageAssemblerTest, OversizedSinglePieceThenTheNextIsFine) {
  MessageAssembler assembler(8);
  assembler.set_deliver_in_pieces(false);
  EXPECT_THAT(Deliveries(assembler, {{"123456789"}, {"ok"}}),
              ElementsAre("oversized 1", "message 1: ok"));
}

TEST(MessageAssemblerTest, NotificationInPieces) {
  MessageAssembler assembler(1024);
  EXPECT_THAT(Deliveries(assembler, {{"no", false, true}, {"ti", false, true}, {"fy", true, true},
                                     {"data"}}),
              ElementsAre("notification 1: notify", "message 1: data"));
}

TEST(MessageAssemblerTest, NotificationWhileAnOversizedMessageIsDroppedIsDelivered) {
  MessageAssembler assembler(4);
  assembler.set_deliver_in_pieces(false);
  EXPECT_THAT(Deliveries(assembler, {{"12345", false},
                                     {"ev", true, true},
                                     {"678"},  // The oversized message's end: dropped.
                                     {"ok"}}),
              ElementsAre("oversized 1", "notification 1: ev", "message 1: ok"));
}

TEST(MessageAssemblerTest, OversizedNotificationDroppedThenTheNextIsFine) {
  MessageAssembler assembler(4);
  EXPECT_THAT(Deliveries(assembler, {{"123", false, true}, {"45", true, true}, {"ok", true, true}}),
              ElementsAre("oversized 1", "notification 1: ok"));
}

TEST(MessageAssemblerTest, StopDiscardingStartsANewMessage) {
  MessageAssembler assembler(4);
  assembler.set_deliver_in_pieces(false);
  EXPECT_THAT(Deliveries(assembler, {{"12345", false}}), ElementsAre("oversized 1"));
  assembler.StopDiscarding();
  EXPECT_THAT(Deliveries(assembler, {{"67"}}), ElementsAre("message 1: 67"));
}

// A partial message handed over by a process with a larger maximum than
// this one's: its next piece reports it oversized and the rest is dropped;
// its tail is never delivered as a message of its own.
TEST(MessageAssemblerTest, RestoredPartialOverTheMaximumIsReportedOversized) {
  MessageAssembler assembler(8);
  assembler.set_deliver_in_pieces(false);
  PartialMessage partial;
  partial.assoc_id = 4;
  partial.has_info = true;
  partial.bytes = "0123456789";
  assembler.Restore({partial}, /*discarding=*/false);
  EXPECT_THAT(Deliveries(assembler, {{"ab", false, false, 4}, {"cd", true, false, 4},
                                     {"next", true, false, 4}}),
              ElementsAre("oversized 4", "message 4: next"));
}

// Message interleaving (I-DATA): the kernel delivers the pieces of messages
// of several streams in turn; each message is joined from its own pieces,
// and one too large is dropped without touching the others.
TEST(MessageAssemblerTest, PiecesOfInterleavedStreamsAreJoinedPerStream) {
  MessageAssembler assembler(6);
  assembler.set_deliver_in_pieces(false);
  EXPECT_THAT(Deliveries(assembler, {{"big1", false, false, 1, 1},
                                     {"a", false, false, 1, 2},
                                     {"huge1", false, false, 1, 3},
                                     {"b", true, false, 1, 2},
                                     {"big2", false, false, 1, 1},
                                     {"x", true, false, 1, 4},
                                     {"huge2", true, false, 1, 3},
                                     {"!", true, false, 1, 1}}),
              ElementsAre("message 1/2: ab", "oversized 1", "message 1/4: x", "oversized 1"));
  EXPECT_FALSE(assembler.mid_message());
}

// By default a message longer than the maximum arrives in parts of the
// maximum, in order, each saying where it starts and whether more follows;
// the last is never empty.
TEST(MessageAssemblerTest, LongMessageDeliveredInParts) {
  MessageAssembler assembler(4);
  EXPECT_THAT(Deliveries(assembler, {{"12345", false}, {"678", false}, {"9ab"}, {"next"}}),
              ElementsAre("part 1@0+: 1234", "part 1@4+: 5678", "part 1@8: 9ab",
                          "message 1: next"));
  EXPECT_FALSE(assembler.mid_message());
}

TEST(MessageAssemblerTest, OnePieceCanCompleteSeveralParts) {
  MessageAssembler assembler(3);
  EXPECT_THAT(Deliveries(assembler, {{"123456789a"}}),
              ElementsAre("part 1@0+: 123", "part 1@3+: 456", "part 1@6+: 789", "part 1@9: a"));
  // Exactly a multiple of the maximum: the last part is full, not empty.
  EXPECT_THAT(Deliveries(assembler, {{"12345", false}, {"6"}}),
              ElementsAre("part 1@0+: 123", "part 1@3: 456"));
}

TEST(MessageAssemblerTest, PartsOfALongMessageInterleaveWithOtherStreams) {
  MessageAssembler assembler(4);
  EXPECT_THAT(Deliveries(assembler, {{"abcdef", false, false, 1, 1},
                                     {"x", true, false, 1, 2},
                                     {"gh", true, false, 1, 1}}),
              ElementsAre("part 1/1@0+: abcd", "message 1/2: x", "part 1/1@4: efgh"));
}

// A message being delivered in parts when reading stopped goes on from
// where it was in the process that takes the socket over.
TEST(MessageAssemblerTest, PartsGoOnAfterARestore) {
  MessageAssembler first(4);
  EXPECT_THAT(Deliveries(first, {{"123456", false, false, 7}}), ElementsAre("part 7@0+: 1234"));
  MessageAssembler second(4);
  second.Restore(first.Partials(), first.discarding());
  EXPECT_THAT(Deliveries(second, {{"78", true, false, 7}}), ElementsAre("part 7@4: 5678"));
}

}  // namespace
}  // namespace sctpgw::net
