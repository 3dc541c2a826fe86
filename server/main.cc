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

#include <fstream>
#include <atomic>
#include <future>
#include <map>
#include <thread>
#include <iterator>
#include <optional>

#include <grp.h>
#include <pwd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "server/config/settings.h"
#include "server/core/errors.h"
#include "server/core/gateway.h"
#include "server/handover/handover_listener.h"
#include "server/handover/service_handover.h"
#include "server/handover/take_over.h"
#include "server/json_log_formatter.h"
#include "server/metrics/metrics_server.h"
#include "server/metrics/prometheus.h"
#include "server/net/kernel_probe.h"
#include "server/net/kernel_sctp_stack.h"
#include "server/net/message_interleaving.h"
#include "server/net/udp_encapsulation.h"
#include "server/process/allocator_tuning.h"
#include "server/process/mutex_checks.h"
#include "server/rpc/gateway_service.h"
#include "server/rpc/unix_listener.h"
#include "server/survival/fd_store.h"
#include "server/survival/recovery.h"
#include "server/survival/survival_keeper.h"

namespace {

constexpr char kUnixPrefix[] = "unix:";
constexpr char kVersion[] = "0.1.0";
// How long sctpgw waits at start for the fd holder beside it (a pod's
// containers start together).
constexpr std::chrono::seconds kHolderWait{10};

// Where this sctpgw takes handover requests ("" = none).
std::string HandoverPath(const sctpgw::config::Settings& settings) {
  if (settings.handover_socket == "off") return "";
  if (!settings.handover_socket.empty()) return settings.handover_socket;
  for (const std::string& address : settings.listen) {
    if (address.rfind(kUnixPrefix, 0) == 0) {
      return address.substr(std::strlen(kUnixPrefix)) + ".handover";
    }
  }
  return "";
}


// The whole of a file, or an error naming it.
absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " cannot be read"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is empty"));
  return text;
}

