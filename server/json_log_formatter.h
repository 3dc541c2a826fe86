// spdlog formatter writing one JSON object per line:
// {"time":"2026-11-23T18:00:00.123Z","level":"info","logger":"sctpgw","message":"..."}
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace sctpgw {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) override;
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace sctpgw
