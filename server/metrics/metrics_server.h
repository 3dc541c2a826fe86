// An HTTP endpoint serving GET /metrics (civetweb), for Prometheus.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct mg_context;
struct mg_connection;

namespace sctpgw::metrics {

class MetricsServer {
 public:
  // Serves on `listen` ("127.0.0.1:9464", "9464", "[::]:9464"); `render`
  // produces the body of each scrape, on a civetweb thread.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                              std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

 private:
  explicit MetricsServer(std::function<std::string()> render) : render_(std::move(render)) {}
  static int Handle(::mg_connection* connection, void* self);

  std::function<std::string()> render_;
  mg_context* context_ = nullptr;
};

}  // namespace sctpgw::metrics
