#include "server/metrics/metrics_server.h"

#include <civetweb.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace sctpgw::metrics {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, std::function<std::string()> render) {
  mg_init_library(0);
  std::unique_ptr<MetricsServer> server(new MetricsServer(std::move(render)));
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", "2",
                           "request_timeout_ms", "10000", nullptr};
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  char error[256] = "";
  mg_init_data init;
  std::memset(&init, 0, sizeof(init));
  init.callbacks = &callbacks;
  init.configuration_options = options;
  mg_error_data error_data;
  std::memset(&error_data, 0, sizeof(error_data));
  error_data.text = error;
  error_data.text_buffer_size = sizeof(error);
  server->context_ = mg_start2(&init, &error_data);
  if (server->context_ == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot serve metrics on ", listen, ": ", error[0] ? error : "unknown error"));
  }
  mg_set_request_handler(server->context_, "/metrics", &MetricsServer::Handle, server.get());
  return server;
}

MetricsServer::~MetricsServer() {
  if (context_ != nullptr) mg_stop(context_);
  mg_exit_library();
}

int MetricsServer::Handle(::mg_connection* connection, void* self) {
  const mg_request_info* request = mg_get_request_info(connection);
  if (std::strcmp(request->request_method, "GET") != 0) {
    mg_send_http_error(connection, 405, "%s", "only GET");
    return 405;
  }
  std::string body = static_cast<MetricsServer*>(self)->render_();
  mg_printf(connection,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
            body.size());
  mg_write(connection, body.data(), body.size());
  return 200;
}

}  // namespace sctpgw::metrics
