#include "server/net/kernel_sctp_stack.h"

#include <sys/epoll.h>

#include <cerrno>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/cord.h"
#include "server/net/errno_status.h"
#include "server/net/socket_settings.h"
#include "server/net/udp_encapsulation.h"

namespace sctpgw::net {
namespace {

// One read's worth; longer messages arrive in pieces and are reassembled.
constexpr size_t kReadChunkBytes = 64 * 1024;

absl::Status NotFound(SocketId id) {
  return absl::NotFoundError(absl::StrCat("no socket ", id));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KernelSctpStack>> KernelSctpStack::Create(
    SysCalls& sys, KernelSctpStackOptions options) {
  auto loop = EventLoop::Create();
  if (!loop.ok()) return loop.status();
  return std::unique_ptr<KernelSctpStack>(
      new KernelSctpStack(sys, options, std::move(*loop)));
}

KernelSctpStack::KernelSctpStack(SysCalls& sys, KernelSctpStackOptions options,
                                 std::unique_ptr<EventLoop> loop)
    : sys_(sys), options_(options), loop_(std::move(loop)), buffer_(kReadChunkBytes) {}

KernelSctpStack::~KernelSctpStack() { Stop(); }

void KernelSctpStack::Start() { loop_->Start(); }

void KernelSctpStack::Stop() {
  loop_->Stop();
  sockets_.clear();
}

absl::StatusOr<KernelSctpStack::Entry*> KernelSctpStack::Find(SocketId id) {
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return NotFound(id);
  return it->second.get();
}

absl::StatusOr<SocketId> KernelSctpStack::Adopt(SctpSocket socket) {
  absl::Status status = socket.SetNonBlocking(true);
  if (!status.ok()) return status;
  SocketId id = next_id_++;
  int fd = socket.fd();
  auto entry = std::make_unique<Entry>(std::move(socket), options_.max_message_bytes);
  status = loop_->Watch(fd, EPOLLIN, [this, id](uint32_t events) { OnReady(id, events); });
  if (!status.ok()) return status;
  sockets_.emplace(id, std::move(entry));
  if (keeper_ != nullptr) {
    keeper_->Kept(id, fd, sockets_[id]->socket.style() == SctpSocket::Style::kOneToMany);
  }
  return id;
}

void KernelSctpStack::KeepAll() {
  if (keeper_ == nullptr) return;
  for (const auto& [id, entry] : sockets_) {
    keeper_->Kept(id, entry->socket.fd(), entry->socket.style() == SctpSocket::Style::kOneToMany);
    if (entry->pieces.mid_message()) {
      keeper_->MidMessage(id, true, entry->pieces.holds_pieces(), entry->pieces.partial_assoc_id());
    }
  }
}

absl::StatusOr<SocketId> KernelSctpStack::OpenEndpoint(const EndpointConfig& config) {
  if (config.addresses.empty()) return absl::InvalidArgumentError("no local address");
  int family = AF_INET;
  for (const SocketAddress& address : config.addresses) {
    if (address.family() == AF_INET6) family = AF_INET6;
  }
  if (config.udp_encapsulation_port != 0) {
    // A socket created while net.sctp.udp_port is 0 would send plain SCTP
    // whatever its remote UDP port says.
    auto local = UdpEncapsulation().LocalPort();
    if (!local.ok()) return local.status();
    if (*local == 0) {
      return absl::FailedPreconditionError(
          "SCTP over UDP needs a local UDP port: net.sctp.udp_port is 0 (set sctpgw's "
          "sctp.udp_port, or the sysctl)");
    }
  }
  auto socket = SctpSocket::Open(sys_, family, SctpSocket::Style::kOneToMany);
  if (!socket.ok()) return socket.status();
  // Linux advertises half the receive buffer as the window, and doubles
  // what SO_RCVBUF is given: the window asked for is the value to set.
  const int receive_buffer = config.settings.receive_window_bytes.has_value()
                                 ? static_cast<int>(*config.settings.receive_window_bytes)
                                 : config.receive_buffer_bytes;
  absl::Status status = socket->SetBufferSizes(config.send_buffer_bytes, receive_buffer);
  if (!status.ok() && config.settings.receive_window_bytes.has_value()) {
    status.SetPayload(kRefusedSettingPayload, absl::Cord("receive_window_bytes"));
  }
  if (status.ok() && config.udp_encapsulation_port != 0) {
    status = socket->SetRemoteUdpPort(SCTP_FUTURE_ASSOC, config.udp_encapsulation_port);
  }
  if (status.ok()) status = socket->SetInitParams(config.init);
  if (status.ok()) status = ApplySocketSettings(sys_, socket->fd(), config.settings);
  if (status.ok()) status = socket->EnableReceiveInfo();
  if (status.ok()) status = socket->SubscribeEvents(SubscribedNotificationTypes());
  if (status.ok() && config.address_reconfiguration) {
    status = socket->EnableAddressReconfiguration();
  }
  StreamControl streams(sys_, socket->fd(), /*one_to_many=*/true);
  if (status.ok() && config.stream_reconfiguration.any()) {
    status = streams.EnableReconfiguration(SCTP_FUTURE_ASSOC, config.stream_reconfiguration);
  }
  if (status.ok() && !config.interleaving) streams.DisableInterleaving(SCTP_FUTURE_ASSOC);
  if (status.ok() && config.interleaving) {
    status = streams.EnableInterleaving(SCTP_FUTURE_ASSOC);
    if (StatusErrno(status) == EPERM) {
      return ErrnoStatus(EPERM,
                         "message interleaving needs the kernel's net.sctp.intl_enable = 1 (set "
                         "sctpgw's sctp.interleaving, or the sysctl)");
    }
  }
  if (status.ok()) status = streams.SetScheduler(SCTP_FUTURE_ASSOC, config.scheduler);
  if (status.ok() && (config.auth.enabled || !config.auth.chunk_types.empty() ||
                      !config.auth.keys.empty() || config.auth.active_key.has_value())) {
    status = AuthControl(sys_, socket->fd(), /*one_to_many=*/true).Configure(config.auth);
  }
  if (status.ok()) status = socket->Bind(config.addresses);
  if (status.ok()) {
    PathControl paths(sys_, socket->fd(), /*one_to_many=*/true);
    status = paths.SetParameters(SCTP_FUTURE_ASSOC, config.path_parameters);
  }
  if (status.ok() && config.listen) status = socket->Listen(config.backlog);
  if (!status.ok()) return status;
  auto id = Adopt(std::move(*socket));
  if (id.ok()) {
    Entry& entry = *sockets_[*id];
    entry.address_reconfiguration = config.address_reconfiguration;
    entry.bundle_messages = config.settings.bundle_messages;
    entry.pieces.set_deliver_in_pieces(!config.abort_oversized_messages);
  }
  return id;
}

absl::StatusOr<SocketSettings> KernelSctpStack::Settings(SocketId endpoint) {
  auto entry = Find(endpoint);
  if (!entry.ok()) return entry.status();
  return ReadSocketSettings(sys_, (*entry)->socket.fd());
}

absl::StatusOr<AssociationCounters> KernelSctpStack::CountersOf(SocketId id) {
  auto entry = Find(id);
  if (!entry.ok()) return entry.status();
  SctpSocket& s = (*entry)->socket;
  return AssociationCounters(sys_, s.fd(), s.style() == SctpSocket::Style::kOneToMany);
}

absl::StatusOr<AssociationStatistics> KernelSctpStack::Statistics(SocketId socket,
                                                                  sctp_assoc_t assoc_id) {
  auto counters = CountersOf(socket);
  if (!counters.ok()) return counters.status();
  auto statistics = counters->Statistics(assoc_id);
  if (!statistics.ok()) return statistics.status();
  // The kernel restarts its maximum at each read: keep the largest here.
  Entry& entry = *sockets_[socket];
  if (statistics->max_rto_ms >= entry.max_rto_ms && statistics->max_rto_path.has_value()) {
    entry.max_rto_ms = statistics->max_rto_ms;
    entry.max_rto_path = statistics->max_rto_path;
  }
  statistics->max_rto_ms = entry.max_rto_ms;
  statistics->max_rto_path = entry.max_rto_path;
  return statistics;
}

absl::StatusOr<PrSctpStatus> KernelSctpStack::PrSctp(SocketId socket, sctp_assoc_t assoc_id,
                                                     const std::vector<uint16_t>& streams) {
  auto counters = CountersOf(socket);
  if (!counters.ok()) return counters.status();
  return counters->PrSctp(assoc_id, streams);
}

absl::Status KernelSctpStack::RequestHeartbeat(SocketId socket, sctp_assoc_t assoc_id,
                                               const std::optional<SocketAddress>& peer) {
  auto paths = Paths(socket);
  if (!paths.ok()) return paths.status();
  return paths->RequestHeartbeat(assoc_id, peer.has_value() ? &*peer : nullptr);
}

absl::StatusOr<uint16_t> KernelSctpStack::LocalPort(SocketId endpoint) {
  auto entry = Find(endpoint);
  if (!entry.ok()) return entry.status();
  return (*entry)->socket.LocalPort();
}

absl::Status KernelSctpStack::ChangeAddresses(SocketId endpoint,
                                              const std::vector<SocketAddress>& add,
                                              const std::vector<SocketAddress>& remove) {
  auto entry = Find(endpoint);
  if (!entry.ok()) return entry.status();
  if (!add.empty()) {
    absl::Status status = (*entry)->socket.Bind(add);
    if (!status.ok()) return status;
  }
  if (!remove.empty()) return (*entry)->socket.Unbind(remove);
  return absl::OkStatus();
}

absl::StatusOr<size_t> KernelSctpStack::MaxSendSize(SocketId endpoint) {
  auto entry = Find(endpoint);
  if (!entry.ok()) return entry.status();
  auto size = (*entry)->socket.SendBufferSize();
  if (!size.ok()) return size.status();
  return static_cast<size_t>(*size);
}

absl::StatusOr<sctp_assoc_t> KernelSctpStack::Connect(SocketId endpoint,
                                                      const std::vector<SocketAddress>& peers,
                                                      const InitParams& init) {
  auto entry = Find(endpoint);
  if (!entry.ok()) return entry.status();
  absl::Status status = (*entry)->socket.SetInitParams(init);
  if (!status.ok()) return status;
  return (*entry)->socket.Connect(peers);
}

absl::StatusOr<StreamControl> KernelSctpStack::StreamsOf(SocketId id) {
  auto entry = Find(id);
  if (!entry.ok()) return entry.status();
  SctpSocket& s = (*entry)->socket;
  return StreamControl(sys_, s.fd(), s.style() == SctpSocket::Style::kOneToMany);
}

absl::StatusOr<AuthControl> KernelSctpStack::AuthOf(SocketId id) {
  auto entry = Find(id);
  if (!entry.ok()) return entry.status();
  SctpSocket& s = (*entry)->socket;
  return AuthControl(sys_, s.fd(), s.style() == SctpSocket::Style::kOneToMany);
}

absl::Status KernelSctpStack::ReconfigureStreams(SocketId socket, sctp_assoc_t assoc_id,
                                                 const StreamReconfigRequest& request) {
  auto streams = StreamsOf(socket);
  if (!streams.ok()) return streams.status();
  return streams->Reconfigure(assoc_id, request);
}

absl::Status KernelSctpStack::SetStreamScheduling(SocketId socket, sctp_assoc_t assoc_id,
                                                  StreamScheduler scheduler,
                                                  const std::vector<StreamValue>& values) {
  auto streams = StreamsOf(socket);
  if (!streams.ok()) return streams.status();
  absl::Status status = streams->SetScheduler(assoc_id, scheduler);
  for (const StreamValue& value : values) {
    if (!status.ok()) break;
    status = streams->SetValue(assoc_id, value);
  }
  return status;
}

absl::StatusOr<StreamSettings> KernelSctpStack::Streams(SocketId socket, sctp_assoc_t assoc_id,
                                                        const std::vector<uint16_t>& value_streams) {
  auto streams = StreamsOf(socket);
  if (!streams.ok()) return streams.status();
  return streams->Settings(assoc_id, value_streams);
}

absl::Status KernelSctpStack::ChangeAuthKey(SocketId socket, sctp_assoc_t assoc_id,
                                            const AuthKeyChange& change) {
  auto auth = AuthOf(socket);
  if (!auth.ok()) return auth.status();
  return auth->ChangeKey(assoc_id, change);
}

absl::StatusOr<AuthStatus> KernelSctpStack::Auth(SocketId socket, sctp_assoc_t assoc_id) {
  auto auth = AuthOf(socket);
  if (!auth.ok()) return auth.status();
  return auth->Status(assoc_id);
}

absl::StatusOr<SocketId> KernelSctpStack::PeelOff(SocketId endpoint, sctp_assoc_t assoc_id) {
  auto entry = Find(endpoint);
  if (!entry.ok()) return entry.status();
  auto peeled = (*entry)->socket.PeelOff(assoc_id);
  if (!peeled.ok()) return peeled.status();
  // Options are inherited from the endpoint; these two are set again so the
  // data path never depends on that.
  absl::Status status = peeled->EnableReceiveInfo();
  if (status.ok()) status = peeled->SetNoDelay(!(*entry)->bundle_messages);
  // The kernel keeps ASCONF support per socket and does not copy it here;
  // without it the association's socket would not announce address changes.
  bool reconfiguration = (*entry)->address_reconfiguration;
  if (status.ok() && reconfiguration) status = peeled->EnableAddressReconfiguration();
  if (!status.ok()) return status;
  const bool bundle = (*entry)->bundle_messages;
  const bool in_pieces = (*entry)->pieces.deliver_in_pieces();
  auto id = Adopt(std::move(*peeled));
  if (id.ok()) {
    Entry& adopted = *sockets_[*id];
    adopted.address_reconfiguration = reconfiguration;
    adopted.bundle_messages = bundle;
    adopted.pieces.set_deliver_in_pieces(in_pieces);
  }
  return id;
}

absl::Status KernelSctpStack::Send(SocketId socket, const SendInfo& info,
                                   absl::Span<const uint8_t> data) {
  auto entry = Find(socket);
  if (!entry.ok()) return entry.status();
  SctpSocket& s = (*entry)->socket;
  if (info.destination.has_value() && s.style() == SctpSocket::Style::kOneToOne) {
    return SendToChosenPath(socket, **entry, info, data);
  }
  auto sent = s.Send(info, data);
  return sent.ok() ? absl::OkStatus() : Unsent(socket, **entry, sent.status());
}

absl::Status KernelSctpStack::SendToChosenPath(SocketId socket, Entry& entry,
                                               const SendInfo& info,
                                               absl::Span<const uint8_t> data) {
  // Linux ignores the destination (msg_name) of a message sent on a
  // peeled-off association's socket: the chosen address is made the
  // primary for this send, and the primary put back after it. What the
  // kernel transmits within the send goes to the chosen address.
  auto status = entry.socket.Status(0);
  if (!status.ok()) return status.status();
  SendInfo plain = info;
  plain.destination.reset();
  const SocketAddress primary = status->primary_address;
  if (primary == *info.destination) {
    auto sent = entry.socket.Send(plain, data);
    return sent.ok() ? absl::OkStatus() : Unsent(socket, entry, sent.status());
  }
  PathControl paths(sys_, entry.socket.fd(), /*one_to_many=*/false);
  absl::Status chosen = paths.SetPrimary(0, *info.destination);
  if (!chosen.ok()) return chosen;
  auto sent = entry.socket.Send(plain, data);
  absl::Status restored = paths.SetPrimary(0, primary);
  if (!sent.ok()) return Unsent(socket, entry, sent.status());
  return restored;
}

absl::Status KernelSctpStack::Unsent(SocketId socket, Entry& entry, absl::Status status) {
  if (StatusErrno(status) == EAGAIN && !entry.want_write) {
    entry.want_write = true;
    UpdateInterest(socket, entry);
  }
  return status;
}

absl::Status KernelSctpStack::Shutdown(SocketId socket, sctp_assoc_t assoc_id) {
  SendInfo info;
  info.assoc_id = assoc_id;
  info.control = SendInfo::Control::kEndOfFile;
  return Send(socket, info, {});
}

absl::Status KernelSctpStack::Abort(SocketId socket, sctp_assoc_t assoc_id,
                                    absl::string_view reason) {
  SendInfo info;
  info.assoc_id = assoc_id;
  info.control = SendInfo::Control::kAbort;
  return Send(socket, info,
              absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(reason.data()),
                                        reason.size()));
}

void KernelSctpStack::PauseReading(SocketId socket, bool paused) {
  auto entry = Find(socket);
  if (!entry.ok() || (*entry)->paused == paused) return;
  (*entry)->paused = paused;
  UpdateInterest(socket, **entry);
}

void KernelSctpStack::UpdateInterest(SocketId id, Entry& entry) {
  uint32_t events = 0;
  if (!entry.paused && !entry.failed) events |= EPOLLIN;
  if (entry.want_write) events |= EPOLLOUT;
  // epoll reports EPOLLERR and EPOLLHUP whatever the interest: on a socket
  // not being read (paused, e.g. for a handover or flow control), level-
  // triggered they would wake the loop on every wait. Edge-triggered they
  // wake it once; resuming re-arms the socket level-triggered.
  if ((events & EPOLLIN) == 0) events |= EPOLLET;
  absl::Status status = loop_->Modify(entry.socket.fd(), events);
  if (!status.ok()) {
    // Only ENOMEM can get here; reading could stay paused (or writing
    // unwatched) for good, so the owner learns of it — later, not from
    // inside whatever call changed the interest.
    loop_->Post([this, id, status] {
      if (observer_ != nullptr && sockets_.count(id) != 0) observer_->OnReceiveError(id, 0, status);
    });
  }
}

absl::StatusOr<AssociationStatus> KernelSctpStack::Status(SocketId socket, sctp_assoc_t assoc_id) {
  auto entry = Find(socket);
  if (!entry.ok()) return entry.status();
  auto status = (*entry)->socket.Status(assoc_id);
  if (!status.ok()) return status;
  // A kernel without SCTP over UDP does not know the option (ENOPROTOOPT):
  // the association runs directly over IP. Any other error is one.
  auto udp_port = (*entry)->socket.RemoteUdpPort(assoc_id);
  if (udp_port.ok()) {
    status->udp_encapsulation_port = *udp_port;
  } else if (StatusErrno(udp_port.status()) != ENOPROTOOPT) {
    return udp_port.status();
  }
  return status;
}

absl::StatusOr<std::vector<SocketAddress>> KernelSctpStack::LocalAddresses(SocketId socket,
                                                                           sctp_assoc_t assoc_id) {
  auto entry = Find(socket);
  if (!entry.ok()) return entry.status();
  return (*entry)->socket.LocalAddresses(assoc_id);
}

absl::StatusOr<std::vector<SocketAddress>> KernelSctpStack::PeerAddresses(SocketId socket,
                                                                          sctp_assoc_t assoc_id) {
  auto entry = Find(socket);
  if (!entry.ok()) return entry.status();
  return (*entry)->socket.PeerAddresses(assoc_id);
}

absl::StatusOr<PathControl> KernelSctpStack::Paths(SocketId socket) {
  auto entry = Find(socket);
  if (!entry.ok()) return entry.status();
  SctpSocket& s = (*entry)->socket;
  return PathControl(sys_, s.fd(), s.style() == SctpSocket::Style::kOneToMany);
}

absl::StatusOr<PathInfo> KernelSctpStack::Path(SocketId socket, sctp_assoc_t assoc_id,
                                                const SocketAddress& peer) {
  auto paths = Paths(socket);
  if (!paths.ok()) return paths.status();
  return paths->Path(assoc_id, peer);
}

absl::Status KernelSctpStack::SetPrimary(SocketId socket, sctp_assoc_t assoc_id,
                                         const SocketAddress& peer) {
  auto paths = Paths(socket);
  if (!paths.ok()) return paths.status();
  return paths->SetPrimary(assoc_id, peer);
}

absl::Status KernelSctpStack::SetPeerPrimary(SocketId socket, sctp_assoc_t assoc_id,
                                             const SocketAddress& local) {
  auto paths = Paths(socket);
  if (!paths.ok()) return paths.status();
  return paths->SetPeerPrimary(assoc_id, local);
}

absl::StatusOr<PathParameters> KernelSctpStack::Parameters(SocketId socket, sctp_assoc_t assoc_id) {
  auto paths = Paths(socket);
  if (!paths.ok()) return paths.status();
  return paths->Parameters(assoc_id);
}

absl::Status KernelSctpStack::SetParameters(SocketId socket, sctp_assoc_t assoc_id,
                                            const PathParameters& parameters) {
  auto paths = Paths(socket);
  if (!paths.ok()) return paths.status();
  return paths->SetParameters(assoc_id, parameters);
}

absl::Status KernelSctpStack::SetPathParameters(SocketId socket, sctp_assoc_t assoc_id,
                                                const SocketAddress& peer,
                                                const PathParameters& parameters) {
  auto paths = Paths(socket);
  if (!paths.ok()) return paths.status();
  return paths->SetParameters(assoc_id, parameters, &peer);
}

absl::StatusOr<std::pair<int, SocketCarryOver>> KernelSctpStack::Export(SocketId id) {
  auto entry = Find(id);
  if (!entry.ok()) return entry.status();
  Entry& e = **entry;
  SocketCarryOver carry;
  carry.one_to_many = e.socket.style() == SctpSocket::Style::kOneToMany;
  carry.address_reconfiguration = e.address_reconfiguration;
  carry.abort_oversized = !e.pieces.deliver_in_pieces();
  carry.partials = e.pieces.Partials();
  carry.discarding = e.pieces.discarding();
  carry.send_failed = e.send_failed.Pending();
  return std::make_pair(e.socket.fd(), std::move(carry));
}

absl::StatusOr<SocketId> KernelSctpStack::Adopt(UniqueFd fd, const SocketCarryOver& carry) {
  auto option = [&](int name) -> absl::StatusOr<int> {
    int value = 0;
    socklen_t length = sizeof(value);
    SysCallIntResult result = sys_.GetSockOpt(fd.get(), SOL_SOCKET, name, &value, &length);
    if (!result.ok()) return ErrnoStatus(result.error, "getsockopt(SOL_SOCKET)");
    return value;
  };
  auto domain = option(SO_DOMAIN);
  auto protocol = option(SO_PROTOCOL);
  if (!domain.ok()) return domain.status();
  if (!protocol.ok()) return protocol.status();
  if ((*domain != AF_INET && *domain != AF_INET6) || *protocol != IPPROTO_SCTP) {
    return absl::FailedPreconditionError("the descriptor is not an SCTP socket");
  }
  const SctpSocket::Style style =
      carry.one_to_many ? SctpSocket::Style::kOneToMany : SctpSocket::Style::kOneToOne;
  SctpSocket socket(sys_, std::move(fd), style);
  // SCTP_STATUS without an association id names the socket's one
  // association on a peeled-off socket, and none on a one-to-many socket.
  // A peeled-off socket whose association has ended (while the holder was
  // frozen) names none either, and is taken all the same: what it still
  // holds, data and the notification of the end, is read by the new owner.
  // (Linux shows no other difference between the two kinds of socket.)
  if (carry.one_to_many && socket.Status(0).ok()) {
    return absl::FailedPreconditionError("the socket is an association's, not an endpoint's");
  }
  auto id = Adopt(std::move(socket));
  if (!id.ok()) return id.status();
  Entry& entry = *sockets_[*id];
  entry.address_reconfiguration = carry.address_reconfiguration;
  entry.pieces.set_deliver_in_pieces(!carry.abort_oversized);
  entry.pieces.Restore(carry.partials, carry.discarding);
  entry.mid_message = entry.pieces.mid_message();
  if (keeper_ != nullptr && entry.mid_message) {
    keeper_->MidMessage(*id, true, entry.pieces.holds_pieces(), entry.pieces.partial_assoc_id());
  }
  entry.send_failed.Restore(carry.send_failed);
  // Nothing is read until the owner says so.
  entry.paused = true;
  UpdateInterest(*id, entry);
  return id;
}

void KernelSctpStack::Close(SocketId socket) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;
  loop_->Unwatch(it->second->socket.fd());
  sockets_.erase(it);
  if (keeper_ != nullptr) keeper_->Dropped(socket);
}

void KernelSctpStack::CloseWhenDrained(SocketId socket) {
  auto entry = Find(socket);
  if (!entry.ok()) return;
  (*entry)->closing = true;
  (*entry)->paused = false;
  (*entry)->pieces.StopDiscarding();
  UpdateInterest(socket, **entry);
  // Read what is queued now, even if no new readiness comes.
  loop_->Post([this, socket] { OnReady(socket, EPOLLIN); });
}

void KernelSctpStack::FinishClosing(SocketId id) {
  Close(id);
  if (observer_ != nullptr) observer_->OnClosed(id);
}

TimerId KernelSctpStack::StartTimer(std::chrono::milliseconds delay, std::function<void()> task) {
  return loop_->StartTimer(delay, std::move(task));
}

void KernelSctpStack::OnReady(SocketId id, uint32_t events) {
  if (events & EPOLLOUT) {
    auto entry = Find(id);
    if (!entry.ok()) return;
    (*entry)->want_write = false;
    UpdateInterest(id, **entry);
    if (observer_ != nullptr) observer_->OnWritable(id);
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    for (int i = 0; i < options_.reads_per_wakeup; ++i) {
      auto entry = Find(id);  // An observer may have closed it.
      if (!entry.ok() || (*entry)->paused) return;
      if ((*entry)->failed || !ReadOne(id, **entry)) {
        // Nothing more to read now.
        entry = Find(id);
        if (entry.ok() && (*entry)->closing) FinishClosing(id);
        return;
      }
    }
  }
}

bool KernelSctpStack::ReadOne(SocketId id, Entry& entry) {
  // From before recvmsg() until what it returns has been handed on.
  class ReadMark {
   public:
    ReadMark(uint64_t* at, SocketId socket) : at_(at) {
      if (at_ != nullptr) *at_ = socket;
    }
    ~ReadMark() {
      if (at_ != nullptr) *at_ = 0;
    }
    ReadMark(const ReadMark&) = delete;
    ReadMark& operator=(const ReadMark&) = delete;

   private:
    uint64_t* at_;
  } mark(read_marker_, id);
  auto piece = entry.socket.Receive(absl::MakeSpan(buffer_));
  if (!piece.ok()) {
    int error = StatusErrno(piece.status());
    if (error == EAGAIN || error == EINTR) return false;
    if (error == ECONNRESET || error == ECONNABORTED || error == EPIPE || error == ENOTCONN ||
        error == ETIMEDOUT) {
      // The association's end, reported once through the socket error; its
      // notifications may still be queued behind it: keep reading.
      return true;
    }
    // An association's socket is done for; an endpoint's one-to-many socket
    // reports a pending error once (sock_error clears it) and serves on.
    if (entry.socket.style() == SctpSocket::Style::kOneToOne) {
      entry.failed = true;
      UpdateInterest(id, entry);
    }
    if (observer_ != nullptr) observer_->OnReceiveError(id, 0, piece.status());
    return false;
  }
  if (piece->length == 0 && !piece->notification && !piece->has_info &&
      entry.socket.style() == SctpSocket::Style::kOneToOne) {
    // End of file: the association is gone and everything queued was read.
    entry.failed = true;
    UpdateInterest(id, entry);
    if (observer_ != nullptr) {
      observer_->OnReceiveError(id, 0, absl::UnavailableError("the association's socket was closed"));
    }
    return false;
  }
  AssemblyResult assembled =
      entry.pieces.Add(*piece, absl::MakeConstSpan(buffer_.data(), piece->length));
  if (keeper_ != nullptr && entry.pieces.mid_message() != entry.mid_message) {
    entry.mid_message = entry.pieces.mid_message();
    keeper_->MidMessage(id, entry.mid_message, entry.pieces.holds_pieces(),
                        entry.pieces.partial_assoc_id());
  }
  if (auto* oversized = std::get_if<OversizedMessage>(&assembled)) {
    if (observer_ != nullptr) {
      observer_->OnReceiveError(
          id, oversized->assoc_id,
          absl::ResourceExhaustedError(absl::StrCat(
              "an incoming message exceeds the maximum message size of ",
              options_.max_message_bytes, " bytes")));
    }
    return false;  // The observer may have closed the socket.
  }
  auto* whole = std::get_if<AssembledMessage>(&assembled);
  if (whole == nullptr) return true;  // Nothing to deliver yet.
  if (whole->info.notification) {
    Deliver(id, entry, std::move(*whole));
    return true;
  }
  // One piece read may complete several parts of a long message.
  std::optional<AssembledMessage> next = std::move(*whole);
  while (next.has_value() && sockets_.count(id) != 0) {
    Deliver(id, entry, std::move(*next));
    next = sockets_.count(id) != 0 ? entry.pieces.TakeReady() : std::nullopt;
  }
  return sockets_.count(id) != 0;
}

void KernelSctpStack::Deliver(SocketId id, Entry& entry, AssembledMessage whole) {
  const ReceiveResult& info = whole.info;
  if (info.notification) {
    auto notification = DecodeNotification(absl::Span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(whole.bytes.data()), whole.bytes.size()));
    // A notification this build cannot decode is skipped: it carries nothing
    // the core acts on.
    if (notification.ok() && observer_ != nullptr) {
      for (Notification& ready : entry.send_failed.Add(std::move(*notification))) {
        if (sockets_.count(id) == 0) break;
        observer_->OnNotification(id, std::move(ready));
      }
    }
    return;
  }
  InboundMessage message;
  message.assoc_id = info.assoc_id;
  message.stream = info.stream;
  message.ssn = info.ssn;
  message.tsn = info.tsn;
  message.ppid = info.ppid;
  message.unordered = info.unordered;
  message.payload = std::move(whole.bytes);
  message.source = info.source;
  message.offset = whole.offset;
  message.more_follows = whole.more_follows;
  if (observer_ != nullptr) observer_->OnMessage(id, std::move(message));
}

}  // namespace sctpgw::net
