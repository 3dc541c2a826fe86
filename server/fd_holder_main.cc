// sctpgw-fd-holder: keeps sctpgw's SCTP sockets, state record and ledger
// where there is no service manager to keep them (a container beside
// sctpgw's in a Kubernetes pod), so that associations outlive a crash or
// restart of sctpgw's container. See server/survival/fd_holder.h for the
// protocol and docs/container.md for the deployment.
#include <signal.h>
#include <sys/signalfd.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "server/net/unique_fd.h"
#include "server/survival/fd_holder.h"

int main(int argc, char** argv) {
  sctpgw::survival::FdHolder::Options options;
  options.socket_path = "/run/sctpgw/fd-holder.sock";
  std::string log_level = "info";
  CLI::App app{"sctpgw-fd-holder: keeps sctpgw's SCTP sockets across restarts of sctpgw where no "
               "service manager does (sctpgw --fd-holder PATH)"};
  app.add_option("--socket", options.socket_path, "unix socket sctpgw connects to")
      ->capture_default_str();
  app.add_option("--max-fds", options.max_fds,
                 "the most descriptors kept (also bounded by RLIMIT_NOFILE)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{4}, size_t{1} << 20));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("sctpgw-fd-holder");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  sctpgw::net::UniqueFd stop(signalfd(-1, &signals, SFD_CLOEXEC));
  if (!stop.valid()) {
    spdlog::critical("signalfd: {}", std::strerror(errno));
    return 1;
  }
  auto holder = sctpgw::survival::FdHolder::Listen(options);
  if (!holder.ok()) {
    spdlog::critical("{}", holder.status().ToString());
    return 1;
  }
  spdlog::info("holding descriptors for sctpgw at {} (at most {})", options.socket_path,
               (*holder)->max_fds());
  absl::Status served = (*holder)->Serve(stop.get());
  if (!served.ok()) {
    spdlog::critical("{}", served.ToString());
    return 1;
  }
  spdlog::info("stopping: closing {} descriptors (associations no one else holds shut down)",
               (*holder)->held());
  return 0;
}
