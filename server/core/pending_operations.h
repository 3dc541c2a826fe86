// The operations that wait — Associate until COMM_UP, Send while the
// kernel's buffer is full, Receive until a message comes, a graceful
// Shutdown until SHUTDOWN_COMP — each with its deadline timer. An operation
// ends exactly once: taken out of the table, its timer cancelled, and its
// `done` posted to the core's thread, so that a completion never runs inside
// the call that started it (callers need no defence against re-entry).
// Runs on the core's thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/gateway_types.h"
#include "server/net/task_runner.h"

namespace sctpgw::core {

struct AssociateOperation {
  uint64_t association_id = 0;
  Done<AssociationInfo> done;
};

struct SendOperation {
  uint64_t association_id = 0;
  std::vector<OutboundMessage> messages;
  size_t next = 0;  // Messages handed to the kernel so far.
  Done<size_t> done;
};

struct ReceiveOperation {
  ReceiveSpec spec;  // Defaults filled in.
  Done<std::vector<ReceivedMessage>> done;
};

struct ShutdownOperation {
  uint64_t association_id = 0;
  Done<bool> done;
};

using Operation =
    std::variant<AssociateOperation, SendOperation, ReceiveOperation, ShutdownOperation>;

// "associate", "send", "receive", "shutdown": for messages.
const char* OperationName(const Operation& operation);

template <typename T>
struct NonDeduced {
  using type = T;
};

// Runs `done(result)` on `runner`'s thread after the current task.
template <typename T>
void Deliver(net::TaskRunner& runner, Done<T> done,
             typename NonDeduced<absl::StatusOr<T>>::type result) {
  runner.Post([done = std::move(done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

class PendingOperations {
 public:
  // `expired(id)` runs when operation `id` reaches its deadline (less the
  // margin, see Add); the operation is still in the table then.
  PendingOperations(net::TaskRunner& runner, std::chrono::milliseconds deadline_margin,
                    std::function<void(OperationId)> expired);
  ~PendingOperations();
  PendingOperations(const PendingOperations&) = delete;
  PendingOperations& operator=(const PendingOperations&) = delete;

  // Adds an operation that waits until `deadline`. Its timer fires a little
  // before (5% of the time left, at least the margin, at most 250 ms), so
  // that its answer, and for Receive the messages in it, are not lost to the
  // deadline racing it.
  OperationId Add(Operation operation, Deadline deadline);
  Operation* Find(OperationId id);
  template <typename T>
  T* FindAs(OperationId id) {
    Operation* operation = Find(id);
    return operation == nullptr ? nullptr : std::get_if<T>(operation);
  }
  // Takes the operation out of the table and cancels its timer; nothing if
  // it has already ended.
  std::optional<Operation> Take(OperationId id);
  // Ends operation `id` of kind T with `result`; false if it was not pending.
  template <typename T, typename R>
  bool Complete(OperationId id, R result) {
    T* operation = FindAs<T>(id);
    if (operation == nullptr) return false;
    auto done = std::move(operation->done);
    Take(id);
    Deliver(runner_, std::move(done), std::move(result));
    return true;
  }
  // Ends a taken operation of any kind with a failure.
  void Fail(Operation operation, const absl::Status& status);

  std::vector<OperationId> ids() const;
  size_t size() const { return operations_.size(); }
  net::TaskRunner& runner() { return runner_; }

 private:
  struct Entry {
    Operation operation;
    net::TimerId timer = 0;
  };

  net::TaskRunner& runner_;
  const std::chrono::milliseconds margin_;
  const std::function<void(OperationId)> expired_;
  std::map<OperationId, Entry> operations_;
  OperationId next_id_ = 1;
};

}  // namespace sctpgw::core
