#include "bench/memory_stack/memory_sctp_stack.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/net/errno_status.h"

namespace sctpgw::bench {
namespace {

using net::AssocId;
using net::SocketId;

// Messages delivered per drain task before it yields to other tasks.
constexpr int kDrainBatch = 64;

absl::Status NoSocket(SocketId socket) {
  return absl::NotFoundError(absl::StrCat("memory stack: no socket ", socket));
}

std::unique_ptr<net::EventLoop> NewLoop() {
  auto loop = net::EventLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "memory stack: %s\n", loop.status().ToString().c_str());
    std::abort();
  }
  return std::move(*loop);
}

}  // namespace

MemorySctpStack::MemorySctpStack(Options options) : options_(options), loop_(NewLoop()) {}

MemorySctpStack::~MemorySctpStack() { loop_->Stop(); }

absl::StatusOr<SocketId> MemorySctpStack::OpenEndpoint(const net::EndpointConfig& config) {
  Socket socket;
  socket.addresses = config.addresses;
  if (socket.addresses.empty()) socket.addresses.emplace_back();
  socket.port = socket.addresses.front().port();
  if (socket.port == 0) socket.port = next_port_++;
  for (auto& address : socket.addresses) address.set_port(socket.port);
  socket.listen = config.listen;
  SocketId id = next_socket_++;
  sockets_.emplace(id, std::move(socket));
  return id;
}

absl::StatusOr<uint16_t> MemorySctpStack::LocalPort(SocketId endpoint) {
  auto it = sockets_.find(endpoint);
  if (it == sockets_.end()) return NoSocket(endpoint);
  return it->second.port;
}

absl::Status MemorySctpStack::ChangeAddresses(SocketId, const std::vector<net::SocketAddress>&,
                                              const std::vector<net::SocketAddress>&) {
  return absl::UnimplementedError("memory stack: no address changes");
}

absl::StatusOr<size_t> MemorySctpStack::MaxSendSize(SocketId) { return options_.max_message_bytes; }

net::Notification MemorySctpStack::Change(AssocId assoc_id, net::AssociationChange change,
                                          uint16_t streams) {
  net::Notification notification;
  notification.type = net::NotificationType::kAssociationChange;
  notification.assoc_id = assoc_id;
  notification.association_change = change;
  notification.inbound_streams = streams;
  notification.outbound_streams = streams;
  return notification;
}

absl::StatusOr<AssocId> MemorySctpStack::Connect(SocketId endpoint,
                                                 const std::vector<net::SocketAddress>& peers,
                                                 const net::InitParams& init) {
  auto from = sockets_.find(endpoint);
  if (from == sockets_.end()) return NoSocket(endpoint);
  if (peers.empty()) return absl::InvalidArgumentError("memory stack: no peer address");
  const uint16_t streams = init.num_ostreams != 0 ? init.num_ostreams : 10;
  const uint16_t port = peers.front().port();
  Association association;
  association.socket = endpoint;
  association.local_address = from->second.addresses.front();
  association.peer_address = peers.front();
  association.streams = streams;
  AssocId id = next_assoc_++;
  if (port == kDiscardPort || port == kEchoPort || port == kSourcePort) {
    association.peer = port == kDiscardPort ? Peer::kDiscard
                       : port == kEchoPort  ? Peer::kEcho
                                            : Peer::kSource;
    associations_.emplace(id, association);
    Deliver(endpoint, Change(id, net::AssociationChange::kCommUp, streams), 0);
    return id;
  }
  SocketId listener = 0;
  for (const auto& [socket_id, socket] : sockets_) {
    if (socket.listen && socket.port == port) listener = socket_id;
  }
  if (listener == 0) {
    association.up = false;
    associations_.emplace(id, association);
    Deliver(endpoint, Change(id, net::AssociationChange::kCantStartAssociation, 0), 0);
    return id;
  }
  AssocId remote_id = next_assoc_++;
  Association remote;
  remote.socket = listener;
  remote.local_address = peers.front();
  remote.peer_address = association.local_address;
  remote.streams = streams;
  remote.remote = id;
  association.remote = remote_id;
  associations_.emplace(id, association);
  associations_.emplace(remote_id, remote);
  Deliver(endpoint, Change(id, net::AssociationChange::kCommUp, streams), 0);
  Deliver(listener, Change(remote_id, net::AssociationChange::kCommUp, streams), 0);
  return id;
}

