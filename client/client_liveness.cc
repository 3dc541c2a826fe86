// Client's side of application liveness (SessionLiveness::kApplication):
// the lease is renewed by RenewLease calls made from the thread that runs
// the handler, so that a hung handler or loop lets the session run out.
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "sctpgw/client.h"

namespace sctpgw::client {
namespace {

int64_t SteadyNowNs() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

}  // namespace

absl::Status Client::RenewLease(std::optional<Milliseconds> timeout) {
  v1::RenewLeaseRequest request;
  request.set_session_id(session_id_);
  request.set_handled_sequence(handled_sequence_.load());
  v1::RenewLeaseResponse response;
  return CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->RenewLease(&context, request, &response));
  });
}

Milliseconds Client::RenewInterval() const {
  // Three chances per lease: one lost renewal does not end the session.
  return std::max(Milliseconds(1), lease_ / 3);
}

bool Client::RenewalDue() const {
  auto since = std::chrono::nanoseconds(SteadyNowNs() - last_renewal_ns_.load());
  return since >= RenewInterval();
}

void Client::RenewalLoop() {
  // Twice per interval: a renewal is at most half an interval late.
  while (Backoff(std::max(Milliseconds(1), RenewInterval() / 2))) {
    if (!RenewalDue()) continue;
    if (options_.delivery == EventDelivery::kLibraryThread) {
      // Only once no callback runs: a handler that hangs stops renewals.
      absl::MutexLock lock(&handler_mu_);
      RenewIfDue();
    } else {
      uint64_t one = 1;  // Dispatch() renews.
      (void)!write(event_fd(), &one, sizeof(one));
    }
  }
}

void Client::RenewIfDue() {
  if (options_.liveness != SessionLiveness::kApplication || !RenewalDue()) return;
  // Counted from the attempt: an unreachable sctpgw is not asked again at
  // every Dispatch(), and the next interval still leaves a chance.
  last_renewal_ns_ = SteadyNowNs();
  (void)RenewLease(std::min(options_.call_timeout, RenewInterval()));
}

}  // namespace sctpgw::client
