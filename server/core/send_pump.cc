#include "server/core/send_pump.h"

#include <cerrno>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/net/errno_status.h"

namespace sctpgw::core {
namespace {

// The kernel refused message `index`: which error that is for the caller.
absl::Status SendError(const absl::Status& status, size_t index) {
  const int error = net::StatusErrno(status);
  std::string what = absl::StrCat("sending message ", index);
  if (error == ECONNRESET || error == EPIPE || error == ENOTCONN) {
    // The peer aborted and its COMM_LOST is not read yet (the ABORT freed
    // the send buffer first): the association is lost.
    return Error(Reason::kAssociationLost, absl::StrCat(what, ": ", status.message()),
                 {{"errno", absl::StrCat(error)}});
  }
  if (error == EMSGSIZE) {
    // SCTP_DISABLE_FRAGMENTS and a message beyond the fragmentation point.
    return Error(Reason::kMessageTooLargeForPath,
                 absl::StrCat("message ", index,
                              " is larger than the association's fragmentation point and the "
                              "endpoint was opened with disable_fragments"),
                 {{"field", absl::StrCat("messages[", index, "].payload")}});
  }
  if (error == ESHUTDOWN) {
    // A SHUTDOWN (the peer's, not read yet) is under way.
    return Error(Reason::kAssociationNotEstablished, absl::StrCat(what, ": ", status.message()),
                 {{"errno", absl::StrCat(error)}});
  }
  return FromKernel(status, what);
}

}  // namespace

absl::Status ValidateMessages(const Association& association,
                              const std::vector<OutboundMessage>& messages, size_t max_size,
                              const Limits& limits) {
  if (messages.empty()) {
    return Error(Reason::kInvalidArgument, "send needs at least one message",
                 {{"field", "messages"}});
  }
  if (messages.size() > limits.max_messages_per_send) {
    return LimitExceeded("max_messages_per_send", limits.max_messages_per_send,
                         absl::StrCat(messages.size(), " messages in one send; the limit is ",
                                      limits.max_messages_per_send));
  }
  const AssociationInfo& info = association.info();
  for (size_t i = 0; i < messages.size(); ++i) {
    const OutboundMessage& m = messages[i];
    std::string field = absl::StrCat("messages[", i, "]");
    if (m.stream >= info.outbound_streams) {
      return Error(Reason::kStreamOutOfRange,
                   absl::StrCat(field, ".stream ", m.stream, " is beyond the ",
                                info.outbound_streams,
                                " outbound streams negotiated for association ", info.id),
                   {{"field", field + ".stream"},
                    {"outbound_streams", absl::StrCat(info.outbound_streams)}});
    }
    if (m.payload.empty()) {
      return Error(Reason::kEmptyMessage,
                   absl::StrCat(field, ".payload is empty; SCTP cannot send an empty message"),
                   {{"field", field + ".payload"}});
    }
    if (m.peer_address.has_value()) {
      bool known = false;
      for (const net::SocketAddress& peer : info.peer_addresses) {
        known = known || peer.Ip() == m.peer_address->Ip();
      }
      if (!known) {
        return Error(Reason::kInvalidAddress,
                     absl::StrCat(field, ".peer_address ", m.peer_address->Ip(),
                                  " is not a peer address of association ", info.id),
                     {{"field", field + ".peer_address"}});
      }
    }
    if (m.payload.size() > max_size) {
      return Error(Reason::kMessageTooLarge,
                   absl::StrCat(field, ".payload has ", m.payload.size(),
                                " bytes; the maximum message size is ", max_size),
                   {{"field", field + ".payload"}, {"max_message_bytes", absl::StrCat(max_size)}});
    }
  }
  return absl::OkStatus();
}

absl::Status WithAcceptedCount(const absl::Status& status, const SendOperation& send) {
  if (send.next == 0) return status;
  // Part of the batch is already with the kernel: say how much.
  absl::Status result(status.code(),
                      absl::StrCat(status.message(), "; the first ", send.next, " of ",
                                   send.messages.size(), " messages were accepted"));
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& value) { result.SetPayload(url, value); });
  AddErrorMetadata(&result, "accepted_messages", absl::StrCat(send.next));
  return result;
}

void SendPump::Pump(Association& association) {
  auto& outbound = association.outbound();
  while (!outbound.empty()) {
    OperationId id = outbound.front();
    Operation* operation = pending_.Find(id);
    if (operation == nullptr) {  // Ended (deadline, cancel) while queued.
      outbound.pop_front();
      continue;
    }
    if (std::holds_alternative<ShutdownOperation>(*operation)) {
      outbound.pop_front();
      absl::Status status = stack_.Shutdown(association.socket(), association.kernel_id());
      if (!status.ok()) {
        pending_.Fail(*pending_.Take(id), FromKernel(status, "starting the SHUTDOWN handshake"));
        return;
      }
      association.set_state(AssociationState::kShuttingDown);
      association.shutdowns().push_back(id);
      continue;  // Completes on SHUTDOWN_COMP.
    }
    if (!SendMessages(association, id, std::get<SendOperation>(*operation))) return;
  }
}

bool SendPump::SendMessages(Association& association, OperationId id, SendOperation& send) {
  while (send.next < send.messages.size()) {
    const OutboundMessage& m = send.messages[send.next];
    net::SendInfo info;
    info.assoc_id = association.kernel_id();
    info.stream = static_cast<uint16_t>(m.stream);
    info.ppid = m.ppid;
    info.unordered = m.unordered;
    info.pr_policy = m.pr_policy;
    info.pr_value = m.pr_value;
    info.context = m.context;
    if (m.peer_address.has_value()) {
      info.destination = *m.peer_address;
      info.destination->set_port(association.info().peer_port);
    }
    absl::Status status = stack_.Send(
        association.socket(), info,
        absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(m.payload.data()),
                                  m.payload.size()));
    if (!status.ok()) {
      if (net::StatusErrno(status) == EAGAIN) return false;  // OnWritable resumes.
      ++counters_.send_errors;
      absl::Status refused = SendError(status, send.next);
      if (net::StatusErrno(status) == EMSGSIZE) {
        // Say how large a message can be sent whole.
        auto kernel = stack_.Status(association.socket(), association.kernel_id());
        if (kernel.ok()) {
          AddErrorMetadata(&refused, "fragmentation_point",
                           absl::StrCat(kernel->fragmentation_point));
        }
      }
      absl::Status failure = WithAcceptedCount(refused, send);
      association.outbound().pop_front();
      pending_.Fail(*pending_.Take(id), failure);
      return true;  // The sends behind it go on.
    }
    ++counters_.messages_sent;
    counters_.bytes_sent += m.payload.size();
    if (captures_.open_count() != 0) {
      PassingMessage passing;
      passing.outbound = true;
      passing.peer = &m.peer_address;
      passing.stream = static_cast<uint16_t>(m.stream);
      passing.ppid = m.ppid;
      passing.unordered = m.unordered;
      passing.payload = m.payload;
      captures_.Offer(association, passing);
    }
    ++send.next;
  }
  association.outbound().pop_front();
  pending_.Complete<SendOperation>(id, send.next);
  return true;
}

}  // namespace sctpgw::core