absl::StatusOr<SocketId> MemorySctpStack::PeelOff(SocketId endpoint, AssocId assoc_id) {
  Association* association = Find(endpoint, assoc_id);
  if (association == nullptr || !association->up) {
    return absl::NotFoundError(absl::StrCat("memory stack: no association ", assoc_id));
  }
  Socket socket;
  socket.one_to_many = false;
  socket.port = sockets_[endpoint].port;
  socket.addresses = {association->local_address};
  socket.assoc = assoc_id;
  SocketId id = next_socket_++;
  sockets_.emplace(id, std::move(socket));
  association->socket = id;
  if (association->peer == Peer::kSource) {
    Post([this, assoc_id] { Refill(assoc_id); });
  }
  return id;
}

AssocId MemorySctpStack::FindId(SocketId socket, AssocId assoc_id) const {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return 0;
  if (!it->second.one_to_many) assoc_id = it->second.assoc;
  auto association = associations_.find(assoc_id);
  if (association == associations_.end() || association->second.socket != socket) return 0;
  return assoc_id;
}

MemorySctpStack::Association* MemorySctpStack::Find(SocketId socket, AssocId assoc_id) {
  AssocId id = FindId(socket, assoc_id);
  return id == 0 ? nullptr : &associations_[id];
}

absl::Status MemorySctpStack::Send(SocketId socket, const net::SendInfo& info,
                                   absl::Span<const uint8_t> data) {
  if (info.control == net::SendInfo::Control::kEndOfFile) return Shutdown(socket, info.assoc_id);
  if (info.control == net::SendInfo::Control::kAbort) {
    return Abort(socket, info.assoc_id, absl::string_view(reinterpret_cast<const char*>(data.data()),
                                                          data.size()));
  }
  const AssocId from_assoc = FindId(socket, info.assoc_id);
  Association* association = from_assoc == 0 ? nullptr : &associations_[from_assoc];
  if (association == nullptr || !association->up) {
    return net::ErrnoStatus(EPIPE, "memory stack: send");
  }
  if (info.stream >= association->streams) return net::ErrnoStatus(EINVAL, "memory stack: stream");
  if (data.size() > options_.max_message_bytes) return net::ErrnoStatus(EMSGSIZE, "memory stack");
  switch (association->peer) {
    case Peer::kDiscard:
      discarded_messages_.fetch_add(1, std::memory_order_relaxed);
      discarded_bytes_.fetch_add(data.size(), std::memory_order_relaxed);
      return absl::OkStatus();
    case Peer::kSource:
      return absl::OkStatus();  // Taken and forgotten.
    case Peer::kEcho:
    case Peer::kLocal: {
      const AssocId to_assoc = association->peer == Peer::kEcho ? from_assoc : association->remote;
      auto to = associations_.find(to_assoc);
      if (to == associations_.end()) return net::ErrnoStatus(EPIPE, "memory stack: send");
      Socket& receiver = sockets_[to->second.socket];
      if (receiver.inbound_bytes >= options_.window_bytes) {
        association->writer_blocked = true;
        return net::ErrnoStatus(EAGAIN, "memory stack: send");
      }
      net::InboundMessage message;
      message.assoc_id = to_assoc;
      message.stream = info.stream;
      message.ppid = info.ppid;
      message.unordered = info.unordered;
      message.payload.assign(reinterpret_cast<const char*>(data.data()), data.size());
      Deliver(to->second.socket, std::move(message), data.size());
      return absl::OkStatus();
    }
  }
  return absl::InternalError("memory stack: unknown peer");
}

void MemorySctpStack::Deliver(SocketId socket, Inbound item, size_t bytes) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  it->second.inbound.push_back(std::move(item));
  it->second.inbound_bytes += bytes;
  ScheduleDrain(socket);
}

void MemorySctpStack::ScheduleDrain(SocketId socket) {
  Socket& s = sockets_[socket];
  if (s.drain_scheduled || s.paused || s.inbound.empty()) return;
  s.drain_scheduled = true;
  Post([this, socket] { Drain(socket); });
}

