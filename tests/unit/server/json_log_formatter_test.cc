#include "server/json_log_formatter.h"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

namespace sctpgw {
namespace {

TEST(JsonLogFormatterTest, OneEscapedObjectPerLine) {
  JsonLogFormatter formatter;
  spdlog::details::log_msg message("sctpgw", spdlog::level::warn,
                                   "peer \"a\"\\b said:\nbye\t\x01");
  message.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  spdlog::memory_buf_t out;
  formatter.format(message, out);
  EXPECT_EQ(std::string(out.data(), out.size()),
            "{\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"warning\",\"logger\":\"sctpgw\","
            "\"message\":\"peer \\\"a\\\"\\\\b said:\\nbye\\t\\u0001\"}\n");
}

}  // namespace
}  // namespace sctpgw
