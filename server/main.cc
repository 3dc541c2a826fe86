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

#include "server/config/settings.h"
#include "server/core/gateway.h"
#include "server/net/kernel_probe.h"
#include "server/net/kernel_sctp_stack.h"
#include "server/rpc/gateway_service.h"

namespace {

constexpr char kUnixPrefix[] = "unix:";


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

// The --config FILE given on the command line, if any (read before the
// flags, which override it).
std::string ConfigPath(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) return argv[i + 1];
    if (arg.rfind("--config=", 0) == 0) return arg.substr(9);
  }
  return "";
}

// One log line per association lifecycle event, from the event log.
void LogLifecycle(const sctpgw::core::Event& event) {
  const sctpgw::net::Notification& n = event.notification;
  if (n.type != sctpgw::net::NotificationType::kAssociationChange &&
      n.type != sctpgw::net::NotificationType::kPeerAddressChange) {
    return;
  }
  const char* what = n.type == sctpgw::net::NotificationType::kAssociationChange
                         ? sctpgw::net::AssociationChangeName(n.state)
                         : sctpgw::net::PeerAddressStateName(n.state);
  // The session id is a credential: only its first 8 digits are logged.
  spdlog::info("association {} {}: session {}.., endpoint {}, peer {}{}{}", event.association_id,
               what, event.session.substr(0, 8), event.endpoint_id,
               n.address ? n.address->ToString() : event.peer, event.detail.empty() ? "" : ": ",
               event.detail);
}

}  // namespace

int main(int argc, char** argv) {
  sctpgw::config::Settings settings;
  std::string config_path = ConfigPath(argc, argv);
  CLI::App app{"sctpgw: holds kernel SCTP endpoints for applications over gRPC.\n"
               "Settings come from built-in defaults, then --config FILE (TOML), then flags."};
  app.add_option("--config", config_path, "TOML settings file (see deploy/sctpgw.toml)");
  sctpgw::config::AddFlags(app, &settings);
  if (!config_path.empty()) {
    absl::Status loaded = sctpgw::config::LoadFile(config_path, &settings);
    if (!loaded.ok()) {
      std::fprintf(stderr, "sctpgw: %s\n", std::string(loaded.message()).c_str());
      return 2;
    }
  }
  CLI11_PARSE(app, argc, argv);
  absl::Status valid = sctpgw::config::Validate(settings);
  if (!valid.ok()) {
    std::fprintf(stderr, "sctpgw: %s\n", std::string(valid.message()).c_str());
    return 2;
  }
  sctpgw::core::Limits limits = sctpgw::config::ToLimits(settings);

  // Logs go to stderr (journald and container runtimes collect it); stdout
  // stays free.
  spdlog::set_default_logger(spdlog::stderr_color_mt("sctpgw"));
  spdlog::set_level(spdlog::level::from_str(settings.log_level));

  // Signals are taken synchronously by the main thread; block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
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
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(settings.keepalive_time_ms));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(settings.keepalive_timeout_ms));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             static_cast<int>(settings.min_client_ping_interval_ms));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Room for a full Send batch of large messages.
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<size_t>(INT32_MAX, limits.max_message_bytes * 4 + (4 << 20))));
  builder.SetMaxSendMessageSize(static_cast<int>(
      std::min<size_t>(INT32_MAX, limits.max_bytes_per_receive + limits.max_message_bytes + (1 << 20))));
  std::vector<std::string> unix_paths;
  for (const std::string& address : settings.listen) {
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
  for (const std::string& path : unix_paths) {
    if (chmod(path.c_str(), sctpgw::config::SocketMode(settings)) != 0) {
      spdlog::warn("cannot set mode {} on {}: {}", settings.unix_socket_mode, path,
                   std::strerror(errno));
    }
  }
  // Association lifecycle in the log, read from the event log as it grows.
  uint64_t logged = 0;
  auto lifecycle = gateway.events().Subscribe([&] {
    std::vector<sctpgw::core::EventPtr> events;
    if (!gateway.events().Read(logged, 256, &events).ok()) logged = gateway.events().last_sequence();
    for (const auto& event : events) {
      logged = event->sequence;
      LogLifecycle(*event);
    }
  });
  (*stack)->Start();
  server->GetHealthCheckService()->SetServingStatus(sctp.ok());
  for (const std::string& address : settings.listen) {
    spdlog::info("sctpgw serving on {} (kernel SCTP {})", address, sctp.ok() ? "ok" : "missing");
  }

  int signal_number = 0;
  for (;;) {
    sigwait(&signals, &signal_number);
    if (signal_number != SIGHUP) break;
    // SIGHUP re-reads the log level; every other setting needs a restart.
    sctpgw::config::Settings reread = settings;
    absl::Status status = config_path.empty()
                              ? absl::OkStatus()
                              : sctpgw::config::LoadFile(config_path, &reread);
    if (status.ok()) status = sctpgw::config::Validate(reread);
    if (!status.ok()) {
      spdlog::error("SIGHUP: {}; keeping the current settings", std::string(status.message()));
      continue;
    }
    spdlog::set_level(spdlog::level::from_str(reread.log_level));
    spdlog::warn("SIGHUP: log level now {}; other settings take effect on restart",
                 reread.log_level);
  }
  spdlog::info("received {}, draining for up to {} s", strsignal(signal_number),
               settings.drain_seconds);
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
  auto drain_deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(settings.drain_seconds);
  if (!service.WaitForCalls(drain_deadline)) {
    spdlog::warn("calls still running after {} s are cancelled", settings.drain_seconds);
  }
  server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  (*stack)->Stop();
  gateway.events().Unsubscribe(lifecycle);
  for (const std::string& path : unix_paths) unlink(path.c_str());
  spdlog::info("sctpgw stopped");
  return 0;
}