void MemorySctpStack::Drain(SocketId socket) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  it->second.drain_scheduled = false;
  for (int i = 0; i < kDrainBatch; ++i) {
    it = sockets_.find(socket);  // The observer may close it.
    if (it == sockets_.end() || it->second.paused || it->second.inbound.empty()) break;
    Inbound item = std::move(it->second.inbound.front());
    it->second.inbound.pop_front();
    if (auto* message = std::get_if<net::InboundMessage>(&item)) {
      const size_t before = it->second.inbound_bytes;
      it->second.inbound_bytes -= message->payload.size();
      const AssocId assoc_id = message->assoc_id;
      // A writer held back by this window may go on once half is read.
      if (before >= options_.window_bytes / 2 &&
          it->second.inbound_bytes < options_.window_bytes / 2) {
        auto association = associations_.find(assoc_id);
        if (association != associations_.end()) {
          AssocId writer = association->second.peer == Peer::kLocal ? association->second.remote
                                                                     : assoc_id;
          auto blocked = associations_.find(writer);
          if (blocked != associations_.end() && blocked->second.writer_blocked) {
            blocked->second.writer_blocked = false;
            SocketId writer_socket = blocked->second.socket;
            Post([this, writer_socket] {
              if (observer_ != nullptr && sockets_.count(writer_socket) != 0) {
                observer_->OnWritable(writer_socket);
              }
            });
          }
        }
      }
      if (observer_ != nullptr) observer_->OnMessage(socket, std::move(*message));
      auto association = associations_.find(assoc_id);
      if (association != associations_.end() && association->second.peer == Peer::kSource) {
        Refill(assoc_id);
      }
    } else if (observer_ != nullptr) {
      observer_->OnNotification(socket, std::move(std::get<net::Notification>(item)));
    }
  }
  it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  if (it->second.close_when_drained && it->second.inbound.empty()) {
    sockets_.erase(it);
    Post([this, socket] {
      if (observer_ != nullptr) observer_->OnClosed(socket);
    });
    return;
  }
  ScheduleDrain(socket);
}

void MemorySctpStack::Refill(AssocId assoc_id) {
  auto association = associations_.find(assoc_id);
  if (association == associations_.end() || !association->second.up) return;
  const SocketId socket = association->second.socket;
  auto it = sockets_.find(socket);
  if (it == sockets_.end() || it->second.one_to_many) return;
  while (it->second.inbound_bytes + options_.source_bytes <= options_.window_bytes) {
    net::InboundMessage message;
    message.assoc_id = assoc_id;
    message.ppid = kSourcePort;
    message.payload.assign(options_.source_bytes, 's');
    it->second.inbound.push_back(std::move(message));
    it->second.inbound_bytes += options_.source_bytes;
  }
  ScheduleDrain(socket);
}

void MemorySctpStack::Ended(AssocId assoc_id, net::AssociationChange change, bool shutdown_event) {
  auto association = associations_.find(assoc_id);
  if (association == associations_.end() || !association->second.up) return;
  association->second.up = false;
  if (shutdown_event) {
    net::Notification shutdown;
    shutdown.type = net::NotificationType::kShutdown;
    shutdown.assoc_id = assoc_id;
    Deliver(association->second.socket, shutdown, 0);
  }
  Deliver(association->second.socket, Change(assoc_id, change, 0), 0);
}

absl::Status MemorySctpStack::Shutdown(SocketId socket, AssocId assoc_id) {
  const AssocId id = FindId(socket, assoc_id);
  if (id == 0) return net::ErrnoStatus(EINVAL, "memory stack: shutdown");
  Association* association = &associations_[id];
  const AssocId remote = association->peer == Peer::kLocal ? association->remote : 0;
  Ended(id, net::AssociationChange::kShutdownComplete, false);
  if (remote != 0) Ended(remote, net::AssociationChange::kShutdownComplete, true);
  return absl::OkStatus();
}

absl::Status MemorySctpStack::Abort(SocketId socket, AssocId assoc_id, absl::string_view) {
  const AssocId id = FindId(socket, assoc_id);
  if (id == 0) return net::ErrnoStatus(EINVAL, "memory stack: abort");
  Association* association = &associations_[id];
  const AssocId remote = association->peer == Peer::kLocal ? association->remote : 0;
  Ended(id, net::AssociationChange::kCommLost, false);
  if (remote != 0) Ended(remote, net::AssociationChange::kCommLost, false);
  return absl::OkStatus();
}

void MemorySctpStack::PauseReading(SocketId socket, bool paused) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  it->second.paused = paused;
  ScheduleDrain(socket);
}

absl::StatusOr<net::AssociationStatus> MemorySctpStack::Status(SocketId socket, AssocId assoc_id) {
  Association* association = Find(socket, assoc_id);
  if (association == nullptr) return net::ErrnoStatus(EINVAL, "memory stack: status");
  net::AssociationStatus status;
  status.state = association->up ? net::ProtocolState::kEstablished : net::ProtocolState::kClosed;
  status.inbound_streams = association->streams;
  status.outbound_streams = association->streams;
  status.peer_rwnd = static_cast<uint32_t>(options_.window_bytes);
  status.primary_address = association->peer_address;
  status.primary_state = net::PathState::kActive;
  return status;
}

