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

TEST(SettingsTest, PlaintextTcpOnlyOnLoopbackUnlessAllowed) {
  for (const char* loopback : {"127.0.0.1:50051", "127.8.9.10:1", "[::1]:50051", "localhost:1"}) {
    EXPECT_TRUE(IsLoopback(loopback)) << loopback;
  }
  for (const char* other : {"0.0.0.0:50051", "[::]:1", "192.0.2.1:1", "128.0.0.1:1", "127.0.0:1"}) {
    EXPECT_FALSE(IsLoopback(other)) << other;
  }
  Settings settings;
  settings.listen = {"unix:/tmp/x.sock", "0.0.0.0:50051"};
  absl::Status status = Validate(settings);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("only on loopback"), absl::string_view::npos) << status;
  settings.allow_insecure_tcp = true;
  EXPECT_TRUE(Validate(settings).ok());
  settings.allow_insecure_tcp = false;
  settings.tls_cert_file = "server.crt";
  EXPECT_NE(Validate(settings).message().find("go together"), absl::string_view::npos);
  settings.tls_key_file = "server.key";
  EXPECT_TRUE(Validate(settings).ok());
}

TEST(SettingsTest, BooleansAndTlsFromTheFile) {
  Settings settings;
  ASSERT_TRUE(LoadString("[server]\nallow_insecure_tcp = true\nlog_format = \"json\"\n"
                         "[tls]\ncert_file = \"a.crt\"\nkey_file = \"a.key\"\n",
                         "test.toml", &settings)
                  .ok());
  EXPECT_TRUE(settings.allow_insecure_tcp);
  EXPECT_EQ(settings.log_format, "json");
  EXPECT_EQ(settings.tls_key_file, "a.key");
  absl::Status status = LoadString("[server]\nallow_insecure_tcp = 1\n", "bad.toml", &settings);
  EXPECT_NE(status.message().find("bad.toml:2: server.allow_insecure_tcp must be true or false"),
            absl::string_view::npos)
      << status;
  settings.log_format = "xml";
  EXPECT_FALSE(Validate(settings).ok());
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
       "test.toml:2: limits.max_message_bytes = 0 is outside 1..4128768"},
      {"[server]\nlisten = \"unix:/x\"\n", "test.toml:2: server.listen must be an array of strings"},
      {"[sctp]\nudp_port = 65536\n", "test.toml:2: sctp.udp_port = 65536 is outside 0..65535"},
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
