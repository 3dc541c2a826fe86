// Fuzzes the settings file parser (TOML) and the checks that follow it:
// arbitrary text as the --config file. A bad file must be an error naming
// what is wrong, never a crash, and a file that passes must give limits the
// service can run with.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/config/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 16)) return 0;
  using namespace sctpgw::config;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Settings settings;
  absl::Status loaded = LoadString(text, "fuzz.toml", &settings);
  if (!loaded.ok()) {
    if (loaded.message().empty()) std::abort();
    return 0;
  }
  absl::Status valid = Validate(settings);
  if (!valid.ok()) {
    if (valid.message().empty()) std::abort();
    return 0;
  }
  const sctpgw::core::Limits limits = ToLimits(settings);
  if (limits.max_message_bytes == 0 || limits.association_queue_bytes == 0 ||
      limits.event_history == 0 || limits.max_sessions == 0) {
    std::abort();
  }
  if (SocketMode(settings) > 07777) std::abort();
  for (const std::string& address : settings.listen) (void)IsLoopback(address);
  return 0;
}
