#include "server/core/receive_dispatcher.h"

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"

namespace sctpgw::core {

absl::StatusOr<ReceiveSpec> ReceiveDispatcher::Validate(const ReceiveSpec& spec,
                                                        const Limits& limits) {
  if ((spec.association_id == 0) == (spec.endpoint_id == 0)) {
    return Error(Reason::kInvalidArgument,
                 "receive needs exactly one of association_id and endpoint_id",
                 {{"field", "target"}});
  }
  if (spec.max_messages > limits.max_messages_per_receive) {
    return Error(Reason::kInvalidArgument,
                 absl::StrCat("max_messages ", spec.max_messages, " is above the limit of ",
                              limits.max_messages_per_receive),
                 {{"field", "max_messages"},
                  {"limit", absl::StrCat(limits.max_messages_per_receive)}});
  }
  if (spec.max_bytes > limits.max_bytes_per_receive) {
    return Error(Reason::kInvalidArgument,
                 absl::StrCat("max_bytes ", spec.max_bytes, " is above the limit of ",
                              limits.max_bytes_per_receive),
                 {{"field", "max_bytes"}, {"limit", absl::StrCat(limits.max_bytes_per_receive)}});
  }
  ReceiveSpec filled = spec;
  if (filled.max_messages == 0) filled.max_messages = limits.default_messages_per_receive;
  if (filled.max_bytes == 0) filled.max_bytes = limits.default_bytes_per_receive;
  return filled;
}

bool ReceiveDispatcher::TryReceive(OperationId id) {
  ReceiveOperation* receive = pending_.FindAs<ReceiveOperation>(id);
  if (receive == nullptr) return false;
  const ReceiveSpec& spec = receive->spec;
  std::vector<ReceivedMessage> out;
  size_t bytes = 0;
  std::vector<uint64_t> drained;
  if (spec.association_id != 0) {
    Association* association = registry_.FindAssociation(spec.association_id);
    if (association == nullptr) return false;
    association->TakeMessages(spec.max_messages, spec.max_bytes, &out, &bytes);
    if (!out.empty()) drained.push_back(association->id());
  } else {
    Endpoint* endpoint = registry_.FindEndpoint(spec.endpoint_id);
    if (endpoint == nullptr) return false;
    for (uint64_t association_id : endpoint->RoundRobin()) {
      if (out.size() >= spec.max_messages || bytes >= spec.max_bytes) break;
      Association* association = registry_.FindAssociation(association_id);
      if (association == nullptr || !association->has_messages()) continue;
      association->TakeMessages(spec.max_messages, spec.max_bytes, &out, &bytes);
      drained.push_back(association_id);
      endpoint->next_receive_from = association_id;
    }
  }
  if (out.empty()) return false;
  pending_.Complete<ReceiveOperation>(id, std::move(out));
  for (uint64_t association_id : drained) {
    Association* association = registry_.FindAssociation(association_id);
    if (association == nullptr) continue;
    UpdateReading(*association);
    if (association->read_out()) read_out_(association_id);
  }
  return true;
}

void ReceiveDispatcher::Serve(Association& association) {
  uint64_t association_id = association.id();
  uint64_t endpoint_id = association.endpoint_id();
  // Waiters on this association first, oldest first.
  while (!association.receivers().empty() && association.has_messages()) {
    OperationId id = association.receivers().front();
    association.receivers().erase(association.receivers().begin());
    TryReceive(id);
    if (registry_.FindAssociation(association_id) == nullptr) return;
  }
  Endpoint* endpoint = registry_.FindEndpoint(endpoint_id);
  if (endpoint == nullptr) return;
  while (!endpoint->receivers.empty()) {
    Association* current = registry_.FindAssociation(association_id);
    if (current == nullptr || !current->has_messages()) return;
    OperationId id = endpoint->receivers.front();
    endpoint->receivers.erase(endpoint->receivers.begin());
    TryReceive(id);
    endpoint = registry_.FindEndpoint(endpoint_id);
    if (endpoint == nullptr) return;
  }
}

void ReceiveDispatcher::UpdateReading(Association& association) {
  switch (association.UpdateReading()) {
    case Association::Reading::kPause:
      stack_.PauseReading(association.socket(), true);
      break;
    case Association::Reading::kResume:
      stack_.PauseReading(association.socket(), false);
      break;
    case Association::Reading::kUnchanged:
      break;
  }
}

}  // namespace sctpgw::core
