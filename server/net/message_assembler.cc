#include "server/net/message_assembler.h"

namespace sctpgw::net {

MessageAssembler::Key MessageAssembler::KeyOf(bool notification, sctp_assoc_t assoc_id,
                                              uint16_t stream, bool unordered) {
  // Notifications are never interleaved with one another.
  if (notification) return Key{true, 0, 0, false};
  return Key{false, assoc_id, stream, unordered};
}

AssemblyResult MessageAssembler::Add(const ReceiveResult& piece,
                                     absl::Span<const uint8_t> bytes) {
  if (discarding_ && !piece.notification) {
    if (piece.end_of_record) discarding_ = false;
    return NothingReady{};
  }
  Key key = KeyOf(piece.notification, piece.assoc_id, piece.stream, piece.unordered);
  if (!piece.notification && !piece.has_info) {
    // A piece the kernel said nothing of continues the one message under
    // way, if there is one (without interleaving there is at most one).
    for (const auto& [held, pending] : pending_) {
      if (!held.notification) key = held;
    }
  }
  auto [it, first] = pending_.try_emplace(key);
  Pending& pending = it->second;
  if (pending.discarding) {
    if (piece.end_of_record) pending_.erase(it);
    return NothingReady{};
  }
  if (first) pending.info = piece;
  if (pending.bytes.size() + bytes.size() > max_message_bytes_ && deliver_in_pieces_ &&
      !piece.notification) {
    pending.bytes.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const bool complete = piece.end_of_record;
    CutParts(pending, complete);
    if (complete) pending_.erase(it);
    auto part = TakeReady();
    if (!part.has_value()) return NothingReady{};
    return *std::move(part);
  }
  if (pending.bytes.size() + bytes.size() > max_message_bytes_) {
    const sctp_assoc_t assoc_id = pending.info.assoc_id;
    if (piece.end_of_record) {
      pending_.erase(it);
    } else {
      pending.bytes.clear();
      pending.discarding = true;
    }
    return OversizedMessage{assoc_id};
  }
  pending.bytes.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!piece.end_of_record) return NothingReady{};

  if (pending.offset > 0) {
    // The last part of a long message.
    CutParts(pending, /*complete=*/true);
    pending_.erase(it);
    return *TakeReady();
  }
  AssembledMessage whole;
  whole.info = pending.info;
  whole.info.length = pending.bytes.size();
  whole.info.end_of_record = true;
  whole.bytes.swap(pending.bytes);
  pending_.erase(it);
  return whole;
}

void MessageAssembler::CutParts(Pending& pending, bool complete) {
  auto emit = [&](size_t length, bool more) {
    AssembledMessage part;
    part.info = pending.info;
    part.info.length = length;
    part.info.end_of_record = true;
    part.bytes = pending.bytes.substr(0, length);
    part.offset = pending.offset;
    part.more_follows = more;
    pending.bytes.erase(0, length);
    pending.offset += length;
    ready_.push_back(std::move(part));
  };
  // A part is cut only once more is known to follow it: the last part is
  // never empty.
  while (pending.bytes.size() > max_message_bytes_) emit(max_message_bytes_, true);
  if (complete) emit(pending.bytes.size(), false);
}

std::optional<AssembledMessage> MessageAssembler::TakeReady() {
  if (ready_.empty()) return std::nullopt;
  AssembledMessage part = std::move(ready_.front());
  ready_.pop_front();
  return part;
}

void MessageAssembler::StopDiscarding() {
  discarding_ = false;
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = it->second.discarding ? pending_.erase(it) : std::next(it);
  }
}

sctp_assoc_t MessageAssembler::partial_assoc_id() const {
  for (const auto& [key, pending] : pending_) {
    if (!pending.discarding) return pending.info.assoc_id;
  }
  return 0;
}

bool MessageAssembler::holds_pieces() const {
  for (const auto& [key, pending] : pending_) {
    if (!pending.discarding) return true;
  }
  return false;
}

std::vector<PartialMessage> MessageAssembler::Partials() const {
  std::vector<PartialMessage> partials;
  for (const auto& [key, pending] : pending_) {
    PartialMessage partial;
    partial.notification = pending.info.notification;
    partial.has_info = pending.info.has_info;
    partial.assoc_id = pending.info.assoc_id;
    partial.stream = pending.info.stream;
    partial.ssn = pending.info.ssn;
    partial.tsn = pending.info.tsn;
    partial.ppid = pending.info.ppid;
    partial.unordered = pending.info.unordered;
    partial.bytes = pending.bytes;
    partial.offset = pending.offset;
    partial.source = pending.info.source;
    partial.discarding = pending.discarding;
    partials.push_back(std::move(partial));
  }
  return partials;
}

void MessageAssembler::Restore(const std::vector<PartialMessage>& partials, bool discarding) {
  discarding_ = discarding;
  pending_.clear();
  // A partial message larger than this process's maximum (a taker with a
  // smaller max_message_bytes) is kept: its next piece overflows it and it
  // is reported oversized, as it would have been here from the start,
  // rather than its tail delivered as a message of its own.
  for (const PartialMessage& partial : partials) {
    Pending& pending =
        pending_[KeyOf(partial.notification, partial.assoc_id, partial.stream, partial.unordered)];
    pending.info.notification = partial.notification;
    pending.info.has_info = partial.has_info;
    pending.info.assoc_id = partial.assoc_id;
    pending.info.stream = partial.stream;
    pending.info.ssn = partial.ssn;
    pending.info.tsn = partial.tsn;
    pending.info.ppid = partial.ppid;
    pending.info.unordered = partial.unordered;
    pending.bytes = partial.bytes;
    pending.offset = partial.offset;
    pending.info.source = partial.source;
    pending.discarding = partial.discarding;
  }
}

}  // namespace sctpgw::net
