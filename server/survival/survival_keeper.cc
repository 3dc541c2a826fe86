#include "server/survival/survival_keeper.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/handover/handover_state.h"
#include "server/handover/state_codec.h"

namespace sctpgw::survival {
namespace {

constexpr char kLedgerName[] = "ledger";

// A tag that no earlier process's socket names share.
std::string ProcessTag() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return absl::StrCat(getpid(), "x",
                      std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000000);
}

// Room for sockets in a store that keeps `capacity` descriptors (0: it does
// not say), besides the ledger and two state records (the new one is stored
// before the old one goes).
size_t SocketRoom(size_t capacity) {
  constexpr size_t kReserved = 3;
  if (capacity == 0) return SIZE_MAX;
  return capacity > kReserved ? capacity - kReserved : 0;
}

absl::StatusOr<net::UniqueFd> RecordFile(const std::string& bytes) {
  net::UniqueFd fd(memfd_create("sctpgw-state", MFD_CLOEXEC));
  if (!fd.valid()) return absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno)));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = write(fd.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::InternalError(absl::StrCat("write: ", std::strerror(errno)));
    written += static_cast<size_t>(n);
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SurvivalKeeper>> SurvivalKeeper::Start(FdStore& store,
                                                                      net::KernelSctpStack& stack,
                                                                      core::Gateway& gateway,
                                                                      KeptState kept) {
  const core::Limits& limits = gateway.limits();
  auto ledger = Ledger::Create(2 * (limits.max_associations + limits.max_endpoints) + 64);
  if (!ledger.ok()) return ledger.status();
  // The ledger a recovery read is replaced (a crash in between leaves no
  // ledger: the next start then says it cannot count what was lost).
  (void)store.Remove(kLedgerName);
  if (absl::Status stored = store.Store(kLedgerName, ledger->fd()); !stored.ok()) return stored;
  std::unique_ptr<SurvivalKeeper> keeper(
      new SurvivalKeeper(store, stack, gateway, std::move(*ledger), std::move(kept)));
  gateway.events().MirrorLastSequence(keeper->ledger_.SequenceCounter());
  gateway.SetQueueTally(keeper.get());
  stack.SetKeeper(keeper.get());
  stack.KeepAll();  // Stores what is not stored yet.
  keeper->WriteRecord();
  return keeper;
}

SurvivalKeeper::SurvivalKeeper(FdStore& store, net::KernelSctpStack& stack,
                               core::Gateway& gateway, Ledger ledger, KeptState kept)
    : store_(store),
      stack_(stack),
      gateway_(gateway),
      ledger_(std::move(ledger)),
      names_(std::move(kept.sockets)),
      prefix_(absl::StrCat("sctp-", ProcessTag(), "-")),
      record_(kept.record),
      socket_room_(SocketRoom(store.capacity())) {}

SurvivalKeeper::~SurvivalKeeper() { *alive_ = false; }

void SurvivalKeeper::Stop(bool clear) {
  if (stopped_) return;
  stopped_ = true;
  stack_.SetKeeper(nullptr);
  gateway_.SetQueueTally(nullptr);
  gateway_.events().MirrorLastSequence(nullptr);
  if (!clear) return;
  for (const auto& [id, name] : names_) (void)store_.Remove(name);
  names_.clear();
  if (record_ != 0) (void)store_.Remove(absl::StrCat("state-", record_));
  (void)store_.Remove(kLedgerName);
}

void SurvivalKeeper::Tick() {
  if (!stopped_ && gateway_.StateVersion() != recorded_version_) WriteRecord();
}

void SurvivalKeeper::Kept(net::SocketId id, int fd, bool /*one_to_many*/) {
  if (names_.count(id) != 0) return;  // Stored before (a recovery's).
  // Unstored, the socket is in the record all the same: after a crash its
  // session is told that what it held was lost.
  ScheduleRecord();
  if (names_.size() >= socket_room_) {
    Complain(absl::ResourceExhaustedError(absl::StrCat(
        "the store (", store_.description(), ") keeps ", socket_room_ + 3, " descriptors: socket ", id,
        " and what it holds will not survive a crash; raise FileDescriptorStoreMax= (systemd) or --max-fds "
        "(sctpgw-fd-holder)")));
    return;
  }
  std::string name = absl::StrCat(prefix_, id);
  absl::Status stored = store_.Store(name, fd);
  if (!stored.ok()) {
    Complain(stored);
    return;
  }
  names_[id] = std::move(name);
}

void SurvivalKeeper::Dropped(net::SocketId id) {
  auto it = names_.find(id);
  if (it == names_.end()) return;
  // The manager's copy goes too: it would hold the association open.
  if (absl::Status removed = store_.Remove(it->second); !removed.ok()) Complain(removed);
  names_.erase(it);
  ledger_.SetMidMessage(id, false, false, 0);
  ScheduleRecord();
}

void SurvivalKeeper::MidMessage(net::SocketId id, bool mid, bool held, net::AssocId assoc_id) {
  ledger_.SetMidMessage(id, mid, held, assoc_id);
}

uint64_t* SurvivalKeeper::Track(uint64_t association_id) {
  uint64_t* counter = ledger_.QueueCounter(association_id);
  if (counter == nullptr) Complain(absl::ResourceExhaustedError("the ledger is full"));
  return counter;
}

void SurvivalKeeper::Untrack(uint64_t association_id) { ledger_.ReleaseQueueCounter(association_id); }

void SurvivalKeeper::ScheduleRecord() {
  if (record_scheduled_ || stopped_) return;
  record_scheduled_ = true;
  // After the call that changed a socket, once the core has its part too.
  stack_.Post([this, alive = alive_] {
    if (!*alive) return;
    record_scheduled_ = false;
    if (!stopped_) WriteRecord();
  });
}

void SurvivalKeeper::WriteRecord() {
  handover::HandoverState record;
  record.gateway = gateway_.Snapshot();
  for (net::SocketId id : record.gateway.Sockets()) {
    handover::HandedSocket socket;
    socket.id = id;
    if (auto exported = stack_.Export(id); exported.ok()) {
      socket.carry.one_to_many = exported->second.one_to_many;
      socket.carry.address_reconfiguration = exported->second.address_reconfiguration;
    }
    if (auto name = names_.find(id); name != names_.end()) socket.fd_name = name->second;
    record.sockets.push_back(std::move(socket));
  }
  recorded_version_ = gateway_.StateVersion();
  if (absl::Status stored = StoreRecord(record); !stored.ok()) Complain(stored);
}

absl::Status SurvivalKeeper::StoreRecord(const handover::HandoverState& record) {
  auto file = RecordFile(handover::EncodeState(record));
  if (!file.ok()) return file.status();
  const uint64_t next = record_ + 1;
  if (absl::Status stored = store_.Store(absl::StrCat("state-", next), file->get()); !stored.ok()) {
    return stored;
  }
  if (record_ != 0) (void)store_.Remove(absl::StrCat("state-", record_));
  record_ = next;
  return absl::OkStatus();
}

absl::Status SurvivalKeeper::FreezeForRestart() {
  if (stopped_) return absl::FailedPreconditionError("crash survival has stopped");
  if (complained_) {
    return absl::FailedPreconditionError("the store did not take everything (logged above)");
  }
  return gateway_.Freeze().status();
}

absl::Status SurvivalKeeper::FinishRestart() {
  handover::HandoverState record;
  record.complete = true;
  record.gateway = gateway_.FrozenState();
  absl::Status exported = absl::OkStatus();
  for (net::SocketId id : record.gateway.Sockets()) {
    handover::HandedSocket socket;
    socket.id = id;
    auto carry = stack_.Export(id);
    auto name = names_.find(id);
    if (!carry.ok() || name == names_.end()) {
      exported = absl::FailedPreconditionError(absl::StrCat(
          "socket ", id, carry.ok() ? " is not in the store" : " cannot be exported"));
      break;
    }
    socket.carry = std::move(carry->second);
    socket.fd_name = name->second;
    record.sockets.push_back(std::move(socket));
  }
  if (exported.ok()) exported = StoreRecord(record);
  if (!exported.ok()) {
    gateway_.Thaw();
    return exported;
  }
  gateway_.Release();
  Stop(/*clear=*/false);
  return absl::OkStatus();
}

void SurvivalKeeper::Complain(const absl::Status& status) {
  // Once: the store refusing is a deployment's mistake (too small a
  // FileDescriptorStoreMax=, NotifyAccess= missing), not news each time.
  if (complained_) return;
  complained_ = true;
  spdlog::error("the file descriptor store keeps less than sctpgw needs to survive a crash: {}",
                status.ToString());
}

}  // namespace sctpgw::survival
