// sctpgw's settings: built-in defaults that serve out of the box, a TOML
// file (--config) that changes them, and command-line flags that override
// both. One table (settings.cc) names every setting once, for the file, the
// flags and --help alike. A file with an unknown key, a wrong type or an
// impossible value stops start-up with a message naming the key and line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/core/gateway.h"

namespace CLI {
class App;
}

namespace sctpgw::config {

// The limits' defaults come from core::Limits, so they are stated once.
struct Settings {
  // [server]
  std::vector<std::string> listen = {"unix:/run/sctpgw/sctpgw.sock"};
  std::string unix_socket_mode = "0660";
  std::string unix_socket_owner;  // User name or uid; empty = the service's.
  std::string unix_socket_group;  // Group name or gid; empty = the service's.
  // Unix clients allowed by their credentials (SO_PEERCRED): users and
  // groups by name or number. Both empty: anyone who can open the socket.
  std::vector<std::string> unix_allowed_users;
  std::vector<std::string> unix_allowed_groups;
  bool allow_insecure_tcp = false;
  std::string log_level = "info";
  std::string log_format = "text";
  int64_t drain_seconds = 5;
  std::string metrics_listen;  // host:port of the Prometheus endpoint; empty = off.
  // Where a new sctpgw asks this one to hand over (docs/handover.md); empty
  // = beside the first unix listen socket (its path + ".handover"), "off" =
  // no handover.
  std::string handover_socket;
  // Keep every SCTP socket and a state record in the service manager's file
  // descriptor store, so that associations outlive a crash (docs/handover.md).
  bool fd_store = false;
  // The same, in the store of an sctpgw-fd-holder listening at this unix
  // socket path instead of systemd's (containers, docs/container.md).
  // Empty: systemd's.
  std::string fd_holder;
  // [sctp]
  // SCTP over UDP (RFC 6951): the local UDP port the kernel listens on and
  // sends from (net.sctp.udp_port, per network namespace), set at start;
  // 0 = leave the kernel's setting as it is.
  int64_t sctp_udp_port = 0;
  // Message interleaving (RFC 8260): set net.sctp.intl_enable at start, so
  // that endpoints may be opened with interleaving.
  bool sctp_interleaving = false;
  // [tls]
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // [keepalive]
  int64_t keepalive_time_ms = 10000;
  int64_t keepalive_timeout_ms = 5000;
  int64_t min_client_ping_interval_ms = 5000;
  // [sessions]
  int64_t default_lease_ms = core::Limits{}.default_lease.count();
  int64_t max_lease_ms = core::Limits{}.max_lease.count();
  int64_t session_shutdown_timeout_ms = core::Limits{}.session_shutdown_timeout.count();
  int64_t max_sessions = static_cast<int64_t>(core::Limits{}.max_sessions);
  int64_t max_captures = static_cast<int64_t>(core::Limits{}.max_captures);
  int64_t max_endpoints_per_session =
      static_cast<int64_t>(core::Limits{}.max_endpoints_per_session);
  int64_t max_associations_per_session =
      static_cast<int64_t>(core::Limits{}.max_associations_per_session);
  // [limits]
  int64_t max_message_bytes = static_cast<int64_t>(core::Limits{}.max_message_bytes);
  int64_t association_queue_bytes =
      static_cast<int64_t>(core::Limits{}.association_queue_bytes);
  int64_t socket_buffer_bytes = core::Limits{}.socket_send_buffer_bytes;
  int64_t event_history = static_cast<int64_t>(core::Limits{}.event_history);
  int64_t max_endpoints = static_cast<int64_t>(core::Limits{}.max_endpoints);
  int64_t max_associations = static_cast<int64_t>(core::Limits{}.max_associations);
};

// Reads a TOML file over `settings`: only the keys present change.
absl::Status LoadFile(const std::string& path, Settings* settings);
// The same from a string; `name` stands for the file in messages.
absl::Status LoadString(const std::string& text, const std::string& name, Settings* settings);

// Declares a flag for every setting on `app`, bound to `settings`.
void AddFlags(CLI::App& app, Settings* settings);

// Checks what no single setting can: modes, levels, relations.
absl::Status Validate(const Settings& settings);

// The unix socket mode as a number (0660).
unsigned SocketMode(const Settings& settings);

// Whether a TCP listen address ("127.0.0.1:50051", "[::1]:1", "localhost:1")
// is on the loopback interface only.
bool IsLoopback(const std::string& address);

core::Limits ToLimits(const Settings& settings);

}  // namespace sctpgw::config
