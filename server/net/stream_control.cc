#include "server/net/stream_control.h"

#include <cstring>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "server/net/errno_status.h"
#include "server/net/sctp_option.h"

namespace sctpgw::net {
namespace {

// Schedulers of Linux 6.4 and later, absent from older headers.
constexpr uint32_t kFairCapacity = 3;   // SCTP_SS_FC
constexpr uint32_t kWeightedFair = 4;   // SCTP_SS_WFQ

uint32_t EncodeScheduler(StreamScheduler scheduler) {
  switch (scheduler) {
    case StreamScheduler::kDefault:
    case StreamScheduler::kFirstCome: return SCTP_SS_FCFS;
    case StreamScheduler::kPriority: return SCTP_SS_PRIO;
    case StreamScheduler::kRoundRobin: return SCTP_SS_RR;
    case StreamScheduler::kFairCapacity: return kFairCapacity;
    case StreamScheduler::kWeightedFair: return kWeightedFair;
  }
  return SCTP_SS_FCFS;
}

StreamScheduler DecodeScheduler(uint32_t value) {
  switch (value) {
    case SCTP_SS_FCFS: return StreamScheduler::kFirstCome;
    case SCTP_SS_PRIO: return StreamScheduler::kPriority;
    case SCTP_SS_RR: return StreamScheduler::kRoundRobin;
    case kFairCapacity: return StreamScheduler::kFairCapacity;
    case kWeightedFair: return StreamScheduler::kWeightedFair;
  }
  return StreamScheduler::kDefault;
}

}  // namespace

absl::StatusOr<uint32_t> StreamControl::GetValue(int name, sctp_assoc_t assoc_id,
                                                 const char* what) const {
  sctp_assoc_value value{};
  value.assoc_id = Id(assoc_id);
  socklen_t length = sizeof(value);
  absl::Status status = GetSctpOption(sys_, fd_, name, &value, &length, what);
  if (!status.ok()) return status;
  return value.assoc_value;
}

absl::Status StreamControl::SetAssocValue(int name, sctp_assoc_t assoc_id, uint32_t value,
                                          const char* what) {
  sctp_assoc_value raw{};
  raw.assoc_id = Id(assoc_id);
  raw.assoc_value = value;
  return SetSctpOption(sys_, fd_, name, &raw, sizeof(raw), what);
}

absl::Status StreamControl::EnableReconfiguration(sctp_assoc_t assoc_id,
                                                  const StreamReconfiguration& allowed) {
  absl::Status status =
      SetAssocValue(SCTP_RECONFIG_SUPPORTED, assoc_id, allowed.any() ? 1 : 0, "SCTP_RECONFIG_SUPPORTED");
  if (!status.ok()) return status;
  uint32_t flags = (allowed.reset_streams ? SCTP_ENABLE_RESET_STREAM_REQ : 0) |
                   (allowed.reset_association ? SCTP_ENABLE_RESET_ASSOC_REQ : 0) |
                   (allowed.add_streams ? SCTP_ENABLE_CHANGE_ASSOC_REQ : 0);
  return SetAssocValue(SCTP_ENABLE_STREAM_RESET, assoc_id, flags, "SCTP_ENABLE_STREAM_RESET");
}

absl::Status StreamControl::EnableInterleaving(sctp_assoc_t assoc_id) {
  int level = 2;  // Pieces of any association's and stream's messages.
  absl::Status status = SetSctpOption(sys_, fd_, SCTP_FRAGMENT_INTERLEAVE, &level, sizeof(level),
                                      "SCTP_FRAGMENT_INTERLEAVE");
  if (!status.ok()) return status;
  return SetAssocValue(SCTP_INTERLEAVING_SUPPORTED, assoc_id, 1, "SCTP_INTERLEAVING_SUPPORTED");
}

void StreamControl::DisableInterleaving(sctp_assoc_t assoc_id) {
  // The kernel takes SCTP_INTERLEAVING_SUPPORTED only with fragment
  // interleaving on, and refuses it (EPERM) while net.sctp.intl_enable is 0,
  // when it is off anyway.
  int level = 1;
  if (!SetSctpOption(sys_, fd_, SCTP_FRAGMENT_INTERLEAVE, &level, sizeof(level),
                     "SCTP_FRAGMENT_INTERLEAVE")
           .ok()) {
    return;
  }
  (void)SetAssocValue(SCTP_INTERLEAVING_SUPPORTED, assoc_id, 0, "SCTP_INTERLEAVING_SUPPORTED");
  level = 0;
  (void)SetSctpOption(sys_, fd_, SCTP_FRAGMENT_INTERLEAVE, &level, sizeof(level),
                      "SCTP_FRAGMENT_INTERLEAVE");
}

absl::Status StreamControl::Reconfigure(sctp_assoc_t assoc_id,
                                        const StreamReconfigRequest& request) {
  switch (request.kind) {
    case StreamReconfigRequest::Kind::kResetStreams: {
      std::vector<uint8_t> raw(sizeof(sctp_reset_streams) +
                               request.streams.size() * sizeof(uint16_t));
      auto* reset = reinterpret_cast<sctp_reset_streams*>(raw.data());
      reset->srs_assoc_id = Id(assoc_id);
      reset->srs_flags = static_cast<uint16_t>((request.incoming ? SCTP_STREAM_RESET_INCOMING : 0) |
                                               (request.outgoing ? SCTP_STREAM_RESET_OUTGOING : 0));
      reset->srs_number_streams = static_cast<uint16_t>(request.streams.size());
      if (!request.streams.empty()) {
        std::memcpy(raw.data() + sizeof(sctp_reset_streams), request.streams.data(),
                    request.streams.size() * sizeof(uint16_t));
      }
      return SetSctpOption(sys_, fd_, SCTP_RESET_STREAMS, raw.data(),
                           static_cast<socklen_t>(raw.size()), "SCTP_RESET_STREAMS");
    }
    case StreamReconfigRequest::Kind::kResetAssociation: {
      sctp_assoc_t id = Id(assoc_id);
      return SetSctpOption(sys_, fd_, SCTP_RESET_ASSOC, &id, sizeof(id), "SCTP_RESET_ASSOC");
    }
    case StreamReconfigRequest::Kind::kAddStreams: {
      sctp_add_streams add{};
      add.sas_assoc_id = Id(assoc_id);
      add.sas_instrms = request.add_inbound;
      add.sas_outstrms = request.add_outbound;
      return SetSctpOption(sys_, fd_, SCTP_ADD_STREAMS, &add, sizeof(add), "SCTP_ADD_STREAMS");
    }
  }
  return absl::InvalidArgumentError("unknown stream reconfiguration");
}

absl::Status StreamControl::SetScheduler(sctp_assoc_t assoc_id, StreamScheduler scheduler) {
  if (scheduler == StreamScheduler::kDefault) return absl::OkStatus();
  absl::Status status = SetAssocValue(SCTP_STREAM_SCHEDULER, assoc_id, EncodeScheduler(scheduler),
                                      "SCTP_STREAM_SCHEDULER");
  // The kernel's EINVAL for a scheduler it does not have.
  if (StatusErrno(status) == EINVAL) {
    return ErrnoStatus(EOPNOTSUPP, absl::StrCat("SCTP_STREAM_SCHEDULER: this kernel does not "
                                                "offer scheduler ", EncodeScheduler(scheduler)));
  }
  return status;
}

absl::Status StreamControl::SetValue(sctp_assoc_t assoc_id, const StreamValue& value) {
  sctp_stream_value raw{};
  raw.assoc_id = Id(assoc_id);
  raw.stream_id = value.stream;
  raw.stream_value = value.value;
  return SetSctpOption(sys_, fd_, SCTP_STREAM_SCHEDULER_VALUE, &raw, sizeof(raw),
                       "SCTP_STREAM_SCHEDULER_VALUE");
}

absl::StatusOr<StreamSettings> StreamControl::Settings(sctp_assoc_t assoc_id,
                                                       const std::vector<uint16_t>& streams) const {
  StreamSettings settings;
  auto scheduler = GetValue(SCTP_STREAM_SCHEDULER, assoc_id, "SCTP_STREAM_SCHEDULER");
  if (!scheduler.ok()) return scheduler.status();
  settings.scheduler = DecodeScheduler(*scheduler);
  auto interleaving = GetValue(SCTP_INTERLEAVING_SUPPORTED, assoc_id, "SCTP_INTERLEAVING_SUPPORTED");
  if (!interleaving.ok()) return interleaving.status();
  settings.interleaving = *interleaving != 0;
  auto flags = GetValue(SCTP_ENABLE_STREAM_RESET, assoc_id, "SCTP_ENABLE_STREAM_RESET");
  if (!flags.ok()) return flags.status();
  settings.reconfiguration.reset_streams = (*flags & SCTP_ENABLE_RESET_STREAM_REQ) != 0;
  settings.reconfiguration.reset_association = (*flags & SCTP_ENABLE_RESET_ASSOC_REQ) != 0;
  settings.reconfiguration.add_streams = (*flags & SCTP_ENABLE_CHANGE_ASSOC_REQ) != 0;
  for (uint16_t stream : streams) {
    sctp_stream_value raw{};
    raw.assoc_id = Id(assoc_id);
    raw.stream_id = stream;
    socklen_t length = sizeof(raw);
    absl::Status status = GetSctpOption(sys_, fd_, SCTP_STREAM_SCHEDULER_VALUE, &raw, &length,
                                        "SCTP_STREAM_SCHEDULER_VALUE");
    if (!status.ok()) return status;
    settings.values.push_back(StreamValue{stream, raw.stream_value});
  }
  return settings;
}

}  // namespace sctpgw::net
