#include "server/net/message_assembler.h"

namespace sctpgw::net {

AssemblyResult MessageAssembler::Add(const ReceiveResult& piece,
                                     absl::Span<const uint8_t> bytes) {
  if (discarding_ && !piece.notification) {
    if (piece.end_of_record) discarding_ = false;
    return NothingReady{};
  }
  if (partial_.empty()) partial_info_ = piece;
  if (partial_.size() + bytes.size() > max_message_bytes_) {
    partial_.clear();
    discarding_ = !piece.end_of_record;
    return OversizedMessage{partial_info_.assoc_id};
  }
  partial_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!piece.end_of_record) return NothingReady{};

  AssembledMessage whole;
  whole.info = partial_info_;
  whole.info.length = partial_.size();
  whole.info.end_of_record = true;
  whole.bytes.swap(partial_);
  return whole;
}

std::optional<PartialMessage> MessageAssembler::Partial() const {
  if (partial_.empty()) return std::nullopt;
  PartialMessage partial;
  partial.notification = partial_info_.notification;
  partial.has_info = partial_info_.has_info;
  partial.assoc_id = partial_info_.assoc_id;
  partial.stream = partial_info_.stream;
  partial.ssn = partial_info_.ssn;
  partial.tsn = partial_info_.tsn;
  partial.ppid = partial_info_.ppid;
  partial.unordered = partial_info_.unordered;
  partial.bytes = partial_;
  return partial;
}

void MessageAssembler::Restore(const std::optional<PartialMessage>& partial, bool discarding) {
  discarding_ = discarding;
  partial_.clear();
  partial_info_ = ReceiveResult();
  // A partial message larger than this process's maximum (a taker with a
  // smaller max_message_bytes) is kept: its next piece overflows it and it
  // is reported oversized, as it would have been here from the start,
  // rather than its tail delivered as a message of its own.
  if (!partial.has_value()) return;
  partial_info_.notification = partial->notification;
  partial_info_.has_info = partial->has_info;
  partial_info_.assoc_id = partial->assoc_id;
  partial_info_.stream = partial->stream;
  partial_info_.ssn = partial->ssn;
  partial_info_.tsn = partial->tsn;
  partial_info_.ppid = partial->ppid;
  partial_info_.unordered = partial->unordered;
  partial_ = partial->bytes;
}

}  // namespace sctpgw::net
