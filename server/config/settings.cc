#include "server/config/settings.h"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sctpgw::config {
namespace {

using IntField = int64_t Settings::*;
using StringField = std::string Settings::*;
using ListField = std::vector<std::string> Settings::*;
using BoolField = bool Settings::*;

struct Row {
  const char* section;
  const char* key;
  const char* help;
  std::variant<IntField, StringField, ListField, BoolField> field;
  int64_t min = 0;
  int64_t max = 0;
};

constexpr int64_t kDay = 86400000;

// Every setting, once.
const std::vector<Row>& Table() {
  static const std::vector<Row> rows = {
      {"server", "listen",
       "gRPC listen addresses: unix:/path or host:port (TCP), repeatable",
       &Settings::listen},
      {"server", "unix_socket_mode", "permissions of unix listen sockets, octal",
       &Settings::unix_socket_mode},
      {"server", "unix_socket_owner",
       "owner of unix listen sockets: user name or uid (empty: the service's user)",
       &Settings::unix_socket_owner},
      {"server", "unix_socket_group",
       "group of unix listen sockets: group name or gid (empty: the service's group)",
       &Settings::unix_socket_group},
      {"server", "unix_allowed_users",
       "unix clients allowed by uid (SO_PEERCRED), names or numbers; with unix_allowed_groups "
       "both empty, anyone who can open the socket",
       &Settings::unix_allowed_users},
      {"server", "unix_allowed_groups",
       "unix clients allowed by primary gid (SO_PEERCRED), names or numbers",
       &Settings::unix_allowed_groups},
      {"server", "allow_insecure_tcp",
       "allow plaintext gRPC on TCP addresses other than loopback (without [tls])",
       &Settings::allow_insecure_tcp},
      {"server", "log_level", "trace, debug, info, warn, error, critical or off",
       &Settings::log_level},
      {"server", "log_format", "text, or json (one JSON object per line)",
       &Settings::log_format},
      {"server", "metrics_listen",
       "host:port serving Prometheus metrics at /metrics over HTTP (empty: off)",
       &Settings::metrics_listen},
      {"server", "handover_socket",
       "unix socket where a new sctpgw started with --take-over asks this one to hand over "
       "(empty: the first unix listen socket's path + \".handover\"; off: no handover)",
       &Settings::handover_socket},
      {"server", "fd_store",
       "keep SCTP sockets and a state record in systemd's file descriptor store, so that "
       "associations survive a crash of sctpgw (needs FileDescriptorStoreMax=, NotifyAccess=)",
       &Settings::fd_store},
      {"server", "fd_holder",
       "unix socket path of an sctpgw-fd-holder to keep sockets and state in instead of "
       "systemd's store (implies fd_store; for containers; empty: systemd's)",
       &Settings::fd_holder},
      {"sctp", "udp_port",
       "SCTP over UDP (RFC 6951): set the kernel's local UDP port for it "
       "(net.sctp.udp_port, for sctpgw's whole network namespace; 9899 is the registered one) "
       "at start; needs CAP_NET_ADMIN; 0: leave the kernel's setting",
       &Settings::sctp_udp_port, 0, 65535},
      {"sctp", "interleaving",
       "message interleaving (RFC 8260, I-DATA): set the kernel's net.sctp.intl_enable at start "
       "(for sctpgw's whole network namespace), so that endpoints may be opened with "
       "interleaving; needs CAP_NET_ADMIN; false: leave the kernel's setting",
       &Settings::sctp_interleaving},
      {"tls", "cert_file", "PEM certificate chain for gRPC over TCP (enables TLS)",
       &Settings::tls_cert_file},
      {"tls", "key_file", "PEM private key of cert_file", &Settings::tls_key_file},
      {"tls", "client_ca_file",
       "PEM CA bundle: require client certificates signed by it (mutual TLS)",
       &Settings::tls_client_ca_file},
      {"server", "drain_seconds",
       "on SIGTERM/SIGINT, how long running calls may take to finish", &Settings::drain_seconds,
       0, 3600},
      {"keepalive", "time_ms", "gRPC keepalive: ping an idle client connection this often, ms",
       &Settings::keepalive_time_ms, 100, kDay},
      {"keepalive", "timeout_ms",
       "gRPC keepalive: drop a connection whose ping is not answered in this time, ms",
       &Settings::keepalive_timeout_ms, 100, 3600000},
      {"keepalive", "min_client_ping_interval_ms",
       "the shortest keepalive ping interval clients may use, ms",
       &Settings::min_client_ping_interval_ms, 100, 3600000},
      {"sessions", "default_lease_ms",
       "a session's lease when the client asks for none: how long it outlives its last call "
       "once no event stream of it is open, ms",
       &Settings::default_lease_ms, 100, kDay},
      {"sessions", "max_lease_ms", "the longest lease a client may ask for, ms",
       &Settings::max_lease_ms, 100, kDay},
      {"sessions", "shutdown_timeout_ms",
       "when a session ends, how long its associations get to complete SHUTDOWN before they "
       "are aborted, ms",
       &Settings::session_shutdown_timeout_ms, 0, 600000},
      {"sessions", "max_sessions", "sessions open at once", &Settings::max_sessions, 1, 1 << 20},
      {"sessions", "max_endpoints_per_session", "endpoints one session may hold",
       &Settings::max_endpoints_per_session, 1, 1 << 20},
      {"sessions", "max_associations_per_session", "associations one session may hold",
       &Settings::max_associations_per_session, 1, 1 << 24},
      {"limits", "max_message_bytes",
       "largest SCTP message sent or received (reassembled), bytes; at most 4 MiB - 64 KiB, so "
       "that a message (also one returned in a send-failed event) fits in one gRPC message of "
       "the default 4 MiB limit",
       &Settings::max_message_bytes, 1, (4 << 20) - (64 << 10)},
      {"limits", "association_queue_bytes",
       "received bytes queued per association before sctpgw stops reading it",
       &Settings::association_queue_bytes, 4096, int64_t{1} << 30},
      {"limits", "socket_buffer_bytes",
       "SO_SNDBUF and SO_RCVBUF of every SCTP socket (at least twice the largest message)",
       &Settings::socket_buffer_bytes, 4096, int64_t{1} << 30},
      {"limits", "event_history", "events kept for subscribers that resume",
       &Settings::event_history, 16, 1 << 24},
      {"limits", "max_captures",
       "captures (the Capture RPC, `sctpctl capture`) open at once, all sessions",
       &Settings::max_captures, 1, 1024},
      {"limits", "max_endpoints", "endpoints open at once, all sessions",
       &Settings::max_endpoints, 1, 1 << 20},
      {"limits", "max_associations", "associations held at once, all sessions",
       &Settings::max_associations, 1, 1 << 24},
  };
  return rows;
}

std::string FlagName(const Row& row) {
  std::string name = row.key;
  // [keepalive] time_ms -> --keepalive-time-ms; [sessions] default_lease_ms
  // -> --default-lease-ms.
  if (std::string(row.section) == "keepalive" && name != "min_client_ping_interval_ms") {
    name = "keepalive_" + name;
  }
  if (std::string(row.section) == "tls") name = "tls_" + name;
  if (std::string(row.section) == "sessions" && name == "shutdown_timeout_ms") {
    name = "session_shutdown_timeout_ms";
  }
  std::replace(name.begin(), name.end(), '_', '-');
  return "--" + name;
}

absl::Status At(const std::string& name, const toml::source_region& where,
                const std::string& message) {
  return absl::InvalidArgumentError(
      absl::StrCat(name, ":", where.begin.line, ": ", message));
}

absl::Status Apply(const Row& row, const toml::node& node, const std::string& name,
                   Settings* settings) {
  std::string key = absl::StrCat(row.section, ".", row.key);
  if (auto* field = std::get_if<IntField>(&row.field)) {
    std::optional<int64_t> value = node.value_exact<int64_t>();
    if (!node.is_integer() || !value) {
      return At(name, node.source(), absl::StrCat(key, " must be an integer"));
    }
    if (*value < row.min || *value > row.max) {
      return At(name, node.source(),
                absl::StrCat(key, " = ", *value, " is outside ", row.min, "..", row.max));
    }
    settings->*(*field) = *value;
  } else if (auto* flag = std::get_if<BoolField>(&row.field)) {
    if (!node.is_boolean()) return At(name, node.source(), absl::StrCat(key, " must be true or false"));
    settings->*(*flag) = *node.value<bool>();
  } else if (auto* text = std::get_if<StringField>(&row.field)) {
    if (!node.is_string()) return At(name, node.source(), absl::StrCat(key, " must be a string"));
    settings->*(*text) = *node.value<std::string>();
  } else if (auto* list = std::get_if<ListField>(&row.field)) {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      return At(name, node.source(), absl::StrCat(key, " must be an array of strings"));
    }
    std::vector<std::string> values;
    for (const toml::node& item : *array) {
      if (!item.is_string()) {
        return At(name, item.source(), absl::StrCat(key, " must be an array of strings"));
      }
      values.push_back(*item.value<std::string>());
    }
    settings->*(*list) = std::move(values);
  }
  return absl::OkStatus();
}

