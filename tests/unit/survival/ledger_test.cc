#include "server/survival/ledger.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace sctpgw::survival {
namespace {

TEST(LedgerTest, WhatItHoldsIsReadBackFromItsDescriptor) {
  auto ledger = Ledger::Create(8);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  *ledger->SequenceCounter() = 41;
  *ledger->QueueCounter(7) = uint64_t{2} << 32 | 3;  // 3 queued, 2 being written.
  *ledger->QueueCounter(9) = 0;  // Tracked, nothing queued: nothing lost.
  ledger->SetMidMessage(12, true, true, 5);
  ledger->SetMidMessage(13, true, false, 0);
  *ledger->ReadingSocket() = 12;
  auto contents = Ledger::Read(ledger->fd());
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->last_sequence, 41u);
  ASSERT_EQ(contents->held.size(), 1u);
  EXPECT_EQ(contents->held.at(7).queued, 3u);
  EXPECT_EQ(contents->held.at(7).unsettled, 2u);
  ASSERT_EQ(contents->mid_message.size(), 2u);
  EXPECT_TRUE(contents->mid_message.at(12).held);
  EXPECT_EQ(contents->mid_message.at(12).assoc_id, 5);
  EXPECT_FALSE(contents->mid_message.at(13).held);
  EXPECT_EQ(contents->reading_socket, 12u);
}

TEST(LedgerTest, ReleasedCountersAreForgottenAndTheirSlotsReused) {
  auto ledger = Ledger::Create(2);
  ASSERT_TRUE(ledger.ok());
  *ledger->QueueCounter(1) = 5;
  *ledger->QueueCounter(2) = 6;
  EXPECT_EQ(ledger->QueueCounter(3), nullptr) << "two slots only";
  ledger->ReleaseQueueCounter(1);
  ledger->SetMidMessage(2, false, false, 0);  // Not set: nothing to free.
  uint64_t* third = ledger->QueueCounter(3);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(*third, 0u);
  *third = 1;
  // The same association keeps its counter.
  EXPECT_EQ(ledger->QueueCounter(2), ledger->QueueCounter(2));
  auto contents = Ledger::Read(ledger->fd());
  ASSERT_TRUE(contents.ok());
  ASSERT_EQ(contents->held.size(), 2u);
  EXPECT_EQ(contents->held.at(2).queued, 6u);
  EXPECT_EQ(contents->held.at(3).queued, 1u);
}

TEST(LedgerTest, AMovedLedgerKeepsItsMemory) {
  auto ledger = Ledger::Create(4);
  ASSERT_TRUE(ledger.ok());
  uint64_t* counter = ledger->QueueCounter(1);
  Ledger moved = std::move(*ledger);
  *counter = 2;
  auto contents = Ledger::Read(moved.fd());
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->held.at(1).queued, 2u);
}

TEST(LedgerTest, AnythingElseIsRefused) {
  int fd = memfd_create("not-a-ledger", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string junk(64, 'x');
  ASSERT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  EXPECT_TRUE(absl::IsInvalidArgument(Ledger::Read(fd).status()));
  // A ledger cut short.
  auto ledger = Ledger::Create(100);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ftruncate(ledger->fd(), 40), 0);
  EXPECT_TRUE(absl::IsInvalidArgument(Ledger::Read(ledger->fd()).status()));
  close(fd);
  int pipes[2];
  ASSERT_EQ(pipe(pipes), 0);
  EXPECT_TRUE(absl::IsInvalidArgument(Ledger::Read(pipes[0]).status()));
  close(pipes[0]);
  close(pipes[1]);
}

}  // namespace
}  // namespace sctpgw::survival
