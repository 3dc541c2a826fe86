// Whether this kernel can do SCTP at all.
#pragma once

#include "absl/status/status.h"
#include "server/net/sys_calls.h"

namespace sctpgw::net {

// OK when an SCTP socket can be opened; FAILED_PRECONDITION explaining what is
// missing otherwise (a kernel without CONFIG_IP_SCTP, or the module blocked).
absl::Status ProbeKernelSctp(SysCalls& sys);

}  // namespace sctpgw::net
