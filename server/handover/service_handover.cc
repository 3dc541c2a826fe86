#include "server/handover/service_handover.h"

#include <future>
#include <utility>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/handover/state_codec.h"

namespace sctpgw::handover {

void RunOnStack(net::KernelSctpStack& stack, const std::function<void()>& task) {
  std::promise<void> done;
  stack.Post([&] {
    task();
    done.set_value();
  });
  done.get_future().wait();
}

absl::StatusOr<HandoverHost::Frozen> ServiceHandoverHost::Freeze() {
  absl::StatusOr<Frozen> result = absl::InternalError("not run");
  RunOnStack(stack_, [&] {
    auto state = gateway_.Freeze();
    if (!state.ok()) {
      result = state.status();
      return;
    }
    HandoverState handed;
    Frozen frozen;
    for (net::SocketId id : state->Sockets()) {
      auto exported = stack_.Export(id);
      if (!exported.ok()) {
        gateway_.Thaw();
        result = absl::InternalError(
            absl::StrCat("socket ", id, " cannot be handed over: ", exported.status().message()));
        return;
      }
      frozen.fds.push_back(exported->first);
      handed.sockets.push_back({id, std::move(exported->second), ""});
    }
    for (const auto& listener : unix_listeners_) {
      frozen.fds.push_back(listener->fd());
      handed.listeners.push_back("unix:" + listener->path());
    }
    handed.gateway = std::move(*state);
    frozen.state = EncodeState(handed);
    result = std::move(frozen);
  });
  return result;
}

void ServiceHandoverHost::Thaw(const absl::Status& why) {
  spdlog::warn("handover failed ({}); serving on", why.ToString());
  RunOnStack(stack_, [&] { gateway_.Thaw(); });
}

void ServiceHandoverHost::Release() {
  RunOnStack(stack_, [&] { gateway_.Release(); });
  service_.StopStreams(core::Error(core::Reason::kHandedOver,
                                   "sctpgw has handed over to a new process; reconnect to it"));
  if (stop_serving_) stop_serving_();
  for (auto& listener : unix_listeners_) listener->Detach();
}

absl::StatusOr<std::map<std::string, net::UniqueFd>> AdoptHandedOver(
    net::KernelSctpStack& stack, core::Gateway& gateway, HandoverState state,
    std::vector<net::UniqueFd> fds, std::map<net::SocketId, net::SocketId>* adopted_out) {
  if (fds.size() != state.sockets.size() + state.listeners.size()) {
    return absl::InvalidArgumentError("handover: descriptors and state do not match");
  }
  absl::Status restored;
  RunOnStack(stack, [&] {
    std::map<net::SocketId, net::SocketId> adopted;
    for (size_t i = 0; i < state.sockets.size(); ++i) {
      const HandedSocket& socket = state.sockets[i];
      auto id = stack.Adopt(std::move(fds[i]), socket.carry);
      if (!id.ok()) {
        // The core reports what it held on this socket as lost.
        spdlog::error("handover: socket {} refused: {}", socket.id, id.status().ToString());
        continue;
      }
      adopted[socket.id] = *id;
    }
    restored = gateway.Restore(std::move(state.gateway), adopted);
    if (!restored.ok()) {
      for (const auto& [from, to] : adopted) stack.Close(to);
    } else if (adopted_out != nullptr) {
      *adopted_out = adopted;
    }
  });
  if (!restored.ok()) return restored;
  std::map<std::string, net::UniqueFd> listeners;
  for (size_t i = 0; i < state.listeners.size(); ++i) {
    listeners[state.listeners[i]] = std::move(fds[state.sockets.size() + i]);
  }
  return listeners;
}

}  // namespace sctpgw::handover
