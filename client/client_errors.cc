// sctpgw's errors as the client library gives them: the gRPC status's code
// and message, with the reason and metadata of its google.rpc.ErrorInfo as
// payloads of the absl::Status.
#include "client/client_errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "sctpgw/client.h"

namespace sctpgw::client {
namespace {

constexpr absl::string_view kReasonUrl = "type.sctpgw.dev/reason";
constexpr absl::string_view kMetadataUrlPrefix = "type.sctpgw.dev/metadata/";

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (!any.UnpackTo(&info)) continue;
      result.SetPayload(kReasonUrl, absl::Cord(info.reason()));
      for (const auto& [key, value] : info.metadata()) {
        result.SetPayload(absl::StrCat(kMetadataUrlPrefix, key), absl::Cord(value));
      }
    }
  }
  return result;
}

std::string ErrorReason(const absl::Status& status) {
  auto reason = status.GetPayload(kReasonUrl);
  return reason.has_value() ? std::string(*reason) : "";
}

std::map<std::string, std::string> ErrorMetadata(const absl::Status& status) {
  std::map<std::string, std::string> metadata;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    if (url.substr(0, kMetadataUrlPrefix.size()) == kMetadataUrlPrefix) {
      metadata[std::string(url.substr(kMetadataUrlPrefix.size()))] = std::string(value);
    }
  });
  return metadata;
}

void SetErrorMetadata(absl::Status& status, absl::string_view key, absl::string_view value) {
  status.SetPayload(absl::StrCat(kMetadataUrlPrefix, key), absl::Cord(value));
}

}  // namespace sctpgw::client