absl::Status Load(const toml::table& root, const std::string& name, Settings* settings) {
  for (const auto& [section_key, section_node] : root) {
    std::string section(section_key.str());
    const toml::table* section_table = section_node.as_table();
    bool known_section = std::any_of(Table().begin(), Table().end(),
                                     [&](const Row& row) { return section == row.section; });
    if (!known_section) {
      return At(name, section_node.source(), absl::StrCat("unknown section [", section, "]"));
    }
    if (section_table == nullptr) {
      return At(name, section_node.source(), absl::StrCat(section, " must be a table"));
    }
    for (const auto& [key, node] : *section_table) {
      const Row* row = nullptr;
      for (const Row& candidate : Table()) {
        if (section == candidate.section && key.str() == candidate.key) row = &candidate;
      }
      if (row == nullptr) {
        return At(name, node.source(),
                  absl::StrCat("unknown key ", section, ".", std::string(key.str())));
      }
      absl::Status status = Apply(*row, node, name, settings);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

// Debian builds toml++ with exceptions: parse errors arrive as one.
absl::Status LoadString(const std::string& text, const std::string& name, Settings* settings) {
  try {
    toml::table root = toml::parse(text, name);
    return Load(root, name, settings);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(name, ":", error.source().begin.line, ": ",
                                                   std::string(error.description())));
  }
}

absl::Status LoadFile(const std::string& path, Settings* settings) {
  try {
    toml::table root = toml::parse_file(path);
    return Load(root, path, settings);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", error.source().begin.line, ": ",
                                                   std::string(error.description())));
  }
}