// Credentials for TCP listen addresses: TLS (mutual with a client CA) when
// configured; plaintext otherwise (Validate() allows that on loopback, or
// when explicitly allowed).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TcpCredentials(
    const sctpgw::config::Settings& settings) {
  if (settings.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  auto cert = ReadFile(settings.tls_cert_file, "tls.cert_file");
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(settings.tls_key_file, "tls.key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!settings.tls_client_ca_file.empty()) {
    auto ca = ReadFile(settings.tls_client_ca_file, "tls.client_ca_file");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// A user or group given by name or number; nullopt for "" (leave as is).
absl::StatusOr<std::optional<unsigned>> IdOf(const std::string& name, bool group) {
  if (name.empty()) return std::optional<unsigned>();
  unsigned id = 0;
  if (absl::SimpleAtoi(name, &id)) return std::optional<unsigned>(id);
  if (group) {
    if (const struct group* entry = getgrnam(name.c_str())) return std::optional<unsigned>(entry->gr_gid);
  } else {
    if (const struct passwd* entry = getpwnam(name.c_str())) return std::optional<unsigned>(entry->pw_uid);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(group ? "server.unix_socket_group" : "server.unix_socket_owner", " \"", name,
                   "\" is not a known ", group ? "group" : "user"));
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
                         ? sctpgw::net::AssociationChangeName(n.association_change)
                         : sctpgw::net::PeerAddressStateName(n.address_state);
  // The session id is a credential: only its first 8 digits are logged.
  spdlog::info("association {} {}: session {}.., endpoint {}, peer {}{}{}", event.association_id,
               what, event.session.substr(0, 8), event.endpoint_id,
               n.address ? n.address->ToString() : event.peer, event.detail.empty() ? "" : ": ",
               event.detail);
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts: memory is kept between messages of the data
  // path, and given back once a burst is over (allocator_tuning.h).
  const bool allocator_tuned = sctpgw::process::AllocatorTuning::Apply();
  sctpgw::process::ConfigureMutexChecks();
  sctpgw::config::Settings settings;
  std::string config_path = ConfigPath(argc, argv);
  CLI::App app{"sctpgw: holds kernel SCTP endpoints for applications over gRPC.\n"
               "Settings come from built-in defaults, then --config FILE (TOML), then flags."};
  app.add_option("--config", config_path, "TOML settings file (see deploy/sctpgw.toml)");
  std::string take_over;
  app.add_option("--take-over", take_over,
                 "take everything over from the sctpgw whose handover socket this is "
                 "(its associations stay up; docs/handover.md)");
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
  // stays free. JSON: one object per line, for log collectors.
  spdlog::set_default_logger(spdlog::stderr_color_mt("sctpgw"));
  spdlog::set_level(spdlog::level::from_str(settings.log_level));
  if (settings.log_format == "json") {
    spdlog::set_formatter(std::make_unique<sctpgw::JsonLogFormatter>());
  }

  // Signals are taken synchronously by the main thread; block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR2);  // A handover completed (see below).
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (!allocator_tuned) spdlog::debug("the allocator does not take sctpgw's thresholds; its defaults hold");

  absl::Status sctp = sctpgw::net::ProbeKernelSctp(sctpgw::net::SysCalls::Real());
  if (!sctp.ok()) {
    spdlog::error("kernel SCTP is not usable: {}", sctp.ToString());
    spdlog::error("sctpgw keeps running and reports NOT_SERVING on its health service; "
                  "on a host without SCTP, start it through the lab: make run");
  } else if (settings.sctp_udp_port != 0) {
    const auto port = static_cast<uint16_t>(settings.sctp_udp_port);
    absl::Status udp = sctpgw::net::UdpEncapsulation().SetLocalPort(port);
    if (!udp.ok()) {
      spdlog::critical("sctp.udp_port: {}", std::string(udp.message()));
      return 2;
    }
    spdlog::info("SCTP over UDP: the kernel listens on UDP port {} (net.sctp.udp_port)", port);
  }
  if (sctp.ok() && settings.sctp_interleaving) {
    absl::Status interleaving = sctpgw::net::MessageInterleaving().Enable();
    if (!interleaving.ok()) {
      spdlog::critical("sctp.interleaving: {}", std::string(interleaving.message()));
      return 2;
    }
    spdlog::info("message interleaving (I-DATA) offered where endpoints ask for it "
                 "(net.sctp.intl_enable)");
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
  sctpgw::rpc::ProcessInfo process;  // For GetServiceStatus.
  process.version = kVersion;
  process.kernel_sctp = sctp.ok();
  (*stack)->Start();
  // The service manager (systemd, or any that speaks its protocol), and
  // after a crash what its file descriptor store kept (docs/handover.md).
  // With server.fd_holder, an sctpgw-fd-holder beside this process keeps
  // them instead (containers).
  std::unique_ptr<sctpgw::survival::FdStore> manager = sctpgw::survival::FdStore::FromEnvironment();
  const bool fd_store = settings.fd_store || !settings.fd_holder.empty();
  if (!settings.fd_holder.empty()) {
    auto holder = sctpgw::survival::FdStore::ConnectHolder(settings.fd_holder, kHolderWait);
    if (holder.ok()) {
      manager = std::move(*holder);
    } else {
      manager = nullptr;
      spdlog::error("server.fd_holder: associations will not survive a crash: {}",
                    holder.status().ToString());
    }
  }
  std::optional<sctpgw::survival::Recovered> recovered;
  if (fd_store && manager == nullptr) {
    if (settings.fd_holder.empty()) {
      spdlog::warn("server.fd_store: no service manager ($NOTIFY_SOCKET unset): associations "
                   "will not survive a crash");
    }
  } else if (fd_store && take_over.empty()) {
    auto handed_back = manager->TakeHandedBack();
    if (!handed_back.ok()) {
      spdlog::critical("crash recovery: {}", handed_back.status().ToString());
      return 1;
    }
    auto recovery = sctpgw::survival::Recover(*manager, **stack, gateway, std::move(*handed_back));
    if (!recovery.ok()) {
      spdlog::critical("crash recovery: {}", std::string(recovery.status().message()));
      return 1;
    }
    recovered = std::move(*recovery);
    if (recovered->restored && recovered->complete) {
      process.start = sctpgw::rpc::ProcessInfo::Start::kRestarted;
      process.associations_recovered = recovered->associations;
      spdlog::warn("restarted from the fd holder: {} associations kept, nothing lost",
                   recovered->associations);
    } else if (recovered->restored) {
      process.start = sctpgw::rpc::ProcessInfo::Start::kRecovered;
      process.associations_recovered = recovered->associations;
      process.messages_lost = recovered->messages_lost;
      process.messages_unconfirmed = recovered->messages_unconfirmed;
      spdlog::warn("restarted after a crash: {} associations kept, {} received messages lost "
                   "and {} more perhaps",
                   recovered->associations, recovered->messages_lost,
                   recovered->messages_unconfirmed);
    }
  }
  // A new process taking over from a running one: its state and sockets
  // first, before anything listens.
  std::optional<sctpgw::handover::TakeOver> handover;
  std::map<std::string, sctpgw::net::UniqueFd> handed_listeners;
  if (!take_over.empty()) {
    auto taken = sctpgw::handover::TakeOver::Start(take_over, kVersion);
    if (!taken.ok()) {
      spdlog::critical("cannot take over from {}: {}", take_over, std::string(taken.status().message()));
      return 1;
    }
    handover.emplace(std::move(*taken));
    auto adopted = sctpgw::handover::AdoptHandedOver(**stack, gateway, std::move(handover->state()),
                                                     std::move(handover->fds()));
    if (!adopted.ok()) {
      spdlog::critical("cannot take over from {}: {}", take_over, std::string(adopted.status().message()));
      handover->Refuse(std::string(adopted.status().message()));
      return 1;
    }
    handed_listeners = std::move(*adopted);
  }
  std::unique_ptr<sctpgw::survival::SurvivalKeeper> keeper;  // Used on the stack's thread.
  sctpgw::process::AllocatorTuning allocator;                   // Used on the stack's thread.
  // Once a second: idle event streams send progress messages.
  std::function<void()> tick = [&] {
    service.Tick();
    if (keeper != nullptr) keeper->Tick();
    allocator.Tick();
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
  // HTTP/2 frames of up to 1 MiB (the default is 16 KiB): a batch of large
  // messages crosses in fewer frames.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_FRAME_SIZE, 1 << 20);
  // Room for a full Send batch of large messages.
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<size_t>(INT32_MAX, limits.max_message_bytes * 4 + (4 << 20))));
  builder.SetMaxSendMessageSize(static_cast<int>(
      std::min<size_t>(INT32_MAX, limits.max_bytes_per_receive + limits.max_message_bytes + (1 << 20))));
  auto tcp_credentials = TcpCredentials(settings);
  auto owner = IdOf(settings.unix_socket_owner, /*group=*/false);
  auto group = IdOf(settings.unix_socket_group, /*group=*/true);
  for (const absl::Status& status : {tcp_credentials.status(), owner.status(), group.status()}) {
    if (!status.ok()) {
      spdlog::critical("{}", std::string(status.message()));
      return 2;
    }
  }
  // Unix sockets are accepted by sctpgw itself (UnixListener): it checks
  // each client's credentials, then hands the connection to gRPC.
  sctpgw::rpc::UnixListenerOptions unix_options;
  unix_options.mode = sctpgw::config::SocketMode(settings);
  unix_options.owner = *owner;
  unix_options.group = *group;
  for (const auto& [names, is_group] : {std::pair{&settings.unix_allowed_users, false},
                                        std::pair{&settings.unix_allowed_groups, true}}) {
    for (const std::string& name : *names) {
      auto id = IdOf(name, is_group);
      if (!id.ok() || !id->has_value()) {
        spdlog::critical("{}", id.ok() ? "empty name in an allow list" : std::string(id.status().message()));
        return 2;
      }
      (is_group ? unix_options.allowed_gids : unix_options.allowed_uids).insert(**id);
    }
  }
  std::vector<std::unique_ptr<sctpgw::rpc::UnixListener>> unix_listeners;
  for (const std::string& address : settings.listen) {
    if (address.rfind(kUnixPrefix, 0) == 0) {
      auto handed = handed_listeners.find(address);
      auto listener =
          handed != handed_listeners.end()
              ? sctpgw::rpc::UnixListener::Adopt(address.substr(std::strlen(kUnixPrefix)),
                                                 std::move(handed->second), unix_options)
              : sctpgw::rpc::UnixListener::Open(address.substr(std::strlen(kUnixPrefix)),
                                                unix_options);
      if (!listener.ok()) {
        spdlog::critical("{}", std::string(listener.status().message()));
        return 1;
      }
      unix_listeners.push_back(std::move(*listener));
      continue;
    }
    builder.AddListeningPort(address, *tcp_credentials);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    spdlog::critical("cannot listen on the configured addresses");
    return 1;
  }
  if (handover.has_value()) {
    // Everything is adopted: the old process lets go, and this one serves.
    absl::Status ready = handover->Ready();
    if (!ready.ok()) {
      spdlog::critical("the handover from {} did not complete: {}", take_over,
                       std::string(ready.message()));
      // The old process serves on: its socket files stay.
      for (auto& listener : unix_listeners) listener->Detach();
      return 1;
    }
    sctpgw::handover::RunOnStack(**stack, [&] { gateway.Thaw(); });
    // Under a service manager this process is the service now (the unit
    // needs NotifyAccess=all for the manager to hear it).
    if (manager != nullptr) (void)manager->Notify(absl::StrCat("MAINPID=", getpid()));
    spdlog::warn("took over from {} (sctpgw {})", take_over, handover->holder_version());
    process.start = sctpgw::rpc::ProcessInfo::Start::kTookOver;
    process.took_over_from_version = handover->holder_version();
    handover.reset();
  }
  if (fd_store && manager != nullptr) {
    // From here on every socket is in the store as it is taken.
    absl::Status kept;
    sctpgw::handover::RunOnStack(**stack, [&] {
      auto started = sctpgw::survival::SurvivalKeeper::Start(
          *manager, **stack, gateway,
          recovered.has_value() ? std::move(recovered->kept) : sctpgw::survival::KeptState{});
      if (started.ok()) keeper = std::move(*started);
      kept = started.status();
      if (recovered.has_value() && recovered->restored) gateway.Thaw();
    });
    if (!kept.ok()) {
      spdlog::error("server.fd_store: associations will not survive a crash: {}", kept.ToString());
    }
    process.crash_survival = kept.ok();
  }
  service.SetProcessInfo(process);
  for (auto& listener : unix_listeners) listener->Start(server.get());
  // Association lifecycle in the log, read from the event log as it grows.
  uint64_t logged = gateway.events().last_sequence();  // Taken over: logged before.
  auto lifecycle = gateway.events().Subscribe([&] {
    std::vector<sctpgw::core::EventPtr> events;
    if (!gateway.events().Read(logged, 256, &events).ok()) logged = gateway.events().last_sequence();
    for (const auto& event : events) {
      logged = event->sequence;
      LogLifecycle(*event);
    }
  });
  server->GetHealthCheckService()->SetServingStatus(sctp.ok());
  // Metrics: each scrape takes a snapshot on the gateway's thread.
  std::unique_ptr<sctpgw::metrics::MetricsServer> metrics;
  if (!settings.metrics_listen.empty()) {
    bool sctp_ok = sctp.ok();
    auto render = [&, sctp_ok] {
      auto snapshot = std::make_shared<std::promise<sctpgw::core::GatewayStats>>();
      auto stats = snapshot->get_future();
      (*stack)->Post([&gateway, snapshot] {
        sctpgw::core::GatewayStats now = gateway.Stats();
        now.association_counters = gateway.ReadCounters();
        snapshot->set_value(std::move(now));
      });
      if (stats.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        return std::string("# sctpgw is busy; no snapshot in 5 s\n");
      }
      return sctpgw::metrics::RenderPrometheus(stats.get(), sctp_ok);
    };
    auto started = sctpgw::metrics::MetricsServer::Start(settings.metrics_listen, render);
    // After a handover the old process frees the port as it lets go.
    for (int attempt = 0; !started.ok() && !take_over.empty() && attempt < 50; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      started = sctpgw::metrics::MetricsServer::Start(settings.metrics_listen, render);
    }
    if (!started.ok() && !take_over.empty()) {
      // Every association is this process's now: it serves on without
      // metrics rather than exit and end them all.
      spdlog::error("no metrics after the handover: {}", std::string(started.status().message()));
    } else if (!started.ok()) {
      spdlog::critical("{}", std::string(started.status().message()));
      return 1;
    } else {
      metrics = std::move(*started);
      spdlog::info("metrics on http://{}/metrics", settings.metrics_listen);
    }
  }
  for (const std::string& address : settings.listen) {
    spdlog::info("sctpgw serving on {} (kernel SCTP {})", address, sctp.ok() ? "ok" : "missing");
  }

  // Planned handover: a new sctpgw may ask for everything on this socket.
  std::atomic<bool> handed_over{false};
  sctpgw::handover::ServiceHandoverHost host(**stack, gateway, service, unix_listeners, [&] {
    server->GetHealthCheckService()->SetServingStatus(false);
    metrics.reset();
    // The new process holds the sockets, and stores them itself.
    sctpgw::handover::RunOnStack(**stack, [&] {
      if (keeper != nullptr) keeper->Stop(/*clear=*/true);
    });
  });
  std::unique_ptr<sctpgw::handover::HandoverListener> handover_listener;
  if (std::string path = HandoverPath(settings); !path.empty()) {
    auto opened = sctpgw::handover::HandoverListener::Open(path, host, kVersion);
    if (!opened.ok() && !take_over.empty()) {
      // As above: after a handover, serving on beats ending everything.
      spdlog::error("no further handover possible: {}", std::string(opened.status().message()));
    } else if (!opened.ok()) {
      spdlog::critical("{}", std::string(opened.status().message()));
      return 1;
    } else {
      handover_listener = std::move(*opened);
      handover_listener->Start([&] {
        handed_over = true;
        kill(getpid(), SIGUSR2);  // Wakes the main thread's sigwait.
      });
    }
  }

  if (manager != nullptr) (void)manager->Notify("READY=1");

  int signal_number = 0;
  for (;;) {
    sigwait(&signals, &signal_number);
    if (signal_number == SIGUSR2) {
      if (handed_over) break;
      continue;
    }
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
  if (handed_over) {
    // The new process serves now. Calls still here end with HANDED_OVER
    // (the core's Release() failed the waiting ones); then this one goes.
    // Shutdown() sends GOAWAY on every connection at once, so that clients
    // make their next calls (their retries) on new connections, which the
    // new process accepts; calls in progress get 2 s to be answered.
    handover_listener->Stop();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server->Wait();
    (*stack)->Stop();  // Closes this process's references only.
    gateway.events().Unsubscribe(lifecycle);
    unix_listeners.clear();  // Detached: their files are the new process's.
    spdlog::warn("sctpgw handed over; exiting");
    return 0;
  }
  // Beside an fd holder (a container), a stop is a restart in place: the
  // next sctpgw finds everything in the holder, nothing lost.
  if (!settings.fd_holder.empty() && keeper != nullptr) {
    absl::Status left;
    sctpgw::handover::RunOnStack(**stack, [&] { left = keeper->FreezeForRestart(); });
    if (left.ok()) {
      if (handover_listener) handover_listener->Stop();
      server->GetHealthCheckService()->SetServingStatus(false);
      service.StopStreams(sctpgw::core::Error(sctpgw::core::Reason::kHandedOver,
                                              "sctpgw is restarting; reconnect to it"));
      // As after a handover: GOAWAY on every connection, calls in progress
      // get 2 s to be answered. Then every call has ended, and the messages
      // of responses never written are back in their queues for the record.
      server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
      server->Wait();
      sctpgw::handover::RunOnStack(**stack, [&] { left = keeper->FinishRestart(); });
    }
    if (left.ok()) {
      metrics.reset();
      (*stack)->Stop();  // The holder keeps every socket.
      gateway.events().Unsubscribe(lifecycle);
      unix_listeners.clear();
      spdlog::warn("received {}: everything left with the fd holder for the next sctpgw; exiting",
                   strsignal(signal_number));
      return 0;
    }
    // The usual stop follows (with no calls left to drain if the server has
    // stopped already).
    spdlog::error("received {}: cannot leave the associations with the fd holder ({}); "
                  "ending them", strsignal(signal_number), left.ToString());
  }
  if (handover_listener) handover_listener->Stop();
  spdlog::info("received {}, draining for up to {} s", strsignal(signal_number),
               settings.drain_seconds);
  server->GetHealthCheckService()->SetServingStatus(false);
  for (auto& listener : unix_listeners) listener->Stop();  // No new unix clients.
  // Calls still waiting end with UNAVAILABLE (SHUTTING_DOWN); associations
  // are shut down gracefully by the kernel as their sockets close.
  if (manager != nullptr) (void)manager->Notify("STOPPING=1");
  std::promise<void> closed;
  (*stack)->Post([&] {
    gateway.Close();
    // A clean stop: nothing is left in the store to restore.
    if (keeper != nullptr) keeper->Stop(/*clear=*/true);
    closed.set_value();
  });
  closed.get_future().wait();
  service.StopStreams(sctpgw::core::Error(sctpgw::core::Reason::kShuttingDown, "sctpgw is stopping"));
  // Calls already running get up to --drain-seconds to finish; connections
  // left idle do not hold the exit.
  auto drain_deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(settings.drain_seconds);
  if (!service.WaitForCalls(drain_deadline)) {
    spdlog::warn("calls still running after {} s are cancelled", settings.drain_seconds);
  }
  server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  metrics.reset();  // Before the loop stops: a scrape may be waiting on it.
  (*stack)->Stop();
  gateway.events().Unsubscribe(lifecycle);
  unix_listeners.clear();  // Stopped: their sockets are removed.
  spdlog::info("sctpgw stopped");
  return 0;
}
