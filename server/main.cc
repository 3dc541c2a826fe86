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
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <future>

#include "server/core/gateway.h"
#include "server/net/kernel_probe.h"
#include "server/net/kernel_sctp_stack.h"
#include "server/rpc/gateway_service.h"

namespace {

constexpr char kUnixPrefix[] = "unix:";

struct Options {
  std::vector<std::string> listen = {"unix:/run/sctpgw/sctpgw.sock"};
  std::string log_level = "info";
  int drain_seconds = 5;
  sctpgw::core::Limits limits;
  // gRPC keepalive: how a client that died or lost its network is noticed.
  int keepalive_time_ms = 10000;
  int keepalive_timeout_ms = 5000;
  int min_client_ping_interval_ms = 5000;
  int64_t default_lease_ms = 30000;
  int64_t max_lease_ms = 3600000;
  int64_t session_shutdown_timeout_ms = 5000;
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
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--drain-seconds", options.drain_seconds,
                 "on SIGTERM/SIGINT, how long in-flight calls may take to finish")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  sctpgw::core::Limits& limits = options.limits;
  app.add_option("--max-message-bytes", limits.max_message_bytes,
                 "largest SCTP message sent or received (reassembled), bytes")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{64} << 20));
  app.add_option("--association-queue-bytes", limits.association_queue_bytes,
                 "received bytes queued per association before sctpgw stops reading it")
      ->capture_default_str()
      ->check(CLI::Range(size_t{4096}, size_t{1} << 30));
  app.add_option("--socket-buffer-bytes", limits.socket_send_buffer_bytes,
                 "SO_SNDBUF and SO_RCVBUF of every SCTP socket, bytes")
      ->capture_default_str()
      ->check(CLI::Range(4096, 1 << 30));
  app.add_option("--event-history", limits.event_history,
                 "events kept for subscribers that resume")
      ->capture_default_str()
      ->check(CLI::Range(size_t{16}, size_t{1} << 24));
  app.add_option("--max-endpoints", limits.max_endpoints, "endpoints open at once")
      ->capture_default_str();
  app.add_option("--max-associations", limits.max_associations, "associations held at once")
      ->capture_default_str();
  app.add_option("--max-sessions", limits.max_sessions, "sessions open at once")
      ->capture_default_str();
  app.add_option("--max-endpoints-per-session", limits.max_endpoints_per_session,
                 "endpoints one session may hold")
      ->capture_default_str();
  app.add_option("--max-associations-per-session", limits.max_associations_per_session,
                 "associations one session may hold")
      ->capture_default_str();
  app.add_option("--default-lease-ms", options.default_lease_ms,
                 "a session's lease when the client asks for none: how long it outlives its "
                 "last call once no event stream of it is open")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{100}, int64_t{86400000}));
  app.add_option("--max-lease-ms", options.max_lease_ms, "the longest lease a client may ask for")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{100}, int64_t{86400000}));
  app.add_option("--session-shutdown-timeout-ms", options.session_shutdown_timeout_ms,
                 "when a session ends, how long its associations get to complete SHUTDOWN "
                 "before they are aborted")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{600000}));
  app.add_option("--keepalive-time-ms", options.keepalive_time_ms,
                 "gRPC keepalive: ping an idle client connection this often")
      ->capture_default_str()
      ->check(CLI::Range(100, 86400000));
  app.add_option("--keepalive-timeout-ms", options.keepalive_timeout_ms,
                 "gRPC keepalive: drop the connection when a ping is not answered in time")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  app.add_option("--min-client-ping-interval-ms", options.min_client_ping_interval_ms,
                 "the shortest keepalive ping interval clients may use")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  CLI11_PARSE(app, argc, argv);
  limits.default_lease = std::chrono::milliseconds(options.default_lease_ms);
  limits.max_lease = std::chrono::milliseconds(std::max(options.max_lease_ms, options.default_lease_ms));
  limits.min_lease = std::min(limits.min_lease, limits.default_lease);
  limits.session_shutdown_timeout = std::chrono::milliseconds(options.session_shutdown_timeout_ms);
  limits.socket_receive_buffer_bytes = limits.socket_send_buffer_bytes;
  // A message must fit the socket's send buffer (the kernel refuses larger
  // ones), with room for the kernel's bookkeeping.
  if (static_cast<size_t>(limits.socket_send_buffer_bytes) < limits.max_message_bytes * 2) {
    limits.socket_send_buffer_bytes = static_cast<int>(limits.max_message_bytes * 2);
    limits.socket_receive_buffer_bytes = limits.socket_send_buffer_bytes;
  }

  // Logs go to stderr (journald and container runtimes collect it); stdout
  // stays free.
  spdlog::set_default_logger(spdlog::stderr_color_mt("sctpgw"));
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

  sctpgw::net::KernelSctpStackOptions stack_options;
  stack_options.max_message_bytes = limits.max_message_bytes;
  auto stack = sctpgw::net::KernelSctpStack::Create(sctpgw::net::SysCalls::Real(), stack_options);
  if (!stack.ok()) {
    spdlog::critical("cannot start the I/O loop: {}", stack.status().ToString());
    return 1;
  }
  sctpgw::core::Gateway gateway(**stack, limits);
  sctpgw::rpc::GatewayServiceImpl service(gateway);
  // Once a second: idle event streams send progress messages.
  std::function<void()> tick = [&] {
    service.Tick();
    (*stack)->StartTimer(std::chrono::seconds(1), tick);
  };
  (*stack)->Post([&] { (*stack)->StartTimer(std::chrono::seconds(1), tick); });

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  // Keepalive, in this one place: a client that dies or loses its network is
  // noticed by the transport; its event stream ends and its session's lease
  // starts running out.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, options.keepalive_time_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, options.keepalive_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             options.min_client_ping_interval_ms);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Room for a full Send batch of large messages.
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<size_t>(INT32_MAX, limits.max_message_bytes * 4 + (4 << 20))));
  builder.SetMaxSendMessageSize(static_cast<int>(
      std::min<size_t>(INT32_MAX, limits.max_bytes_per_receive + limits.max_message_bytes + (1 << 20))));
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
  (*stack)->Start();
  server->GetHealthCheckService()->SetServingStatus(sctp.ok());
  for (const std::string& address : options.listen) {
    spdlog::info("sctpgw serving on {} (kernel SCTP {})", address, sctp.ok() ? "ok" : "missing");
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}, draining for up to {} s", strsignal(signal_number),
               options.drain_seconds);
  server->GetHealthCheckService()->SetServingStatus(false);
  // Calls still waiting end with UNAVAILABLE (SHUTTING_DOWN); associations
  // are shut down gracefully by the kernel as their sockets close.
  std::promise<void> closed;
  (*stack)->Post([&] {
    gateway.Close();
    closed.set_value();
  });
  closed.get_future().wait();
  // Calls already running get up to --drain-seconds to finish; connections
  // left idle do not hold the exit.
  auto drain_deadline = std::chrono::system_clock::now() + std::chrono::seconds(options.drain_seconds);
  if (!service.WaitForCalls(drain_deadline)) {
    spdlog::warn("calls still running after {} s are cancelled", options.drain_seconds);
  }
  server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  (*stack)->Stop();
  for (const std::string& path : unix_paths) unlink(path.c_str());
  spdlog::info("sctpgw stopped");
  return 0;
}
