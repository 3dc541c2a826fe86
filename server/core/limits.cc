#include "server/core/limits.h"

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"

namespace sctpgw::core {

absl::Status LimitExceeded(absl::string_view limit, size_t value, absl::string_view message) {
  return Error(Reason::kLimitExceeded, message,
               {{"limit", std::string(limit)}, {"value", absl::StrCat(value)}});
}

}  // namespace sctpgw::core
