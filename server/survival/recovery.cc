#include "server/survival/recovery.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/handover/service_handover.h"
#include "server/handover/state_codec.h"
#include "server/survival/ledger.h"

namespace sctpgw::survival {
namespace {

// Whether `socket` (the dead process's id) is an endpoint opened with
// message interleaving, or an association of one.
const core::EndpointInfo* EndpointOf(const core::GatewayState& state, net::SocketId socket) {
  uint64_t endpoint_id = 0;
  for (const core::AssociationRecord& association : state.associations) {
    if (association.socket == socket) endpoint_id = association.info.endpoint_id;
  }
  for (const core::EndpointRecord& endpoint : state.endpoints) {
    if (endpoint.socket == socket || endpoint.info.id == endpoint_id) return &endpoint.info;
  }
  return nullptr;
}

bool Interleaving(const core::GatewayState& state, net::SocketId socket) {
  const core::EndpointInfo* endpoint = EndpointOf(state, socket);
  return endpoint != nullptr && endpoint->interleaving;
}

// A state record larger than this is not one of sctpgw's.
constexpr size_t kMaxRecordBytes = 256 << 20;
// How far the event sequence jumps when the ledger did not survive: past
// anything the dead process can have handed out.
constexpr uint64_t kSequenceMargin = uint64_t{1} << 32;

absl::StatusOr<std::string> ReadRecord(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return absl::InternalError(absl::StrCat("fstat: ", std::strerror(errno)));
  if (!S_ISREG(st.st_mode) || static_cast<size_t>(st.st_size) > kMaxRecordBytes) {
    return absl::InvalidArgumentError("not a state record");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::InternalError("the state record cannot be read");
    done += static_cast<size_t>(n);
  }
  return bytes;
}

}  // namespace

absl::StatusOr<Recovered> Recover(FdStore& store, net::KernelSctpStack& stack,
                                  core::Gateway& gateway, std::vector<StoredFd> handed_back) {
  Recovered recovered;
  std::map<uint64_t, net::UniqueFd> records;  // By number, newest last.
  std::optional<net::UniqueFd> ledger_fd;
  std::map<std::string, net::UniqueFd> sockets;
  for (StoredFd& stored : handed_back) {
    uint64_t number = 0;
    if (absl::StartsWith(stored.name, "state-") &&
        absl::SimpleAtoi(stored.name.substr(6), &number) && number > 0) {
      records[number] = std::move(stored.fd);
    } else if (stored.name == "ledger") {
      ledger_fd = std::move(stored.fd);
    } else if (absl::StartsWith(stored.name, "sctp-")) {
      sockets[stored.name] = std::move(stored.fd);
    } else {
      spdlog::warn("crash recovery: ignoring a stored descriptor named \"{}\"", stored.name);
    }
  }
  if (handed_back.empty()) return recovered;

  // The newest record that decodes.
  std::optional<handover::HandoverState> state;
  for (auto it = records.rbegin(); it != records.rend() && !state.has_value(); ++it) {
    auto bytes = ReadRecord(it->second.get());
    auto decoded = bytes.ok() ? handover::DecodeState(*bytes) : bytes.status();
    if (decoded.ok()) {
      state = std::move(*decoded);
      recovered.kept.record = it->first;
    } else {
      spdlog::error("crash recovery: state record {} refused: {}", it->first,
                    decoded.status().ToString());
    }
  }
  for (const auto& [number, fd] : records) {
    if (number != recovered.kept.record) (void)store.Remove(absl::StrCat("state-", number));
  }
  if (!state.has_value()) {
    spdlog::error("crash recovery: no usable state record; closing the {} stored sockets",
                  sockets.size());
    for (const auto& [name, fd] : sockets) (void)store.Remove(name);
    return recovered;
  }

  // A record written by a stop for a restart holds everything: what the
  // ledger says a crash would have lost was not lost.
  const bool complete = state->complete;
  recovered.complete = complete;
  std::optional<LedgerContents> ledger;
  if (ledger_fd.has_value()) {
    auto read = Ledger::Read(ledger_fd->get());
    if (read.ok()) {
      ledger = std::move(*read);
    } else {
      spdlog::error("crash recovery: ledger refused: {}", read.status().ToString());
    }
  }
  core::GatewayState& gateway_state = state->gateway;
  gateway_state.events.last_sequence =
      ledger.has_value() ? std::max(ledger->last_sequence, gateway_state.events.last_sequence)
      : complete         ? gateway_state.events.last_sequence
                         : gateway_state.events.last_sequence + kSequenceMargin;

  // Messages lost, by association: what was queued, and one for each
  // message whose first pieces were held; and what was being written.
  std::map<uint64_t, LedgerContents::Held> lost;
  if (ledger.has_value() && !complete) lost = ledger->held;
  std::vector<net::UniqueFd> fds;
  std::vector<handover::HandedSocket> handed;
  std::map<net::SocketId, std::string> names;  // The dead process's ids.
  if (ledger.has_value() && !complete && ledger->reading_socket != 0) {
    // What it was reading when it died may be lost: perhaps one message.
    for (const core::AssociationRecord& association : gateway_state.associations) {
      if (association.socket == ledger->reading_socket) {
        ++lost[association.info.id].unsettled;
        break;
      }
    }
  }
  for (handover::HandedSocket& socket : state->sockets) {
    auto fd = sockets.find(socket.fd_name);
    if (socket.fd_name.empty() || fd == sockets.end()) continue;  // Reported lost by Restore.
    if (ledger.has_value() && !complete) {
      if (auto mid = ledger->mid_message.find(socket.id); mid != ledger->mid_message.end()) {
        if (Interleaving(gateway_state, socket.id)) {
          // Pieces of several streams' messages arrive in turn there: which
          // pieces continue the messages whose starts died is not known.
          // The association ends (reported) rather than deliver one cut.
          spdlog::warn("crash recovery: socket {} was reading interleaved messages when sctpgw "
                       "died; its association is not restored",
                       socket.fd_name);
          (void)store.Remove(socket.fd_name);
          sockets.erase(fd);
          continue;
        }
        socket.carry.discarding = true;  // The rest of a message whose start died.
        if (mid->second.held) {
          for (const core::AssociationRecord& association : gateway_state.associations) {
            if (association.socket == socket.id ||
                (association.socket == 0 && association.info.kernel_id == mid->second.assoc_id)) {
              ++lost[association.info.id].queued;
              break;
            }
          }
        }
      }
    }
    // The socket's oversized-message policy is its endpoint's.
    if (const core::EndpointInfo* endpoint = EndpointOf(gateway_state, socket.id)) {
      socket.carry.abort_oversized = endpoint->abort_oversized_messages;
    }
    names[socket.id] = socket.fd_name;
    fds.push_back(std::move(fd->second));
    sockets.erase(fd);
    handed.push_back(std::move(socket));
  }
  state->sockets = std::move(handed);
  for (const auto& [name, fd] : sockets) {
    spdlog::warn("crash recovery: closing stored socket {}, which the state record does not name",
                 name);
    (void)store.Remove(name);
  }
  sockets.clear();

  std::map<net::SocketId, net::SocketId> adopted;
  auto listeners = handover::AdoptHandedOver(stack, gateway, std::move(*state), std::move(fds),
                                             &adopted);
  if (!listeners.ok()) {
    spdlog::error("crash recovery: the state record was refused: {}", listeners.status().ToString());
    for (const auto& [id, name] : names) (void)store.Remove(name);
    if (absl::IsInvalidArgument(listeners.status())) return recovered;
    return listeners.status();
  }
  recovered.restored = true;
  for (const auto& [from, to] : adopted) recovered.kept.sockets[to] = names[from];
  // Names of sockets that were not adopted go.
  for (const auto& [from, name] : names) {
    if (adopted.count(from) == 0) (void)store.Remove(name);
  }
  handover::RunOnStack(stack, [&] {
    for (const auto& [association_state, count] : gateway.Stats().associations) {
      recovered.associations += count;
    }
    for (const auto& [association_id, held] : lost) {
      std::string why = absl::StrCat(
          "sctpgw stopped unexpectedly and was restarted; ", held.queued,
          held.queued == 1 ? " message" : " messages",
          " it had read from the association and not yet delivered ",
          held.queued == 1 ? "was" : "were", " lost");
      if (held.unsettled != 0) {
        absl::StrAppend(&why, ", and ", held.unsettled, " it was writing to the application may"
                        " have been");
      }
      gateway.ReportLostMessages(association_id, held.queued, held.unsettled, why);
      recovered.messages_lost += held.queued;
      recovered.messages_unconfirmed += held.unsettled;
    }
    if (!ledger.has_value() && !complete) {
      spdlog::error("crash recovery: no ledger: messages read and not delivered before the crash "
                    "cannot be counted");
    }
  });
  return recovered;
}

}  // namespace sctpgw::survival
