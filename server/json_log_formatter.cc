#include "server/json_log_formatter.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace sctpgw {
namespace {

// Appends `text` as the inside of a JSON string.
void AppendEscaped(spdlog::string_view_t text, spdlog::memory_buf_t& out) {
  for (char c : text) {
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) {
  auto since_epoch = message.time.time_since_epoch();
  std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  fmt::format_to(std::back_inserter(out),
                 "{{\"time\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\",\"level\":\"",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec, millis);
  auto level = spdlog::level::to_string_view(message.level);
  out.append(level.data(), level.data() + level.size());
  out.append(std::string_view("\",\"logger\":\""));
  AppendEscaped(message.logger_name, out);
  out.append(std::string_view("\",\"message\":\""));
  AppendEscaped(message.payload, out);
  out.append(std::string_view("\"}\n"));
}

}  // namespace sctpgw
