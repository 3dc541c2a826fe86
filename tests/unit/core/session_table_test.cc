#include "server/core/session_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "server/core/errors.h"
#include "tests/mocks/net/mock_sctp_stack.h"

namespace sctpgw::core {
namespace {

using namespace std::chrono_literals;

class SessionTableTest : public ::testing::Test {
 protected:
  SessionTableTest() {
    limits_.min_lease = 1000ms;
    limits_.max_lease = 10000ms;
    limits_.default_lease = 3000ms;
    limits_.max_sessions = 2;
  }

  net::MockSctpStack runner_;
  Limits limits_;
  std::vector<std::string> expired_;
  SessionTable table_{runner_, limits_, [this](const std::string& key) {
                        expired_.push_back(key);
                        table_.Remove(key);
                      }};
};

TEST_F(SessionTableTest, LeasesAreClampedToTheLimitsAndZeroMeansTheDefault) {
  EXPECT_EQ(table_.Open(0ms, "a", "")->lease, 3000ms);
  EXPECT_EQ(table_.Open(5ms, "b", "")->lease, 1000ms);
  table_.Clear();
  EXPECT_EQ(table_.Open(1h, "c", "")->lease, 10000ms);
}

TEST_F(SessionTableTest, IdsAreRandomHexAndKeysCarryTheOwner) {
  auto plain = table_.Open(0ms, "a", "");
  auto owned = table_.Open(0ms, "b", "uid:1000");
  ASSERT_TRUE(plain.ok() && owned.ok());
  EXPECT_EQ(plain->id.size(), 32u);
  EXPECT_NE(plain->id, owned->id);
  EXPECT_EQ(plain->key, plain->id);
  EXPECT_EQ(owned->key, owned->id + "/uid:1000");
  EXPECT_TRUE(table_.Use(owned->key).ok());
  // The bare id of a session bound to an identity names no session.
  EXPECT_EQ(ErrorReason(table_.Use(owned->id)), "SESSION_NOT_FOUND");
}

TEST_F(SessionTableTest, AtMostMaxSessions) {
  ASSERT_TRUE(table_.Open(0ms, "a", "").ok());
  ASSERT_TRUE(table_.Open(0ms, "b", "").ok());
  auto third = table_.Open(0ms, "c", "");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorMetadataOf(third.status())["limit"], "max_sessions");
  EXPECT_EQ(ErrorMetadataOf(third.status())["value"], "2");
}

TEST_F(SessionTableTest, ALeaseRunsOutUnlessRenewed) {
  std::string key = table_.Open(0ms, "a", "")->key;
  runner_.AdvanceTime(2000ms);
  ASSERT_TRUE(table_.Use(key).ok());  // Renewed: another 3 s from now.
  runner_.AdvanceTime(2000ms);
  EXPECT_TRUE(expired_.empty());
  runner_.AdvanceTime(1000ms);
  EXPECT_EQ(expired_, std::vector<std::string>{key});
  EXPECT_FALSE(table_.Contains(key));
  EXPECT_EQ(runner_.pending_timers(), 0u);
}

TEST_F(SessionTableTest, AHeldSessionDoesNotExpireUntilItsLastHolderLeaves) {
  std::string key = table_.Open(0ms, "a", "")->key;
  ASSERT_TRUE(table_.Hold(key).ok());
  ASSERT_TRUE(table_.Hold(key).ok());
  EXPECT_EQ(runner_.pending_timers(), 0u);
  runner_.AdvanceTime(1h);
  table_.Release(key);
  runner_.AdvanceTime(1h);
  EXPECT_TRUE(expired_.empty());
  table_.Release(key);  // The last holder: the lease runs again.
  runner_.AdvanceTime(3000ms);
  EXPECT_EQ(expired_.size(), 1u);
  EXPECT_EQ(ErrorReason(table_.Hold(key)), "SESSION_NOT_FOUND");
}

// Application liveness: neither streams nor calls renew; only the
// application's RenewLease does, and it says how far it has handled events.
TEST_F(SessionTableTest, AnApplicationLivenessSessionLivesOnlyByItsRenewals) {
  auto opened = table_.Open(0ms, "a", "", SessionLiveness::kApplication);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->liveness, SessionLiveness::kApplication);
  std::string key = opened->key;
  ASSERT_TRUE(table_.Hold(key).ok());  // An event stream opens: no hold.
  runner_.AdvanceTime(2000ms);
  ASSERT_TRUE(table_.Use(key).ok());  // A call: no renewal.
  auto renewed = table_.RenewByApplication(key, 7);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->lease, 3000ms);
  EXPECT_EQ(table_.HandledSequence(key), 7u);
  runner_.AdvanceTime(2999ms);
  EXPECT_TRUE(expired_.empty());
  ASSERT_TRUE(table_.Use(key).ok());
  runner_.AdvanceTime(1ms);  // 3 s after the renewal, whatever else came.
  EXPECT_EQ(expired_, std::vector<std::string>{key});
  table_.Release(key);  // The stream closes after the end: nothing happens.
  EXPECT_EQ(runner_.pending_timers(), 0u);
  EXPECT_EQ(ErrorReason(table_.RenewByApplication(key, 8).status()), "SESSION_NOT_FOUND");
}

TEST_F(SessionTableTest, RenewLeaseAlsoRenewsAConnectionLivenessSession) {
  std::string key = table_.Open(0ms, "a", "")->key;
  runner_.AdvanceTime(2000ms);
  auto renewed = table_.RenewByApplication(key, 3);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->liveness, SessionLiveness::kConnection);
  runner_.AdvanceTime(2999ms);
  EXPECT_TRUE(expired_.empty());
  // A handled sequence never goes back.
  ASSERT_TRUE(table_.RenewByApplication(key, 2).ok());
  EXPECT_EQ(table_.HandledSequence(key), 3u);
}

TEST_F(SessionTableTest, RemovedSessionsStopTheirLease) {
  std::string key = table_.Open(0ms, "a", "")->key;
  EXPECT_TRUE(table_.Remove(key));
  EXPECT_FALSE(table_.Remove(key));
  EXPECT_EQ(runner_.pending_timers(), 0u);
  EXPECT_EQ(ErrorReason(table_.Use(key)), "SESSION_NOT_FOUND");
  EXPECT_EQ(table_.Use("").message(), "session_id is required: open a session first");
}

TEST(SessionKeyTest, ASessionOpenedWithAnIdentityNeedsThatIdentity) {
  const std::string id = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(SessionKey(id, ""), id);
  EXPECT_EQ(SessionKey(id, "CN=app"), id + "/CN=app");
  EXPECT_NE(SessionKey(id, "CN=other"), SessionKey(id, "CN=app"));
  // An id cannot smuggle an identity in: anything but hex names no session.
  EXPECT_EQ(SessionKey(id + "/CN=app", ""), "-");
  EXPECT_EQ(SessionKey("", "CN=app"), "");
}

}  // namespace
}  // namespace sctpgw::core
