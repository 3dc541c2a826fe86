// The handover protocol joined to a running service: what the holder
// freezes, hands over and lets go of (ServiceHandoverHost), and what the
// taker adopts and puts back (AdoptHandedOver). The stack, the core and the
// rpc layer are driven only through their own interfaces, the core and the
// stack always on the stack's thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/core/gateway.h"
#include "server/handover/handover_listener.h"
#include "server/handover/handover_state.h"
#include "server/net/kernel_sctp_stack.h"
#include "server/rpc/gateway_service.h"
#include "server/rpc/unix_listener.h"

namespace sctpgw::handover {

class ServiceHandoverHost final : public HandoverHost {
 public:
  // `stop_serving` runs in Release(), after the core let go and before the
  // listeners do: it stops what holds a port (metrics) and marks the
  // service not serving.
  ServiceHandoverHost(net::KernelSctpStack& stack, core::Gateway& gateway,
                      rpc::GatewayServiceImpl& service,
                      std::vector<std::unique_ptr<rpc::UnixListener>>& unix_listeners,
                      std::function<void()> stop_serving)
      : stack_(stack),
        gateway_(gateway),
        service_(service),
        unix_listeners_(unix_listeners),
        stop_serving_(std::move(stop_serving)) {}

  absl::StatusOr<Frozen> Freeze() override;
  void Thaw(const absl::Status& why) override;
  void Release() override;

 private:
  net::KernelSctpStack& stack_;
  core::Gateway& gateway_;
  rpc::GatewayServiceImpl& service_;
  std::vector<std::unique_ptr<rpc::UnixListener>>& unix_listeners_;
  std::function<void()> stop_serving_;
};

// In the taker, on any thread but the stack's: adopts the sockets of
// `state` (its descriptors `fds`, in order) and puts the core's state back
// around them, leaving the core frozen. Returns the listening sockets handed
// over, by listen address ("unix:/path"); with `adopted`, the sockets
// adopted (the state's socket ids to this stack's).
absl::StatusOr<std::map<std::string, net::UniqueFd>> AdoptHandedOver(
    net::KernelSctpStack& stack, core::Gateway& gateway, HandoverState state,
    std::vector<net::UniqueFd> fds, std::map<net::SocketId, net::SocketId>* adopted = nullptr);

// Runs `task` on the stack's thread and waits for it.
void RunOnStack(net::KernelSctpStack& stack, const std::function<void()>& task);

}  // namespace sctpgw::handover
