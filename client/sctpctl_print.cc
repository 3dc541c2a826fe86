// sctpctl's output: objects for people (one line each where it can) or as
// JSON, one object per line.
#include "sctpctl_print.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sctpgw/format.h"

namespace sctpgw::client::sctpctl {

std::string Json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string Addresses(const google::protobuf::RepeatedPtrField<v1::TransportAddress>& list) {
  std::vector<std::string> out;
  for (const auto& address : list) out.push_back(address.ip());
  return absl::StrJoin(out, ",");
}

const char* SchedulerName(v1::StreamScheduler scheduler) {
  switch (scheduler) {
    case v1::STREAM_SCHEDULER_FIRST_COME: return "fcfs";
    case v1::STREAM_SCHEDULER_PRIORITY: return "priority";
    case v1::STREAM_SCHEDULER_ROUND_ROBIN: return "rr";
    case v1::STREAM_SCHEDULER_FAIR_CAPACITY: return "fc";
    case v1::STREAM_SCHEDULER_WEIGHTED_FAIR: return "wfq";
    default: return "default";
  }
}

void PrintEndpoint(bool json, const v1::Endpoint& endpoint) {
  if (json) {
    std::cout << Json(endpoint) << "\n";
    return;
  }
  // The socket settings as the kernel has them, then what it was opened
  // with beyond the defaults, as sctpctl's options say it.
  std::string options;
  if (endpoint.has_socket_settings()) {
    std::string settings = DescribeSocketSettings(endpoint.socket_settings());
    if (!settings.empty()) absl::StrAppend(&options, " ", settings);
  }
  if (endpoint.oversized_messages() == v1::OVERSIZED_MESSAGES_ABORT) {
    absl::StrAppend(&options, " oversized abort");
  }
  if (endpoint.udp_encapsulation_port() != 0) {
    absl::StrAppend(&options, " udp-port ", endpoint.udp_encapsulation_port());
  }
  if (endpoint.reset_streams()) absl::StrAppend(&options, " reset-streams");
  if (endpoint.reset_association()) absl::StrAppend(&options, " reset-association");
  if (endpoint.add_streams()) absl::StrAppend(&options, " add-streams");
  if (endpoint.interleaving()) absl::StrAppend(&options, " interleaving");
  if (endpoint.stream_scheduler() != v1::STREAM_SCHEDULER_UNSPECIFIED) {
    absl::StrAppend(&options, " scheduler ", SchedulerName(endpoint.stream_scheduler()));
  }
  if (endpoint.auth()) {
    absl::StrAppend(&options, " auth chunks ", absl::StrJoin(endpoint.auth_chunk_types(), ","),
                    " keys ", absl::StrJoin(endpoint.auth_key_ids(), ","));
  }
  std::cout << absl::StrFormat("endpoint %d port %d %s addresses %s associations %d%s\n",
                               endpoint.endpoint_id(), endpoint.port(),
                               endpoint.listening() ? "listening" : "not-listening",
                               Addresses(endpoint.local_addresses()), endpoint.association_count(),
                               options);
}

void PrintAssociation(bool json, const v1::Association& a) {
  if (json) {
    std::cout << Json(a) << "\n";
    return;
  }
  std::cout << absl::StrFormat(
      "association %d endpoint %d %s %s peer %s port %d streams in %d out %d\n",
      a.association_id(), a.endpoint_id(), AssociationStateName(a.state()),
      a.incoming() ? "incoming" : "outgoing", Addresses(a.peer_addresses()),
      a.peer_addresses_size() > 0 ? a.peer_addresses(0).port() : 0, a.inbound_streams(),
      a.outbound_streams());
}

void PrintMessage(bool json, const v1::InboundMessage& m, bool with_source) {
  if (json) {
    std::cout << Json(m) << "\n";
    return;
  }
  std::cout << DescribeMessage(m, with_source) << ": " << m.payload() << "\n";
}

void PrintServiceStatus(bool json, const v1::GetServiceStatusResponse& s) {
  if (json) {
    std::cout << Json(s) << "\n";
    return;
  }
  auto state = v1::ServiceState_Name(s.state());
  auto start = v1::ServiceStart_Name(s.start());
  std::cout << absl::StrFormat("sctpgw %s %s (kernel SCTP %s) since %s\n", s.version(),
                               state.substr(std::string("SERVICE_STATE_").size()),
                               s.kernel_sctp() ? "ok" : "missing",
                               google::protobuf::util::TimeUtil::ToString(s.started()));
  std::string how = start.substr(std::string("SERVICE_START_").size());
  if (s.start() == v1::SERVICE_START_TOOK_OVER) {
    how += " from sctpgw " + s.took_over_from_version();
  } else if (s.start() == v1::SERVICE_START_RESTARTED) {
    how += absl::StrFormat(" from the fd holder: %d associations kept, nothing lost",
                           s.associations_recovered());
  } else if (s.start() == v1::SERVICE_START_RECOVERED) {
    how += absl::StrFormat(" after a crash: %d associations kept, %d messages lost, %d perhaps",
                           s.associations_recovered(), s.messages_lost(),
                           s.messages_unconfirmed());
  }
  std::cout << "started: " << how << "\n";
  std::cout << "crash survival: " << (s.crash_survival() ? "on (file descriptor store)" : "off")
            << "\n";
  std::cout << absl::StrFormat("holds: %d sessions, %d endpoints, %d associations\n",
                               s.sessions(), s.endpoints(), s.associations());
}

void PrintStatus(bool json, const v1::GetAssociationResponse& r) {
  if (json) {
    std::cout << Json(r) << "\n";
    return;
  }
  const v1::Association& a = r.association();
  PrintAssociation(json, a);
  std::cout << "local addresses: " << Addresses(a.local_addresses()) << "\n";
  if (r.has_status()) {
    std::cout << absl::StrFormat(
        "peer window %d bytes, unacknowledged %d, pending %d, fragmentation point %d bytes\n",
        r.status().peer_rwnd(), r.status().unacked_chunks(), r.status().pending_chunks(),
        r.status().fragmentation_point());
    if (r.status().udp_encapsulation_port() != 0) {
      std::cout << absl::StrFormat("over UDP: the peer's UDP port %d\n",
                                   r.status().udp_encapsulation_port());
    }
  }
  if (r.has_streams()) {
    const v1::StreamReconfiguration& reconf = r.streams().reconfiguration();
    std::vector<std::string> allowed;
    if (reconf.reset_streams()) allowed.push_back("reset-streams");
    if (reconf.reset_association()) allowed.push_back("reset-association");
    if (reconf.add_streams()) allowed.push_back("add-streams");
    std::cout << absl::StrFormat("streams: scheduler %s, interleaving %s, reconfiguration %s\n",
                                 SchedulerName(r.streams().scheduler()),
                                 r.streams().interleaving() ? "on (I-DATA)" : "off",
                                 allowed.empty() ? "off" : absl::StrJoin(allowed, ","));
  }
  if (r.has_auth()) {
    if (r.auth().peer_supports_auth()) {
      std::cout << absl::StrFormat("auth: active key %d, chunks authenticated here %s, by the "
                                   "peer %s\n",
                                   r.auth().active_key_id(),
                                   absl::StrJoin(r.auth().local_chunk_types(), ","),
                                   absl::StrJoin(r.auth().peer_chunk_types(), ","));
    } else {
      std::cout << "auth: not used (the peer does not support it)\n";
    }
  }
  if (r.has_statistics()) {
    for (absl::string_view line : absl::StrSplit(DescribeStatistics(r.statistics()), '\n')) {
      std::cout << "statistics: " << line << "\n";
    }
  }
  if (r.has_pr_sctp()) {
    const v1::PrSctpStatus& pr = r.pr_sctp();
    std::cout << "pr-sctp: "
              << (pr.peer_supports_pr_sctp() ? "the peer supports it"
                                             : "the peer does not support it (nothing sent is "
                                               "abandoned)")
              << "; abandoned unsent/sent: " << DescribeAbandoned(pr) << "\n";
    for (const v1::StreamAbandoned& stream : pr.streams()) {
      std::cout << "pr-sctp stream " << stream.stream()
                << ": abandoned unsent/sent: " << DescribeAbandoned(stream) << "\n";
    }
  }
  std::cout << absl::StrFormat("%-40s %-20s %-8s %8s %6s %6s %6s %s\n", "PEER ADDRESS", "STATE",
                               "PRIMARY", "CWND", "SRTT", "RTO", "MTU", "HEARTBEAT");
  for (const v1::PeerPath& path : r.paths()) {
    bool primary = r.has_status() && r.status().primary().address().ip() == path.address().ip();
    std::string heartbeat = path.heartbeat_enabled()
                                ? absl::StrCat("every ", path.heartbeat_interval_ms(), " ms")
                                : "off";
    std::cout << absl::StrFormat("%-40s %-20s %-8s %8d %6d %6d %6d %s\n", path.address().ip(),
                                 PathStateName(path.state()), primary ? "yes" : "", path.cwnd(),
                                 path.srtt_ms(), path.rto_ms(), path.mtu(), heartbeat);
  }
}

}  // namespace sctpgw::client::sctpctl