void AddFlags(CLI::App& app, Settings* settings) {
  for (const Row& row : Table()) {
    std::string flag = FlagName(row);
    std::string help = absl::StrCat(row.help, " [", row.section, "] ", row.key);
    if (auto* field = std::get_if<IntField>(&row.field)) {
      app.add_option(flag, settings->*(*field), help)
          ->capture_default_str()
          ->check(CLI::Range(row.min, row.max));
    } else if (auto* text = std::get_if<StringField>(&row.field)) {
      app.add_option(flag, settings->*(*text), help)
          ->capture_default_str()
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    } else if (auto* list = std::get_if<ListField>(&row.field)) {
      app.add_option(flag, settings->*(*list), help)->capture_default_str();
    } else if (auto* on = std::get_if<BoolField>(&row.field)) {
      app.add_flag(flag, settings->*(*on), help);
    }
  }
}

absl::Status Validate(const Settings& settings) {
  static const std::set<std::string> kLevels = {"trace", "debug", "info",    "warn",
                                                "error", "critical", "off"};
  if (kLevels.count(settings.log_level) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server.log_level \"", settings.log_level, "\" is not one of ", absl::StrJoin(kLevels, ", ")));
  }
  unsigned mode = 0;
  if (settings.unix_socket_mode.empty() ||
      !absl::numbers_internal::safe_strtou32_base(settings.unix_socket_mode, &mode, 8) ||
      mode > 0777) {
    return absl::InvalidArgumentError(absl::StrCat("server.unix_socket_mode \"",
                                                   settings.unix_socket_mode,
                                                   "\" is not an octal mode such as 0660"));
  }
  if (settings.listen.empty()) {
    return absl::InvalidArgumentError("server.listen needs at least one address");
  }
  if (settings.log_format != "text" && settings.log_format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("server.log_format \"", settings.log_format, "\" is not text or json"));
  }
  if (settings.tls_cert_file.empty() != settings.tls_key_file.empty()) {
    return absl::InvalidArgumentError("tls.cert_file and tls.key_file go together");
  }
  if (!settings.tls_client_ca_file.empty() && settings.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("tls.client_ca_file needs tls.cert_file and tls.key_file");
  }
  for (const std::string& address : settings.listen) {
    if (address.rfind("unix:", 0) == 0) continue;
    if (settings.tls_cert_file.empty() && !settings.allow_insecure_tcp && !IsLoopback(address)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "server.listen \"", address,
          "\": plaintext gRPC is allowed only on loopback; configure [tls] cert_file and "
          "key_file, or set server.allow_insecure_tcp"));
    }
  }
  if (settings.max_lease_ms < settings.default_lease_ms) {
    return absl::InvalidArgumentError(absl::StrCat("sessions.max_lease_ms (", settings.max_lease_ms,
                                                   ") is below sessions.default_lease_ms (",
                                                   settings.default_lease_ms, ")"));
  }
  return absl::OkStatus();
}

