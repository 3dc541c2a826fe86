// absl::Status from an errno value, with the call that failed as context.
#pragma once

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace sctpgw::net {

// The canonical code for `error` (absl::ErrnoToStatusCode) and a message of
// the form "<what>: <strerror> (errno <n>)". The errno value is also kept as a
// status payload so callers can tell, e.g., ECONNREFUSED from ETIMEDOUT.
absl::Status ErrnoStatus(int error, absl::string_view what);

// The errno recorded by ErrnoStatus, or 0.
int StatusErrno(const absl::Status& status);

}  // namespace sctpgw::net
