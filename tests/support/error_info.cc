#include "tests/support/error_info.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace sctpgw::testing {
namespace {

// The first google.rpc.ErrorInfo in the status's details, if any.
bool FindErrorInfo(const grpc::Status& status, google::rpc::ErrorInfo* info) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return false;
  }
  for (const auto& any : details.details()) {
    if (any.UnpackTo(info)) return true;
  }
  return false;
}

}  // namespace

std::string ErrorReason(const grpc::Status& status) {
  google::rpc::ErrorInfo info;
  return FindErrorInfo(status, &info) ? info.reason() : "";
}

std::map<std::string, std::string> ErrorMetadata(const grpc::Status& status) {
  google::rpc::ErrorInfo info;
  if (!FindErrorInfo(status, &info)) return {};
  return {info.metadata().begin(), info.metadata().end()};
}

}  // namespace sctpgw::testing