bool IsLoopback(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8.
  unsigned a = 0, b = 0, c = 0, d = 0;
  char end = 0;
  return std::sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) == 4 && a == 127 &&
         b < 256 && c < 256 && d < 256;
}

unsigned SocketMode(const Settings& settings) {
  unsigned mode = 0660;
  absl::numbers_internal::safe_strtou32_base(settings.unix_socket_mode, &mode, 8);
  return mode;
}

core::Limits ToLimits(const Settings& settings) {
  core::Limits limits;
  limits.max_message_bytes = static_cast<size_t>(settings.max_message_bytes);
  limits.association_queue_bytes = static_cast<size_t>(settings.association_queue_bytes);
  // A message must fit the socket's send buffer (the kernel refuses larger
  // ones), with room for the kernel's bookkeeping.
  int64_t buffer = std::max(settings.socket_buffer_bytes, settings.max_message_bytes * 2);
  limits.socket_send_buffer_bytes = static_cast<int>(std::min<int64_t>(buffer, INT32_MAX));
  limits.socket_receive_buffer_bytes = limits.socket_send_buffer_bytes;
  limits.event_history = static_cast<size_t>(settings.event_history);
  limits.max_endpoints = static_cast<size_t>(settings.max_endpoints);
  limits.max_associations = static_cast<size_t>(settings.max_associations);
  limits.max_sessions = static_cast<size_t>(settings.max_sessions);
  limits.max_captures = static_cast<size_t>(settings.max_captures);
  limits.max_endpoints_per_session = static_cast<size_t>(settings.max_endpoints_per_session);
  limits.max_associations_per_session = static_cast<size_t>(settings.max_associations_per_session);
  limits.default_lease = std::chrono::milliseconds(settings.default_lease_ms);
  limits.max_lease = std::chrono::milliseconds(settings.max_lease_ms);
  limits.min_lease = std::min(limits.min_lease, limits.default_lease);
  limits.session_shutdown_timeout = std::chrono::milliseconds(settings.session_shutdown_timeout_ms);
  return limits;
}

}  // namespace sctpgw::config
