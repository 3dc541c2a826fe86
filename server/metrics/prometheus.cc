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

// Every live association's kernel counters (SCTP_GET_ASSOC_STATS and
// PR-SCTP), one series per association.
void AssociationCounters(std::string* out, const core::GatewayStats& stats) {
  const auto& all = stats.association_counters;
  auto labels = [](const core::AssociationCountersSnapshot& a, const std::string& more = "") {
    return absl::StrCat("association=\"", a.association_id, "\",endpoint=\"", a.endpoint_id, "\"",
                        more.empty() ? "" : ",", more);
  };
  struct Counter {
    const char* name;
    const char* help;
    uint64_t net::AssociationStatistics::*field;
  };
  static constexpr Counter kCounters[] = {
      {"sctpgw_association_retransmitted_chunks_total", "DATA chunks retransmitted",
       &net::AssociationStatistics::retransmitted_chunks},
      {"sctpgw_association_gap_reports_total", "SACKs received reporting gaps",
       &net::AssociationStatistics::gap_reports},
      {"sctpgw_association_out_of_sequence_tsns_total", "TSNs received out of sequence",
       &net::AssociationStatistics::out_of_sequence_tsns},
      {"sctpgw_association_duplicate_chunks_total", "Duplicate DATA chunks received",
       &net::AssociationStatistics::duplicate_chunks_received},
      {"sctpgw_association_packets_sent_total", "SCTP packets sent",
       &net::AssociationStatistics::packets_sent},
      {"sctpgw_association_packets_received_total", "SCTP packets received",
       &net::AssociationStatistics::packets_received},
  };
  for (const Counter& counter : kCounters) {
    Header(out, counter.name, "counter", counter.help);
    for (const auto& a : all) Sample(out, counter.name, a.statistics.*counter.field, labels(a));
  }
  Header(out, "sctpgw_association_max_rto_milliseconds", "gauge",
         "The largest retransmission timeout the association has used");
  for (const auto& a : all) {
    Sample(out, "sctpgw_association_max_rto_milliseconds", a.statistics.max_rto_ms, labels(a));
  }
  Header(out, "sctpgw_association_abandoned_messages_total", "counter",
         "Messages abandoned under PR-SCTP, by policy and whether they had been sent");
  for (const auto& a : all) {
    for (auto [policy, counts] : {std::pair{"timed", a.abandoned.timed},
                                  std::pair{"retransmissions", a.abandoned.retransmissions},
                                  std::pair{"priority", a.abandoned.priority}}) {
      Sample(out, "sctpgw_association_abandoned_messages_total", counts.unsent,
             labels(a, absl::StrCat("policy=\"", policy, "\",when=\"unsent\"")));
      Sample(out, "sctpgw_association_abandoned_messages_total", counts.sent,
             labels(a, absl::StrCat("policy=\"", policy, "\",when=\"sent\"")));
    }
  }
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
  AssociationCounters(&out, stats);
  return out;
}

}  // namespace sctpgw::metrics
