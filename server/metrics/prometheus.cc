#include "server/metrics/prometheus.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"

namespace sctpgw::metrics {
namespace {

void Header(std::string* out, const char* name, const char* type, const char* help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void Sample(std::string* out, const char* name, uint64_t value, const std::string& labels = "") {
  absl::StrAppend(out, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                  value, "\n");
}

void Metric(std::string* out, const char* name, const char* type, const char* help,
            uint64_t value) {
  Header(out, name, type, help);
  Sample(out, name, value);
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

const char* StateLabel(core::AssociationState state) {
  switch (state) {
    case core::AssociationState::kConnecting: return "connecting";
    case core::AssociationState::kEstablished: return "established";
    case core::AssociationState::kShuttingDown: return "shutting_down";
    case core::AssociationState::kClosed: return "closed";
  }
  return "unknown";
}

}  // namespace

std::string RenderPrometheus(const core::GatewayStats& stats, bool kernel_sctp_available) {
  std::string out;
  Metric(&out, "sctpgw_kernel_sctp_available", "gauge",
         "1 when kernel SCTP is usable (the health service then says SERVING)",
         kernel_sctp_available ? 1 : 0);
  Metric(&out, "sctpgw_sessions", "gauge", "Sessions open", stats.sessions);
  Metric(&out, "sctpgw_sessions_opened_total", "counter", "Sessions opened since start",
         stats.sessions_opened);
  Metric(&out, "sctpgw_endpoints", "gauge", "Endpoints open", stats.endpoints);
  Header(&out, "sctpgw_associations", "gauge", "Associations held, by state");
  for (core::AssociationState state :
       {core::AssociationState::kConnecting, core::AssociationState::kEstablished,
        core::AssociationState::kShuttingDown, core::AssociationState::kClosed}) {
    auto it = stats.associations.find(state);
    Sample(&out, "sctpgw_associations", it == stats.associations.end() ? 0 : it->second,
           absl::StrCat("state=\"", StateLabel(state), "\""));
  }
  Metric(&out, "sctpgw_received_messages_total", "counter", "SCTP messages received",
         stats.messages_received);
  Metric(&out, "sctpgw_received_bytes_total", "counter", "Payload bytes received",
         stats.bytes_received);
  Metric(&out, "sctpgw_sent_messages_total", "counter", "SCTP messages accepted by the kernel",
         stats.messages_sent);
  Metric(&out, "sctpgw_sent_bytes_total", "counter", "Payload bytes accepted by the kernel",
         stats.bytes_sent);
  Metric(&out, "sctpgw_send_errors_total", "counter",
         "Messages the kernel refused to send (a full buffer is not an error)",
         stats.send_errors);
  Metric(&out, "sctpgw_queued_messages", "gauge",
         "Received messages waiting for the application's Receive", stats.queued_messages);
  Metric(&out, "sctpgw_queued_bytes", "gauge", "Payload bytes of the queued messages",
         stats.queued_bytes);
  Metric(&out, "sctpgw_waiting_calls", "gauge",
         "Associate, Send, Receive and Shutdown calls waiting", stats.waiting_operations);
  Header(&out, "sctpgw_events_total", "counter",
         "SCTP notifications, by type and (association and peer address changes) state");
  for (const auto& [key, count] : stats.events) {
    Sample(&out, "sctpgw_events_total", count,
           absl::StrCat("type=\"", key.first, "\",state=\"", Lower(key.second), "\""));
  }
  Header(&out, "sctpgw_path_state_changes_total", "counter",
         "Peer address (path) changes, by new state");
  for (const auto& [key, count] : stats.events) {
    if (key.first != "peer_addr_change") continue;
    Sample(&out, "sctpgw_path_state_changes_total", count,
           absl::StrCat("state=\"", Lower(key.second), "\""));
  }
  return out;
}

}  // namespace sctpgw::metrics
