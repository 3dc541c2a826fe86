// HandoverState to bytes and back (proto/sctpgw/handover/v1). What arrives
// is checked before anything uses it: a state that is truncated, names an
// unknown kind of thing, an address that does not parse, a value out of
// range, or a socket it does not carry, is INVALID_ARGUMENT naming the fault.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/handover/handover_state.h"

namespace sctpgw::handover {

std::string EncodeState(const HandoverState& state);
absl::StatusOr<HandoverState> DecodeState(absl::string_view bytes);

}  // namespace sctpgw::handover
