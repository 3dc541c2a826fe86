// What the kernel counts of an association: SCTP_GET_ASSOC_STATS (packets,
// chunks, retransmissions, gap reports, the largest RTO) and the messages
// PR-SCTP abandoned (RFC 7496: SCTP_PR_ASSOC_STATUS in all and by policy,
// SCTP_PR_STREAM_STATUS per outbound stream).
#pragma once

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include <vector>

#include "absl/status/statusor.h"
#include "server/net/sctp_types.h"
#include "server/net/sys_calls.h"

namespace sctpgw::net {

class AssociationCounters {
 public:
  AssociationCounters(SysCalls& sys, int fd, bool one_to_many)
      : sys_(sys), fd_(fd), one_to_many_(one_to_many) {}

  // SCTP_GET_ASSOC_STATS. The kernel restarts its maximum RTO at each read.
  absl::StatusOr<AssociationStatistics> Statistics(sctp_assoc_t assoc_id) const;
  // The abandoned-message counters of the association and of `streams`
  // (each below the association's outbound stream count: EINVAL
  // otherwise).
  absl::StatusOr<PrSctpStatus> PrSctp(sctp_assoc_t assoc_id,
                                      const std::vector<uint16_t>& streams) const;

 private:
  sctp_assoc_t Id(sctp_assoc_t assoc_id) const { return one_to_many_ ? assoc_id : 0; }
  // SCTP_PR_ASSOC_STATUS (option) or SCTP_PR_STREAM_STATUS of `stream`.
  absl::StatusOr<AbandonedByPolicy> Abandoned(int option, sctp_assoc_t assoc_id,
                                              uint16_t stream) const;

  SysCalls& sys_;
  int fd_;
  bool one_to_many_;
};

}  // namespace sctpgw::net
