#include "server/net/path_control.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/net/errno_status.h"
#include "server/net/kernel_values.h"
#include "server/net/sctp_option.h"

namespace sctpgw::net {
namespace {

void CopyAddress(const SocketAddress& address, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  std::memcpy(out, address.sockaddr_ptr(), address.length());
}

}  // namespace

absl::Status PathControl::Get(int name, void* value, socklen_t length, const char* what) const {
  return GetSctpOption(sys_, fd_, name, value, &length, what);
}

absl::Status PathControl::Set(int name, const void* value, socklen_t length, const char* what) {
  return SetSctpOption(sys_, fd_, name, value, length, what);
}

absl::StatusOr<PathInfo> PathControl::Path(sctp_assoc_t assoc_id, const SocketAddress& peer) const {
  sctp_paddrinfo raw{};
  raw.spinfo_assoc_id = Id(assoc_id);
  sockaddr_storage storage;
  CopyAddress(peer, &storage);
  std::memcpy(&raw.spinfo_address, &storage, sizeof(storage));
  absl::Status status = Get(SCTP_GET_PEER_ADDR_INFO, &raw, sizeof(raw), "SCTP_GET_PEER_ADDR_INFO");
  if (!status.ok()) return status;
  PathInfo info;
  info.address = peer;
  info.state = DecodePathState(raw.spinfo_state);
  info.cwnd = raw.spinfo_cwnd;
  info.srtt_ms = raw.spinfo_srtt;
  info.rto_ms = raw.spinfo_rto;
  info.mtu = raw.spinfo_mtu;

  sctp_paddrparams params{};
  params.spp_assoc_id = Id(assoc_id);
  std::memcpy(&params.spp_address, &storage, sizeof(storage));
  status = Get(SCTP_PEER_ADDR_PARAMS, &params, sizeof(params), "SCTP_PEER_ADDR_PARAMS");
  if (!status.ok()) return status;
  info.heartbeat_interval_ms = static_cast<uint32_t>(params.spp_hbinterval);
  info.heartbeat_enabled = (params.spp_flags & SPP_HB_ENABLE) != 0;
  info.path_max_retransmissions = static_cast<uint16_t>(params.spp_pathmaxrxt);

  sctp_paddrthlds thresholds{};
  thresholds.spt_assoc_id = Id(assoc_id);
  std::memcpy(&thresholds.spt_address, &storage, sizeof(storage));
  status = Get(SCTP_PEER_ADDR_THLDS, &thresholds, sizeof(thresholds), "SCTP_PEER_ADDR_THLDS");
  if (!status.ok()) return status;
  info.potentially_failed_threshold = static_cast<uint16_t>(thresholds.spt_pathpfthld);
  return info;
}

absl::Status PathControl::SetPrimary(sctp_assoc_t assoc_id, const SocketAddress& peer) {
  sctp_prim prim{};
  prim.ssp_assoc_id = Id(assoc_id);
  sockaddr_storage storage;
  CopyAddress(peer, &storage);
  std::memcpy(&prim.ssp_addr, &storage, sizeof(storage));
  return Set(SCTP_PRIMARY_ADDR, &prim, sizeof(prim), "SCTP_PRIMARY_ADDR");
}

absl::Status PathControl::SetPeerPrimary(sctp_assoc_t assoc_id, const SocketAddress& local) {
  sctp_setpeerprim prim{};
  prim.sspp_assoc_id = Id(assoc_id);
  sockaddr_storage storage;
  CopyAddress(local, &storage);
  std::memcpy(&prim.sspp_addr, &storage, sizeof(storage));
  return Set(SCTP_SET_PEER_PRIMARY_ADDR, &prim, sizeof(prim), "SCTP_SET_PEER_PRIMARY_ADDR");
}

absl::StatusOr<PathParameters> PathControl::Parameters(sctp_assoc_t assoc_id) const {
  PathParameters out;
  sctp_rtoinfo rto{};
  rto.srto_assoc_id = Id(assoc_id);
  absl::Status status = Get(SCTP_RTOINFO, &rto, sizeof(rto), "SCTP_RTOINFO");
  if (!status.ok()) return status;
  out.rto_initial_ms = rto.srto_initial;
  out.rto_min_ms = rto.srto_min;
  out.rto_max_ms = rto.srto_max;

  sctp_assocparams assoc{};
  assoc.sasoc_assoc_id = Id(assoc_id);
  status = Get(SCTP_ASSOCINFO, &assoc, sizeof(assoc), "SCTP_ASSOCINFO");
  if (!status.ok()) return status;
  out.association_max_retransmissions = assoc.sasoc_asocmaxrxt;

  sctp_paddrparams params{};
  params.spp_assoc_id = Id(assoc_id);
  status = Get(SCTP_PEER_ADDR_PARAMS, &params, sizeof(params), "SCTP_PEER_ADDR_PARAMS");
  if (!status.ok()) return status;
  out.heartbeat_interval_ms = static_cast<uint32_t>(params.spp_hbinterval);
  out.heartbeat_enabled = (params.spp_flags & SPP_HB_ENABLE) != 0;
  out.path_max_retransmissions = static_cast<uint16_t>(params.spp_pathmaxrxt);

  sctp_paddrthlds thresholds{};
  thresholds.spt_assoc_id = Id(assoc_id);
  status = Get(SCTP_PEER_ADDR_THLDS, &thresholds, sizeof(thresholds), "SCTP_PEER_ADDR_THLDS");
  if (!status.ok()) return status;
  out.potentially_failed_threshold = static_cast<uint16_t>(thresholds.spt_pathpfthld);

  sctp_sack_info sack{};
  sack.sack_assoc_id = Id(assoc_id);
  status = Get(SCTP_DELAYED_SACK, &sack, sizeof(sack), "SCTP_DELAYED_SACK");
  if (!status.ok()) return status;
  out.sack_delay_ms = sack.sack_delay;
  out.sack_frequency = sack.sack_freq;
  return out;
}

absl::Status PathControl::SetParameters(sctp_assoc_t assoc_id, const PathParameters& p,
                                        const SocketAddress* path) {
  absl::Status status;
  sockaddr_storage address{};  // All zero: the wildcard, every path.
  if (path != nullptr) {
    if (p.rto_initial_ms || p.rto_min_ms || p.rto_max_ms || p.association_max_retransmissions ||
        p.sack_delay_ms || p.sack_frequency) {
      return absl::InvalidArgumentError("association-wide parameters given for one path");
    }
    CopyAddress(*path, &address);
  }
  if (p.rto_initial_ms || p.rto_min_ms || p.rto_max_ms) {
    sctp_rtoinfo rto{};  // Zero fields are left unchanged by the kernel.
    rto.srto_assoc_id = Id(assoc_id);
    rto.srto_initial = p.rto_initial_ms.value_or(0);
    rto.srto_min = p.rto_min_ms.value_or(0);
    rto.srto_max = p.rto_max_ms.value_or(0);
    status = Set(SCTP_RTOINFO, &rto, sizeof(rto), "SCTP_RTOINFO");
    if (!status.ok()) return status;
  }
  if (p.association_max_retransmissions) {
    sctp_assocparams assoc{};
    assoc.sasoc_assoc_id = Id(assoc_id);
    assoc.sasoc_asocmaxrxt = *p.association_max_retransmissions;
    status = Set(SCTP_ASSOCINFO, &assoc, sizeof(assoc), "SCTP_ASSOCINFO");
    if (!status.ok()) return status;
  }
  if (p.heartbeat_interval_ms || p.heartbeat_enabled || p.path_max_retransmissions) {
    sctp_paddrparams params{};
    params.spp_assoc_id = Id(assoc_id);
    std::memcpy(&params.spp_address, &address, sizeof(address));
    if (p.heartbeat_interval_ms) {
      params.spp_hbinterval = *p.heartbeat_interval_ms;
      params.spp_flags |= SPP_HB_ENABLE;
    }
    if (p.heartbeat_enabled) params.spp_flags |= *p.heartbeat_enabled ? SPP_HB_ENABLE : SPP_HB_DISABLE;
    if (p.path_max_retransmissions) params.spp_pathmaxrxt = *p.path_max_retransmissions;
    status = Set(SCTP_PEER_ADDR_PARAMS, &params, sizeof(params), "SCTP_PEER_ADDR_PARAMS");
    if (!status.ok()) return status;
  }
  if (p.potentially_failed_threshold) {
    sctp_paddrthlds thresholds{};
    thresholds.spt_assoc_id = Id(assoc_id);
    std::memcpy(&thresholds.spt_address, &address, sizeof(address));
    // The kernel sets both thresholds at once: keep the current maximum.
    sctp_paddrparams current{};
    current.spp_assoc_id = Id(assoc_id);
    std::memcpy(&current.spp_address, &address, sizeof(address));
    status = Get(SCTP_PEER_ADDR_PARAMS, &current, sizeof(current), "SCTP_PEER_ADDR_PARAMS");
    if (!status.ok()) return status;
    thresholds.spt_pathmaxrxt = current.spp_pathmaxrxt;
    thresholds.spt_pathpfthld = *p.potentially_failed_threshold;
    status = Set(SCTP_PEER_ADDR_THLDS, &thresholds, sizeof(thresholds), "SCTP_PEER_ADDR_THLDS");
    if (!status.ok()) return status;
  }
  if (p.sack_delay_ms || p.sack_frequency) {
    sctp_sack_info current{};
    current.sack_assoc_id = Id(assoc_id);
    status = Get(SCTP_DELAYED_SACK, &current, sizeof(current), "SCTP_DELAYED_SACK");
    if (!status.ok()) return status;
    sctp_sack_info sack = current;
    sack.sack_assoc_id = Id(assoc_id);
    if (p.sack_delay_ms) sack.sack_delay = *p.sack_delay_ms;
    if (p.sack_frequency) sack.sack_freq = *p.sack_frequency;
    status = Set(SCTP_DELAYED_SACK, &sack, sizeof(sack), "SCTP_DELAYED_SACK");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status PathControl::RequestHeartbeat(sctp_assoc_t assoc_id, const SocketAddress* peer) {
  sctp_paddrparams params{};
  params.spp_assoc_id = Id(assoc_id);
  if (peer != nullptr) {
    sockaddr_storage address;
    CopyAddress(*peer, &address);
    std::memcpy(&params.spp_address, &address, sizeof(address));
  }
  params.spp_flags = SPP_HB_DEMAND;
  return Set(SCTP_PEER_ADDR_PARAMS, &params, sizeof(params), "SCTP_PEER_ADDR_PARAMS");
}

}  // namespace sctpgw::net
