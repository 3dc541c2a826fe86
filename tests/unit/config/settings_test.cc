#include "server/config/settings.h"

#include <gtest/gtest.h>

namespace sctpgw::config {
namespace {

TEST(SettingsTest, TheExampleFileHoldsTheBuiltInDefaults) {
  Settings loaded;
  loaded.max_sessions = 1;  // Must be set back by the file.
  absl::Status status = LoadFile(std::string(SCTPGW_SOURCE_DIR) + "/deploy/sctpgw.toml", &loaded);
  ASSERT_TRUE(status.ok()) << status;
  Settings defaults;
  EXPECT_EQ(loaded.listen, defaults.listen);
  EXPECT_EQ(loaded.max_sessions, defaults.max_sessions);
  EXPECT_EQ(loaded.keepalive_time_ms, defaults.keepalive_time_ms);
  EXPECT_EQ(loaded.max_message_bytes, defaults.max_message_bytes);
  EXPECT_EQ(loaded.event_history, defaults.event_history);
  EXPECT_TRUE(Validate(loaded).ok());
}

TEST(SettingsTest, KeysChangeOnlyWhatTheyName) {
  Settings settings;
  ASSERT_TRUE(LoadString("[sessions]\ndefault_lease_ms = 2000\n[server]\nlisten = "
                         "[\"unix:/tmp/x.sock\", \"127.0.0.1:50051\"]\n",
                         "test.toml", &settings)
                  .ok());
  EXPECT_EQ(settings.default_lease_ms, 2000);
  EXPECT_EQ(settings.listen.size(), 2u);
  EXPECT_EQ(settings.max_sessions, Settings().max_sessions);
  EXPECT_EQ(ToLimits(settings).default_lease, std::chrono::milliseconds(2000));
}

TEST(SettingsTest, MistakesNameTheKeyAndTheLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"[server]\nlog_level = \"info\"\nlsten = []\n", "test.toml:3: unknown key server.lsten"},
      {"[srever]\n", "test.toml:1: unknown section [srever]"},
      {"[limits]\n\nmax_message_bytes = \"big\"\n",
       "test.toml:3: limits.max_message_bytes must be an integer"},
      {"[limits]\nmax_message_bytes = 0\n",
       "test.toml:2: limits.max_message_bytes = 0 is outside 1..67108864"},
      {"[server]\nlisten = \"unix:/x\"\n", "test.toml:2: server.listen must be an array of strings"},
      {"[server\n", "test.toml:1: "},
  };
  for (const Case& c : cases) {
    Settings settings;
    absl::Status status = LoadString(c.text, "test.toml", &settings);
    EXPECT_FALSE(status.ok()) << c.text;
    EXPECT_EQ(std::string(status.message()).rfind(c.expected, 0), 0u)
        << "got: " << status.message() << "\nwanted: " << c.expected;
  }
}

TEST(SettingsTest, ValidateChecksWhatOneKeyCannot) {
  Settings settings;
  settings.unix_socket_mode = "999";
  EXPECT_FALSE(Validate(settings).ok());
  settings = Settings();
  settings.log_level = "loud";
  EXPECT_FALSE(Validate(settings).ok());
  settings = Settings();
  settings.max_lease_ms = 10;
  EXPECT_FALSE(Validate(settings).ok());
  settings = Settings();
  EXPECT_EQ(SocketMode(settings), 0660u);
}

}  // namespace
}  // namespace sctpgw::config
