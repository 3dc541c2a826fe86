// Streams of SCTP associations: reconfiguration (RFC 6525: resetting
// streams or the whole association, adding streams), message interleaving
// (RFC 8260 I-DATA) and stream scheduling (SCTP_STREAM_SCHEDULER and its
// per-stream values). On an endpoint's socket (SCTP_FUTURE_ASSOC) the
// settings apply to associations made afterwards; on an association's
// socket, to it.
#pragma once

#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include <vector>

#include "absl/status/statusor.h"
#include "server/net/sctp_types.h"
#include "server/net/sys_calls.h"

namespace sctpgw::net {

class StreamControl {
 public:
  StreamControl(SysCalls& sys, int fd, bool one_to_many)
      : sys_(sys), fd_(fd), one_to_many_(one_to_many) {}

  // SCTP_RECONFIG_SUPPORTED and SCTP_ENABLE_STREAM_RESET.
  absl::Status EnableReconfiguration(sctp_assoc_t assoc_id, const StreamReconfiguration& allowed);
  // SCTP_FRAGMENT_INTERLEAVE (pieces of messages of several streams may
  // then arrive interleaved: MessageAssembler keeps them apart) and
  // SCTP_INTERLEAVING_SUPPORTED. EPERM while net.sctp.intl_enable is 0.
  absl::Status EnableInterleaving(sctp_assoc_t assoc_id);
  // Not offered, also where net.sctp.intl_enable makes it the default.
  void DisableInterleaving(sctp_assoc_t assoc_id);
  absl::Status Reconfigure(sctp_assoc_t assoc_id, const StreamReconfigRequest& request);
  // kDefault leaves the scheduler as it is. EOPNOTSUPP for a scheduler this
  // kernel does not have.
  absl::Status SetScheduler(sctp_assoc_t assoc_id, StreamScheduler scheduler);
  absl::Status SetValue(sctp_assoc_t assoc_id, const StreamValue& value);
  // The scheduler, interleaving and reconfiguration in force, with the
  // values of `streams`.
  absl::StatusOr<StreamSettings> Settings(sctp_assoc_t assoc_id,
                                          const std::vector<uint16_t>& streams) const;

 private:
  sctp_assoc_t Id(sctp_assoc_t assoc_id) const { return one_to_many_ ? assoc_id : 0; }
  absl::StatusOr<uint32_t> GetValue(int name, sctp_assoc_t assoc_id, const char* what) const;
  absl::Status SetAssocValue(int name, sctp_assoc_t assoc_id, uint32_t value, const char* what);

  SysCalls& sys_;
  int fd_;
  bool one_to_many_;
};

}  // namespace sctpgw::net
