// libsctpd's status calls: associations and paths read from sctpgw in the
// SCTP library's structures, and the parameters, primary path and
// heartbeats set through it.
#include <cstring>

#include "sctpd_library.h"
#include "sctpd_mapping.h"

namespace sctpgw::sctpd {

int Library::GetAssocStatus(unsigned int id, SCTP_AssociationStatus* status) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  if (status == nullptr) return SCTP_PARAMETER_PROBLEM;
  auto described = client_->GetAssociation(a->gateway_id);
  if (!described.ok()) return Result(described.status());
  std::memset(status, 0, sizeof(*status));
  const v1::AssociationStatus& s = described->status();
  const v1::PathParameters& p = described->path_parameters();
  a->peer_addresses = IpsOf(described->association().peer_addresses());
  status->state = ToAssociationState(s.state());
  status->numberOfAddresses = static_cast<unsigned short>(a->peer_addresses.size());
  CopyAddress(s.primary().address().ip(), status->primaryDestinationAddress);
  const Instance* instance = InstanceOf(*a);
  status->sourcePort = instance != nullptr ? instance->port : 0;
  status->destPort = a->peer_port;
  status->outStreams = static_cast<unsigned short>(s.outbound_streams());
  status->inStreams = static_cast<unsigned short>(s.inbound_streams());
  status->supportUnreliableStreams = described->pr_sctp().peer_supports_pr_sctp() ? 1 : 0;
  short primary = IndexOf(*a, s.primary().address().ip());
  status->primaryAddressIndex = static_cast<unsigned short>(primary < 0 ? 0 : primary);
  status->currentReceiverWindowSize = s.peer_rwnd();
  status->noOfChunksInSendQueue = s.pending_chunks();
  status->noOfChunksInRetransmissionQueue = s.unacked_chunks();
  status->noOfChunksInReceptionQueue = 0;
  for (const auto& [stream, queue] : a->inbox) {
    status->noOfChunksInReceptionQueue += static_cast<unsigned int>(queue.size());
  }
  status->rtoInitial = p.rto_initial_ms();
  status->rtoMin = p.rto_min_ms();
  status->rtoMax = p.rto_max_ms();
  status->assocMaxRetransmits = p.association_max_retransmissions();
  status->pathMaxRetransmits = p.path_max_retransmissions();
  status->delay = p.sack_delay_ms();
  return SCTP_SUCCESS;
}

int Library::SetAssocStatus(unsigned int id, const SCTP_AssociationStatus& status) {
  SCTP_AssociationStatus now;
  int got = GetAssocStatus(id, &now);
  if (got != SCTP_SUCCESS) return got;
  Association* a = Find(id);
  v1::PathParameters p;
  if (status.rtoInitial != now.rtoInitial) p.set_rto_initial_ms(status.rtoInitial);
  if (status.rtoMin != now.rtoMin) p.set_rto_min_ms(status.rtoMin);
  if (status.rtoMax != now.rtoMax) p.set_rto_max_ms(status.rtoMax);
  if (status.assocMaxRetransmits != now.assocMaxRetransmits) {
    p.set_association_max_retransmissions(status.assocMaxRetransmits);
  }
  if (status.pathMaxRetransmits != now.pathMaxRetransmits) {
    p.set_path_max_retransmissions(status.pathMaxRetransmits);
  }
  if (status.delay != now.delay) p.set_sack_delay_ms(status.delay);
  if (p.ByteSizeLong() != 0) {
    int result = Result(client_->ConfigurePaths(a->gateway_id, p).status());
    if (result != SCTP_SUCCESS) return result;
  }
  if (status.primaryAddressIndex != now.primaryAddressIndex) {
    return SetPrimary(id, static_cast<short>(status.primaryAddressIndex));
  }
  return SCTP_SUCCESS;
}

int Library::GetPathStatus(unsigned int id, short path, SCTP_PathStatus* status) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  if (status == nullptr) return SCTP_PARAMETER_PROBLEM;
  std::string peer = PeerAt(*a, path);
  if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
  auto described = client_->GetAssociation(a->gateway_id);
  if (!described.ok()) return Result(described.status());
  for (const v1::PeerPath& p : described->paths()) {
    if (p.address().ip() != peer) continue;
    std::memset(status, 0, sizeof(*status));
    CopyAddress(peer, status->destinationAddress);
    status->state = ToPathState(p.state());
    status->srtt = p.srtt_ms();
    status->rto = p.rto_ms();
    status->heartbeatIntervall = p.heartbeat_interval_ms();
    status->cwnd = p.cwnd();
    status->mtu = p.mtu();
    return SCTP_SUCCESS;
  }
  return SCTP_PARAMETER_PROBLEM;
}

int Library::SetPrimary(unsigned int id, short path) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  std::string peer = PeerAt(*a, path);
  if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
  return Result(client_->SetPrimaryPath(a->gateway_id, peer));
}

int Library::GetPrimary(unsigned int id) {
  SCTP_AssociationStatus status;
  int got = GetAssocStatus(id, &status);
  return got != SCTP_SUCCESS ? got : status.primaryAddressIndex;
}

int Library::ChangeHeartbeat(unsigned int id, short path, bool on, unsigned int interval_ms) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  v1::PathParameters p;
  p.set_heartbeat_enabled(on);
  if (on && interval_ms != 0) p.set_heartbeat_interval_ms(interval_ms);
  std::string peer;
  if (path != SCTP_USE_PRIMARY) {
    peer = PeerAt(*a, path);
    if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
  }
  return Result(client_->ConfigurePaths(a->gateway_id, p, peer).status());
}

int Library::RequestHeartbeat(unsigned int id, short path) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  std::string peer;
  if (path != SCTP_USE_PRIMARY) {
    peer = PeerAt(*a, path);
    if (peer.empty()) return SCTP_PARAMETER_PROBLEM;
  }
  return Result(client_->RequestHeartbeat(a->gateway_id, peer));
}

int Library::SetFailureThreshold(unsigned int id, unsigned short retransmissions) {
  Association* a = Find(id);
  if (a == nullptr || a->gateway_id == 0) return SCTP_ASSOC_NOT_FOUND;
  v1::PathParameters p;
  p.set_association_max_retransmissions(retransmissions);
  return Result(client_->ConfigurePaths(a->gateway_id, p).status());
}


}  // namespace sctpgw::sctpd
