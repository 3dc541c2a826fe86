// sctpgw: a gRPC service holding kernel SCTP endpoints for applications.
// This file only wires configuration, logging and the gRPC server together.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "server/net/kernel_probe.h"

namespace {

constexpr char kUnixPrefix[] = "unix:";

struct Options {
  std::vector<std::string> listen = {"unix:/run/sctpgw/sctpgw.sock"};
  std::string log_level = "info";
  int drain_seconds = 5;
};

// Prepares a unix socket path: creates its directory and removes a stale
// socket left by a process that is gone. Refuses to touch a live one.
bool PrepareUnixSocket(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return true;
  if (!S_ISSOCK(info.st_mode)) {
    spdlog::critical("{} exists and is not a socket; refusing to replace it", path);
    return false;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  if (live) {
    spdlog::critical("another process is serving on {}", path);
    return false;
  }
  unlink(path.c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"sctpgw: holds kernel SCTP endpoints for applications over gRPC"};
  app.add_option("--listen", options.listen,
                 "gRPC listen address, repeatable: unix:/path or host:port")
      ->capture_default_str();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error, critical")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--drain-seconds", options.drain_seconds,
                 "on SIGTERM/SIGINT, how long in-flight calls may take to finish")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(options.log_level));

  // Signals are taken synchronously by the main thread; block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::Status sctp = sctpgw::net::ProbeKernelSctp(sctpgw::net::SysCalls::Real());
  if (!sctp.ok()) {
    spdlog::error("kernel SCTP is not usable: {}", sctp.ToString());
    spdlog::error("sctpgw keeps running and reports NOT_SERVING on its health service; "
                  "on a host without SCTP, start it through the lab: make run");
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<std::string> unix_paths;
  for (const std::string& address : options.listen) {
    if (address.rfind(kUnixPrefix, 0) == 0) {
      std::string path = address.substr(std::strlen(kUnixPrefix));
      if (!PrepareUnixSocket(path)) return 1;
      unix_paths.push_back(path);
    }
    builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    spdlog::critical("cannot listen on the configured addresses");
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus(sctp.ok());
  for (const std::string& address : options.listen) {
    spdlog::info("sctpgw serving on {} (kernel SCTP {})", address, sctp.ok() ? "ok" : "missing");
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}, draining for up to {} s", strsignal(signal_number),
               options.drain_seconds);
  server->GetHealthCheckService()->SetServingStatus(false);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(options.drain_seconds));
  server->Wait();
  for (const std::string& path : unix_paths) unlink(path.c_str());
  spdlog::info("sctpgw stopped");
  return 0;
}
