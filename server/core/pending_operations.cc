#include "server/core/pending_operations.h"

#include <algorithm>

#include "server/core/overloaded.h"

namespace sctpgw::core {
namespace {

std::chrono::milliseconds UntilDeadline(Deadline deadline, std::chrono::milliseconds margin) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  margin = std::clamp(left / 20, margin, std::max(margin, std::chrono::milliseconds(250)));
  // Keep the margin only when there is time to spare for it.
  if (left > 2 * margin) left -= margin;
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

}  // namespace

const char* OperationName(const Operation& operation) {
  return std::visit(Overloaded{
                        [](const AssociateOperation&) { return "associate"; },
                        [](const SendOperation&) { return "send"; },
                        [](const ReceiveOperation&) { return "receive"; },
                        [](const ShutdownOperation&) { return "shutdown"; },
                    },
                    operation);
}

PendingOperations::PendingOperations(net::TaskRunner& runner,
                                     std::chrono::milliseconds deadline_margin,
                                     std::function<void(OperationId)> expired)
    : runner_(runner), margin_(deadline_margin), expired_(std::move(expired)) {}

PendingOperations::~PendingOperations() {
  for (auto& [id, entry] : operations_) runner_.CancelTimer(entry.timer);
}

OperationId PendingOperations::Add(Operation operation, Deadline deadline) {
  OperationId id = next_id_++;
  net::TimerId timer = runner_.StartTimer(UntilDeadline(deadline, margin_), [this, id] {
    auto it = operations_.find(id);
    if (it == operations_.end()) return;
    it->second.timer = 0;
    expired_(id);
  });
  operations_.emplace(id, Entry{std::move(operation), timer});
  return id;
}

Operation* PendingOperations::Find(OperationId id) {
  auto it = operations_.find(id);
  return it == operations_.end() ? nullptr : &it->second.operation;
}

std::optional<Operation> PendingOperations::Take(OperationId id) {
  auto it = operations_.find(id);
  if (it == operations_.end()) return std::nullopt;
  runner_.CancelTimer(it->second.timer);
  Operation operation = std::move(it->second.operation);
  operations_.erase(it);
  return operation;
}

void PendingOperations::Fail(Operation operation, const absl::Status& status) {
  std::visit([&](auto& op) { Deliver(runner_, std::move(op.done), status); }, operation);
}

std::vector<OperationId> PendingOperations::ids() const {
  std::vector<OperationId> ids;
  for (const auto& [id, entry] : operations_) ids.push_back(id);
  return ids;
}

}  // namespace sctpgw::core
