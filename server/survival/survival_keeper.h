// Keeps what lets sctpgw's associations outlive a crash (docs/handover.md)
// in the service manager's file descriptor store, as it changes:
//   - every SCTP socket, stored as the stack takes it ("sctp-..."), removed
//     as the stack closes it (the manager's copy would otherwise hold the
//     association open);
//   - the state record ("state-N"): sessions, endpoints, associations and
//     their ids, and which stored socket is whose, rewritten after every
//     socket change and within a second of any other change;
//   - the ledger ("ledger"): shared memory that the core and the stack
//     write as they go, saying what a crash would lose.
// Everything runs on the stack's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/core/gateway.h"
#include "server/core/queue_tally.h"
#include "server/handover/handover_state.h"
#include "server/net/kernel_sctp_stack.h"
#include "server/net/socket_keeper.h"
#include "server/survival/fd_store.h"
#include "server/survival/ledger.h"

namespace sctpgw::survival {

// What a recovery hands on to the keeper.
struct KeptState {
  // Sockets already in the store: this stack's id -> the stored name.
  std::map<net::SocketId, std::string> sockets;
  // The number of the newest state record in the store (0: none).
  uint64_t record = 0;
};

class SurvivalKeeper final : public net::SocketKeeper, public core::QueueTally {
 public:
  // On the stack's thread: stores what is not stored yet, writes a first
  // record and keeps both up to date from now on.
  static absl::StatusOr<std::unique_ptr<SurvivalKeeper>> Start(FdStore& store,
                                                               net::KernelSctpStack& stack,
                                                               core::Gateway& gateway, KeptState kept);
  ~SurvivalKeeper() override;

  // On the stack's thread: rewrites the record if anything changed.
  void Tick();
  // On the stack's thread: stops keeping. With `clear`, the store is
  // emptied of everything this keeper put there (a clean stop: nothing is
  // to be restored); without it, it stays for whoever holds the sockets now
  // (a handover).
  void Stop(bool clear);
  // A stop that is a restart in place (a container restarted beside its fd
  // holder), in two steps on the stack's thread, with the gRPC server shut
  // down between them so that the messages of responses it never wrote are
  // back in their queues (Gateway::ReturnUnwritten) when the record is made.
  //
  // FreezeForRestart: freezes the core (reading stops, waiting calls end
  // with HANDED_OVER). On error nothing changed and the core serves on.
  absl::Status FreezeForRestart();
  // FinishRestart: stores a complete record (every queued message, the
  // event log, messages read in part), lets the core forget everything
  // without a word to the kernel, and stops keeping. The next sctpgw
  // restores it all with nothing lost. On error the core is thawed and
  // nothing was released: the caller stops the usual way.
  absl::Status FinishRestart();

  // net::SocketKeeper
  void Kept(net::SocketId id, int fd, bool one_to_many) override;
  void Dropped(net::SocketId id) override;
  void MidMessage(net::SocketId id, bool mid, bool held, net::AssocId assoc_id) override;
  uint64_t* ReadMarker() override { return ledger_.ReadingSocket(); }
  // core::QueueTally
  uint64_t* Track(uint64_t association_id) override;
  void Untrack(uint64_t association_id) override;

 private:
  SurvivalKeeper(FdStore& store, net::KernelSctpStack& stack, core::Gateway& gateway,
                 Ledger ledger, KeptState kept);
  void ScheduleRecord();
  void WriteRecord();
  // Stores `record` as the next state record and removes the one before.
  absl::Status StoreRecord(const handover::HandoverState& record);
  void Complain(const absl::Status& status);

  FdStore& store_;
  net::KernelSctpStack& stack_;
  core::Gateway& gateway_;
  Ledger ledger_;
  std::map<net::SocketId, std::string> names_;
  const std::string prefix_;  // "sctp-<this process's tag>-"
  uint64_t record_ = 0;       // The newest record stored.
  uint64_t recorded_version_ = 0;
  // Sockets the store takes: its capacity less the ledger and two
  // records; unbounded when the manager does not say.
  size_t socket_room_;
  bool record_scheduled_ = false;
  bool stopped_ = false;
  bool complained_ = false;
  // Lives as long as the keeper: tasks it posted check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sctpgw::survival
