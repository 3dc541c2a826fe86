#include "server/net/association_counters.h"

#include <sys/socket.h>

#include <cstring>

#include "server/net/sctp_option.h"
#include "server/net/socket_address.h"

namespace sctpgw::net {

absl::StatusOr<AssociationStatistics> AssociationCounters::Statistics(
    sctp_assoc_t assoc_id) const {
  sctp_assoc_stats raw{};
  raw.sas_assoc_id = Id(assoc_id);
  socklen_t length = sizeof(raw);
  absl::Status status =
      GetSctpOption(sys_, fd_, SCTP_GET_ASSOC_STATS, &raw, &length, "SCTP_GET_ASSOC_STATS");
  if (!status.ok()) return status;
  AssociationStatistics out;
  out.retransmitted_chunks = raw.sas_rtxchunks;
  out.gap_reports = raw.sas_gapcnt;
  out.out_of_sequence_tsns = raw.sas_outofseqtsns;
  out.sacks_sent = raw.sas_osacks;
  out.sacks_received = raw.sas_isacks;
  out.control_chunks_sent = raw.sas_octrlchunks;
  out.control_chunks_received = raw.sas_ictrlchunks;
  out.ordered_chunks_sent = raw.sas_oodchunks;
  out.ordered_chunks_received = raw.sas_iodchunks;
  out.unordered_chunks_sent = raw.sas_ouodchunks;
  out.unordered_chunks_received = raw.sas_iuodchunks;
  out.duplicate_chunks_received = raw.sas_idupchunks;
  out.packets_sent = raw.sas_opackets;
  out.packets_received = raw.sas_ipackets;
  out.max_rto_ms = static_cast<uint32_t>(raw.sas_maxrto);
  sockaddr_storage path;
  std::memcpy(&path, &raw.sas_obs_rto_ipaddr, sizeof(path));
  if (path.ss_family == AF_INET || path.ss_family == AF_INET6) {
    auto address =
        SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&path), sizeof(path));
    if (address.ok()) out.max_rto_path = *address;
  }
  return out;
}

absl::StatusOr<AbandonedByPolicy> AssociationCounters::Abandoned(int option,
                                                                 sctp_assoc_t assoc_id,
                                                                 uint16_t stream) const {
  // The kernel answers one policy (or all of them) per read.
  struct Policy {
    uint16_t value;
    AbandonedMessages AbandonedByPolicy::*field;
  };
  static constexpr Policy kPolicies[] = {
      {SCTP_PR_SCTP_ALL, &AbandonedByPolicy::total},
      {SCTP_PR_SCTP_TTL, &AbandonedByPolicy::timed},
      {SCTP_PR_SCTP_RTX, &AbandonedByPolicy::retransmissions},
      {SCTP_PR_SCTP_PRIO, &AbandonedByPolicy::priority},
  };
  const char* what =
      option == SCTP_PR_ASSOC_STATUS ? "SCTP_PR_ASSOC_STATUS" : "SCTP_PR_STREAM_STATUS";
  AbandonedByPolicy out;
  for (const Policy& policy : kPolicies) {
    sctp_prstatus raw{};
    raw.sprstat_assoc_id = Id(assoc_id);
    raw.sprstat_sid = stream;
    raw.sprstat_policy = policy.value;
    socklen_t length = sizeof(raw);
    absl::Status status = GetSctpOption(sys_, fd_, option, &raw, &length, what);
    if (!status.ok()) return status;
    (out.*policy.field).unsent = raw.sprstat_abandoned_unsent;
    (out.*policy.field).sent = raw.sprstat_abandoned_sent;
  }
  return out;
}

absl::StatusOr<PrSctpStatus> AssociationCounters::PrSctp(
    sctp_assoc_t assoc_id, const std::vector<uint16_t>& streams) const {
  PrSctpStatus out;
  sctp_assoc_value supported{};
  supported.assoc_id = Id(assoc_id);
  socklen_t length = sizeof(supported);
  absl::Status status =
      GetSctpOption(sys_, fd_, SCTP_PR_SUPPORTED, &supported, &length, "SCTP_PR_SUPPORTED");
  if (!status.ok()) return status;
  out.peer_supports_pr_sctp = supported.assoc_value != 0;
  auto total = Abandoned(SCTP_PR_ASSOC_STATUS, assoc_id, 0);
  if (!total.ok()) return total.status();
  out.abandoned = *total;
  for (uint16_t stream : streams) {
    auto abandoned = Abandoned(SCTP_PR_STREAM_STATUS, assoc_id, stream);
    if (!abandoned.ok()) return abandoned.status();
    out.streams.push_back(StreamAbandoned{stream, *abandoned});
  }
  return out;
}

}  // namespace sctpgw::net
