// Inside the client library: setting what ErrorMetadata() reads
// (client_errors.cc keeps the payload names).
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sctpgw::client {

// Sets (or replaces) metadata `key` of the error `status`.
void SetErrorMetadata(absl::Status& status, absl::string_view key, absl::string_view value);

}  // namespace sctpgw::client