absl::StatusOr<std::vector<net::SocketAddress>> MemorySctpStack::LocalAddresses(SocketId socket,
                                                                                AssocId assoc_id) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return NoSocket(socket);
  if (Association* association = Find(socket, assoc_id); association != nullptr) {
    return std::vector<net::SocketAddress>{association->local_address};
  }
  return it->second.addresses;
}

absl::StatusOr<std::vector<net::SocketAddress>> MemorySctpStack::PeerAddresses(SocketId socket,
                                                                               AssocId assoc_id) {
  Association* association = Find(socket, assoc_id);
  if (association == nullptr) return net::ErrnoStatus(EINVAL, "memory stack: peer addresses");
  return std::vector<net::SocketAddress>{association->peer_address};
}

absl::StatusOr<net::PathInfo> MemorySctpStack::Path(SocketId socket, AssocId assoc_id,
                                                    const net::SocketAddress& peer) {
  if (Find(socket, assoc_id) == nullptr) return net::ErrnoStatus(EINVAL, "memory stack: path");
  net::PathInfo path;
  path.address = peer;
  path.state = net::PathState::kActive;
  return path;
}

absl::Status MemorySctpStack::SetPrimary(SocketId, AssocId, const net::SocketAddress&) {
  return absl::OkStatus();
}

absl::StatusOr<net::PathParameters> MemorySctpStack::Parameters(SocketId socket, AssocId assoc_id) {
  if (Find(socket, assoc_id) == nullptr) return net::ErrnoStatus(EINVAL, "memory stack: parameters");
  return net::PathParameters{};
}

absl::Status MemorySctpStack::SetParameters(SocketId, AssocId, const net::PathParameters&) {
  return absl::OkStatus();
}

absl::Status MemorySctpStack::SetPathParameters(SocketId, AssocId, const net::SocketAddress&,
                                                const net::PathParameters&) {
  return absl::OkStatus();
}

absl::Status MemorySctpStack::SetPeerPrimary(SocketId, AssocId, const net::SocketAddress&) {
  return absl::UnimplementedError("memory stack: no peer primary");
}

absl::Status MemorySctpStack::ReconfigureStreams(SocketId, AssocId,
                                                 const net::StreamReconfigRequest&) {
  return absl::UnimplementedError("memory stack: no stream reconfiguration");
}

absl::Status MemorySctpStack::SetStreamScheduling(SocketId, AssocId, net::StreamScheduler,
                                                  const std::vector<net::StreamValue>&) {
  return absl::UnimplementedError("memory stack: no stream scheduling");
}

absl::StatusOr<net::StreamSettings> MemorySctpStack::Streams(SocketId, AssocId,
                                                             const std::vector<uint16_t>&) {
  return absl::UnimplementedError("memory stack: no stream settings");
}

absl::Status MemorySctpStack::ChangeAuthKey(SocketId, AssocId, const net::AuthKeyChange&) {
  return absl::UnimplementedError("memory stack: no AUTH");
}

absl::StatusOr<net::AuthStatus> MemorySctpStack::Auth(SocketId, AssocId) {
  return absl::UnimplementedError("memory stack: no AUTH");
}

absl::StatusOr<net::SocketSettings> MemorySctpStack::Settings(SocketId) {
  return net::SocketSettings{};
}

absl::StatusOr<net::AssociationStatistics> MemorySctpStack::Statistics(SocketId, AssocId) {
  return absl::UnimplementedError("memory stack: no statistics");
}

absl::StatusOr<net::PrSctpStatus> MemorySctpStack::PrSctp(SocketId, AssocId,
                                                          const std::vector<uint16_t>&) {
  return absl::UnimplementedError("memory stack: no PR-SCTP");
}

absl::Status MemorySctpStack::RequestHeartbeat(SocketId, AssocId,
                                               const std::optional<net::SocketAddress>&) {
  return absl::UnimplementedError("memory stack: no heartbeats");
}

void MemorySctpStack::Close(SocketId socket) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  // Associations on it end; a local peer sees its side shut down.
  for (auto& [id, association] : associations_) {
    if (association.socket != socket || !association.up) continue;
    association.up = false;
    if (association.peer == Peer::kLocal) {
      Ended(association.remote, net::AssociationChange::kShutdownComplete, true);
    }
  }
  sockets_.erase(it);
}

void MemorySctpStack::CloseWhenDrained(SocketId socket) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  it->second.close_when_drained = true;
  it->second.paused = false;
  if (it->second.inbound.empty()) {
    sockets_.erase(it);
    Post([this, socket] {
      if (observer_ != nullptr) observer_->OnClosed(socket);
    });
    return;
  }
  ScheduleDrain(socket);
}

}  // namespace sctpgw::bench
