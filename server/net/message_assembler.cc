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

}  // namespace sctpgw::net
