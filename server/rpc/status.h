// The one place where sctpgw's errors become gRPC statuses: the canonical
// code carries over unchanged, the reason and metadata become a
// google.rpc.ErrorInfo (domain "sctpgw.dev") in grpc-status-details-bin.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace sctpgw::rpc {

inline constexpr char kErrorDomain[] = "sctpgw.dev";

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace sctpgw::rpc
