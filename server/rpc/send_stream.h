// SendStream: the client → kernel data path on one long-lived call. gRPC
// threads read requests ahead (at most kReadAheadRequests / kReadAheadBytes,
// so gRPC's flow control pushes back); the core's thread hands them to the
// core's Send one after the other, in order, so validation, limits and
// errors are exactly the unary Send's. Progress is acknowledged every
// kAckEveryRequests requests, on the service's tick and at the end; the
// first failed request ends the stream, with the count of requests
// completed before it.
#pragma once

#include <set>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sctpgw/v1/gateway_service.grpc.pb.h"
#include "server/core/gateway.h"
#include "server/rpc/call_count.h"

namespace sctpgw::rpc {

class SendStream;

// The SendStream calls open now, so that a stopping service can end the idle
// ones (they wait on their client, not on the core).
class SendStreams {
 public:
  // A new stream, or one refused at once when the service is stopping.
  grpc::ServerBidiReactor<v1::SendRequest, v1::SendStreamResponse>* Open(
      core::Gateway& gateway, grpc::CallbackServerContext* context, CallCount& calls);
  // Ends every stream and refuses new ones with `why`: the service is
  // stopping or handing over.
  void StopAll(const absl::Status& why);
  // Has every stream acknowledge what it has done.
  void Tick();

 private:
  friend class SendStream;
  // OK, or why new streams are refused.
  absl::Status Add(SendStream* stream);
  void Remove(SendStream* stream);
  template <typename F>
  void ForEach(bool stop, F f);

  absl::Mutex mu_;
  std::set<SendStream*> live_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status why_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sctpgw::rpc
