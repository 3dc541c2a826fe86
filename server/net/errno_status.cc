#include "server/net/errno_status.h"

#include <cstring>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sctpgw::net {
namespace {
constexpr char kErrnoPayload[] = "sctpgw.net/errno";
}  // namespace

absl::Status ErrnoStatus(int error, absl::string_view what) {
  absl::Status status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(what, ": ", std::strerror(error), " (errno ", error, ")"));
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(error)));
  return status;
}

int StatusErrno(const absl::Status& status) {
  auto payload = status.GetPayload(kErrnoPayload);
  int error = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &error)) return 0;
  return error;
}

}  // namespace sctpgw::net
