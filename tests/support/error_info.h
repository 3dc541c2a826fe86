// sctpgw's errors as a client reads them: the google.rpc.ErrorInfo packed in
// a gRPC status's details (grpc-status-details-bin). Shared by the unit
// tests of the service and the lab tests.
#pragma once

#include <grpcpp/support/status.h>

#include <map>
#include <string>

namespace sctpgw::testing {

// The reason of the google.rpc.ErrorInfo in a status's details ("" if none).
std::string ErrorReason(const grpc::Status& status);
// The metadata of that google.rpc.ErrorInfo (empty if none).
std::map<std::string, std::string> ErrorMetadata(const grpc::Status& status);

}  // namespace sctpgw::testing
