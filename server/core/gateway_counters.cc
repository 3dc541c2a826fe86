// What the kernel counts of live associations: SCTP_GET_ASSOC_STATS and
// the PR-SCTP abandoned-message counters, for GetAssociation and metrics.
#include <algorithm>

#include "server/core/gateway.h"

namespace sctpgw::core {
namespace {

// Streams looked at when GetAssociation names none.
constexpr uint16_t kStreamsScanned = 256;

bool AnyAbandoned(const net::AbandonedByPolicy& abandoned) {
  return abandoned.total.unsent != 0 || abandoned.total.sent != 0;
}

}  // namespace

void Gateway::AddCounters(const Association& association, const std::vector<uint16_t>& streams,
                          AssociationDescription* description) {
  const net::SocketId socket = association.socket();
  const net::AssocId kernel_id = association.kernel_id();
  if (auto statistics = stack_.Statistics(socket, kernel_id); statistics.ok()) {
    description->statistics = *statistics;
  }
  const bool scan = streams.empty();
  auto pr_sctp = stack_.PrSctp(socket, kernel_id, streams);
  if (!pr_sctp.ok()) return;
  if (scan && AnyAbandoned(pr_sctp->abandoned)) {
    // Only then can a stream have abandoned something: the scan (four
    // reads a stream) is not made for the usual association.
    std::vector<uint16_t> asked;
    const uint16_t count = std::min<uint16_t>(association.info().outbound_streams, kStreamsScanned);
    for (uint16_t stream = 0; stream < count; ++stream) asked.push_back(stream);
    auto scanned = stack_.PrSctp(socket, kernel_id, asked);
    if (scanned.ok()) pr_sctp = std::move(scanned);
  }
  if (scan) {
    // Only the streams that abandoned something.
    pr_sctp->streams.erase(
        std::remove_if(pr_sctp->streams.begin(), pr_sctp->streams.end(),
                       [](const net::StreamAbandoned& s) { return !AnyAbandoned(s.abandoned); }),
        pr_sctp->streams.end());
  }
  description->pr_sctp = *std::move(pr_sctp);
}

std::vector<AssociationCountersSnapshot> Gateway::ReadCounters() {
  CheckThread();
  std::vector<AssociationCountersSnapshot> out;
  for (const auto& [id, association] : registry_.associations()) {
    if (association.state() != AssociationState::kEstablished &&
        association.state() != AssociationState::kShuttingDown) {
      continue;
    }
    auto statistics = stack_.Statistics(association.socket(), association.kernel_id());
    if (!statistics.ok()) continue;
    AssociationCountersSnapshot snapshot;
    snapshot.association_id = id;
    snapshot.endpoint_id = association.endpoint_id();
    snapshot.statistics = *statistics;
    if (auto pr_sctp = stack_.PrSctp(association.socket(), association.kernel_id(), {});
        pr_sctp.ok()) {
      snapshot.abandoned = pr_sctp->abandoned;
    }
    out.push_back(std::move(snapshot));
  }
  return out;
}

}  // namespace sctpgw::core
