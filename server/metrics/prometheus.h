// sctpgw's metrics in the Prometheus text exposition format (version 0.0.4).
// The names and labels are listed in docs/api.md ("Metrics").
#pragma once

#include <string>

#include "server/core/gateway.h"

namespace sctpgw::metrics {

std::string RenderPrometheus(const core::GatewayStats& stats, bool kernel_sctp_available);

}  // namespace sctpgw::metrics
