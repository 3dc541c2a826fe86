// Crash survival (docs/handover.md) under real kernel SCTP: sctpgw runs
// with --fd-store under a service manager that implements systemd's file
// descriptor store protocol as documented (tests/lab/tools/
// fd_store_manager.py, Restart=on-failure), and is killed with SIGKILL while
// a peer written with Python's kernel socket sends numbered messages on
// three streams and an application reads through the C++ client library.
// What is checked is what the peer and the application see: the same
// association goes on (the peer is told of no restart, shutdown or abort),
// the application reattaches with its session, every message arrives at
// most once and in order per stream, and every message that does not
// arrive is counted in a MESSAGES_LOST event. Beside an fd holder
// (sctpgw-fd-holder, as in a container) a stop with SIGTERM is a restart in
// place: nothing at all is lost.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sctpgw/client.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/process.h"
#include "tests/lab/support/stream_traffic.h"

namespace sctpgw {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Recorder;
using testing::StreamPeer;
using testing::Subprocess;

std::string ManagerScript() {
  return std::string(SCTPGW_SOURCE_DIR) + "/tests/lab/tools/fd_store_manager.py";
}

// sctpgw under the service manager, on its own socket path.
class ManagedSctpgw {
 public:
  static std::unique_ptr<ManagedSctpgw> Start(const std::string& path, int fd_store_max) {
    unlink(path.c_str());
    auto process = Subprocess::Start(
        {"/usr/bin/python3", ManagerScript(), "--fd-store-max", std::to_string(fd_store_max), "--",
         SCTPGW_BINARY, "--listen", "unix:" + path, "--fd-store"},
        /*keep_stdin=*/true);
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return nullptr;
    std::unique_ptr<ManagedSctpgw> managed(new ManagedSctpgw(std::move(*process)));
    managed->pid_ = managed->WaitForReady("");
    return managed->pid_ == 0 ? nullptr : std::move(managed);
  }

  // SIGKILL; returns once the restarted sctpgw said READY=1.
  bool KillAndWaitForRestart() {
    EXPECT_TRUE(manager_.WriteStdin("kill\n").ok());
    auto exited = manager_.ReadStdoutUntil(absl::StrCat("exited ", pid_, " signal 9\n"), kCallTimeout);
    EXPECT_TRUE(exited.ok()) << exited.status();
    if (!exited.ok()) return false;
    pid_ = WaitForReady(absl::StrCat("exited ", pid_));
    return pid_ != 0;
  }

  // The names of what the store keeps.
  std::vector<std::string> Names() {
    EXPECT_TRUE(manager_.WriteStdin("names\n").ok());
    ++names_asked_;
    // The newest "names" line, complete.
    for (auto until = Clock::now() + kTimeout; Clock::now() < until;) {
      std::string all = manager_.ReadStdout(100ms);
      size_t count = 0, at = 0, line = std::string::npos;
      while ((at = all.find("\nnames", at)) != std::string::npos) {
        ++count;
        line = at++;
      }
      size_t end = line == std::string::npos ? line : all.find('\n', line + 1);
      if (count >= names_asked_ && end != std::string::npos) {
        std::vector<std::string> names = absl::StrSplit(
            all.substr(line + 6, end - line - 6), ' ', absl::SkipEmpty());
        return names;
      }
    }
    ADD_FAILURE() << "the manager did not list what it keeps";
    return {};
  }

  // SIGTERM: sctpgw stops cleanly and the manager empties the store.
  void Stop() {
    EXPECT_TRUE(manager_.WriteStdin("term\n").ok());
    auto stopped = manager_.ReadStdoutUntil("\nstopped\n", kCallTimeout);
    EXPECT_TRUE(stopped.ok()) << "sctpgw did not exit 0 on SIGTERM: " << stopped.status();
    EXPECT_NE(stopped->find(absl::StrCat("exited ", pid_, " code 0")), std::string::npos);
    stopped_ = true;
  }

  std::string Output() { return manager_.ReadStdout(0ms); }
  pid_t pid() const { return pid_; }
  bool stopped() const { return stopped_; }

 private:
  explicit ManagedSctpgw(Subprocess manager) : manager_(std::move(manager)) {}

  // The pid of the first sctpgw started after `after` (in the manager's
  // output) once it said READY=1; 0 on failure.
  pid_t WaitForReady(const std::string& after) {
    for (auto until = Clock::now() + kTimeout; Clock::now() < until;) {
      std::string all = manager_.ReadStdout(100ms);
      size_t from = after.empty() ? 0 : all.rfind(after);
      if (from == std::string::npos) continue;
      size_t started = all.find("started ", from);
      if (started == std::string::npos) continue;
      int pid = 0;
      if (!absl::SimpleAtoi(all.substr(started + 8, all.find('\n', started) - started - 8), &pid)) {
        continue;
      }
      if (all.find(absl::StrCat("ready ", pid, "\n"), started) != std::string::npos) return pid;
    }
    ADD_FAILURE() << "sctpgw did not say READY=1: " << manager_.ReadStdout(0ms);
    return 0;
  }

  Subprocess manager_;
  pid_t pid_ = 0;
  size_t names_asked_ = 0;
  bool stopped_ = false;
};

// The protocol state of every SCTP association of this network namespace
// (/proc/net/sctp/assocs, column ST: 3 is ESTABLISHED), sorted.
std::vector<int> KernelAssociationStates() {
  std::ifstream assocs("/proc/net/sctp/assocs");
  std::string line;
  std::getline(assocs, line);  // The header.
  std::vector<int> states;
  while (std::getline(assocs, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int state = -1;
    if (fields.size() > 4 && absl::SimpleAtoi(fields[4], &state)) states.push_back(state);
  }
  std::sort(states.begin(), states.end());
  return states;
}

// What arrived, checked against what the peer sent: per stream, numbers
// increase (nothing repeated or reordered); returns how many are missing.
uint64_t MissingAfterCheckingOrder(const std::vector<Recorder::Received>& received,
                                   const std::vector<uint64_t>& sent) {
  std::map<uint32_t, uint64_t> next;
  uint64_t missing = 0;
  for (const auto& message : received) {
    EXPECT_LT(message.stream, 3u) << message.text;
    EXPECT_EQ(message.ppid, 40 + message.stream);
    uint64_t number = 0;
    std::string text = message.text.substr(message.text.find(':') + 1);
    text = text.substr(0, text.find('|'));
    EXPECT_TRUE(absl::SimpleAtoi(text, &number)) << message.text;
    uint64_t& expected = next[message.stream];
    EXPECT_GE(number, expected) << "stream " << message.stream << ": " << message.text
                                << " repeated or out of order";
    if (number > expected) {
      std::printf("[ gap ] stream %u: %llu..%llu missing\n", message.stream,
                  static_cast<unsigned long long>(expected),
                  static_cast<unsigned long long>(number - 1));
      missing += number - expected;
    }
    expected = number + 1;
  }
  for (uint32_t stream = 0; stream < 3; ++stream) {
    EXPECT_LE(next[stream], sent[stream]);
    if (next[stream] < sent[stream]) {
      std::printf("[ gap ] stream %u: %llu..%llu never arrived\n", stream,
                  static_cast<unsigned long long>(next[stream]),
                  static_cast<unsigned long long>(sent[stream] - 1));
    }
    missing += sent[stream] - std::min(next[stream], sent[stream]);
  }
  return missing;
}

class CrashSurvivalLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat("/tmp/sctpgw-crash-", getpid(), "-", counter_++, ".sock");
  }
  void TearDown() override {
    recorder_.Hold(false);
    if (client_ != nullptr) client_->StopReceiving();
    client_.reset();
    if (sctpgw_ != nullptr && !sctpgw_->stopped()) sctpgw_->Stop();
  }

  void StartSctpgw(int fd_store_max = 64) {
    sctpgw_ = ManagedSctpgw::Start(path_, fd_store_max);
    ASSERT_NE(sctpgw_, nullptr);
  }

  // An application with an association to `peer`, receiving.
  void Connect(const StreamPeer& peer) {
    client::ClientOptions options;
    options.target = "unix:" + path_;
    auto connected = client::Client::Connect(options, &recorder_);
    ASSERT_TRUE(connected.ok()) << connected.status();
    client_ = std::move(*connected);
    auto endpoint = client_->OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"}));
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = endpoint->endpoint_id();
    auto association = client_->Associate(endpoint_, {"127.0.0.1"}, peer.port, 10);
    ASSERT_TRUE(association.ok()) << association.status();
    association_ = association->association_id();
    client_->StartReceiving(endpoint_, association_);
  }

  // Whether the last message the peer sent on each stream arrived, waiting
  // for it: they came after the restarts, so once all three are in,
  // everything that will arrive has.
  bool WaitForLastMessages(const std::vector<uint64_t>& sent) {
    auto all_in = [&] {
      std::map<uint32_t, std::string> last;
      for (const auto& message : recorder_.messages()) last[message.stream] = message.text;
      for (uint32_t stream = 0; stream < 3; ++stream) {
        if (sent[stream] == 0) continue;
        const std::string want = absl::StrCat(stream, ":", sent[stream] - 1);
        if (last[stream].substr(0, last[stream].find('|')) != want) return false;
      }
      return true;
    };
    for (auto until = Clock::now() + kTimeout; !all_in() && Clock::now() < until;) {
      recorder_.WaitForMessages(recorder_.message_count() + 1, 100ms);
    }
    return all_in();
  }

  // Blocks the application's handler until sctpgw holds at least `count`
  // messages for it; returns how many it holds.
  uint32_t HoldUntilQueued(uint32_t count) {
    recorder_.Hold(true);
    uint32_t queued = 0;
    for (auto until = Clock::now() + kTimeout; queued < count && Clock::now() < until;) {
      auto association = client_->GetAssociation(association_);
      EXPECT_TRUE(association.ok()) << association.status();
      if (!association.ok()) break;
      queued = association->association().queued_messages();
    }
    return queued;
  }

  // The MESSAGES_LOST events of the association so far, summed: lost for
  // certain, and perhaps.
  std::pair<uint64_t, uint64_t> LostReported() {
    std::pair<uint64_t, uint64_t> lost{0, 0};
    for (const v1::Event& event : recorder_.events()) {
      if (event.has_messages_lost() && event.association_id() == association_) {
        lost.first += event.messages_lost().messages();
        lost.second += event.messages_lost().unconfirmed_messages();
      }
    }
    return lost;
  }

  static inline int counter_ = 0;
  std::string path_;
  std::unique_ptr<ManagedSctpgw> sctpgw_;
  Recorder recorder_;
  std::unique_ptr<client::Client> client_;
  uint64_t endpoint_ = 0;
  uint64_t association_ = 0;
};

// The acceptance case: SIGKILL twice under traffic, once while the
// application reads (little or nothing queued in sctpgw), once while it
// does not (a known backlog queued in sctpgw, lost and counted).
TEST_F(CrashSurvivalLabTest, AssociationsSurviveSigkillAndEveryLostMessageIsCounted) {
  ASSERT_NO_FATAL_FAILURE(StartSctpgw());
  // Messages of 1 KiB: an application that stops reading fills its
  // connection's flow-control window within moments, and sctpgw's queue
  // for it grows from then on.
  StreamPeer peer(/*interval_ms=*/5, /*pad=*/1000);
  ASSERT_NO_FATAL_FAILURE(Connect(peer));
  ASSERT_TRUE(peer.process->WriteStdin("start\n").ok());
  ASSERT_TRUE(recorder_.WaitForMessages(60, kCallTimeout));
  // Every socket is in the store, with the state record and the ledger.
  std::vector<std::string> names = sctpgw_->Names();
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return absl::StartsWith(n, "sctp-"); }),
            2)
      << absl::StrJoin(names, " ");
  EXPECT_EQ(std::count(names.begin(), names.end(), "ledger"), 1);

  // 1. Killed while the application reads.
  const auto first_kill = Clock::now();
  ASSERT_TRUE(sctpgw_->KillAndWaitForRestart());
  const auto first_ready = Clock::now();
  const size_t before = recorder_.message_count();
  ASSERT_TRUE(recorder_.WaitForMessages(before + 60, kCallTimeout))
      << "the application did not receive again after the restart";
  const auto receiving_again = Clock::now();

  // 2. Killed with a backlog queued in sctpgw: the application stops
  // reading (its handler blocks, the client library stops reading its
  // stream) until sctpgw holds at least 20 messages for it.
  const uint32_t queued = HoldUntilQueued(20);
  ASSERT_GE(queued, 20u);
  // The first restart may have reported a few messages lost too (those
  // queued at that moment): the event awaited is the second restart's.
  uint64_t before_second = 0;
  for (const v1::Event& event : recorder_.events()) {
    before_second = std::max(before_second, event.sequence());
  }
  ASSERT_TRUE(sctpgw_->KillAndWaitForRestart());
  recorder_.Hold(false);
  auto lost = recorder_.WaitForEvent(
      [this, before_second](const v1::Event& event) {
        return event.has_messages_lost() && event.association_id() == association_ &&
               event.sequence() > before_second;
      },
      kCallTimeout);
  ASSERT_TRUE(lost.has_value()) << "no MESSAGES_LOST event after the second restart";
  // What sctpgw held when it died (the queue, less what its stream had
  // written meanwhile into the connection, which the application still gets).
  EXPECT_GT(lost->messages_lost().messages() + lost->messages_lost().unconfirmed_messages(), 0u)
      << lost->detail();
  EXPECT_TRUE(absl::StrContains(lost->detail(), "stopped unexpectedly")) << lost->detail();
  // What an operator sees (sctpctl status).
  auto service = client::GetServiceStatus("unix:" + path_, kCallTimeout);
  ASSERT_TRUE(service.ok()) << service.status();
  EXPECT_EQ(service->start(), v1::SERVICE_START_RECOVERED);
  EXPECT_EQ(service->state(), v1::SERVICE_STATE_SERVING);
  EXPECT_EQ(service->associations_recovered(), 1u);
  EXPECT_EQ(service->messages_lost(), lost->messages_lost().messages());
  EXPECT_TRUE(service->crash_survival());
  const size_t resumed = recorder_.message_count();
  ASSERT_TRUE(recorder_.WaitForMessages(resumed + 60, kCallTimeout));

  // The association works both ways in the restarted sctpgw.
  client::SendOptions options;
  options.stream = 5;
  options.ppid = 7;
  ASSERT_TRUE(client_->Send(association_, "after-the-crash", options, kCallTimeout).ok());
  EXPECT_TRUE(peer.process->ReadStdoutUntil("got 5 7 after-the-crash", kCallTimeout).ok());

  // Every message sent either arrived, in order and once, or was counted.
  std::vector<uint64_t> sent = peer.Stop();
  const uint64_t total = sent[0] + sent[1] + sent[2];
  ASSERT_TRUE(WaitForLastMessages(sent)) << "the peer's last messages did not arrive";
  const uint64_t missing = MissingAfterCheckingOrder(recorder_.messages(), sent);
  // Every message missing was reported: lost for certain, or perhaps (it
  // was being written to the application when sctpgw died).
  const auto [certain, perhaps] = LostReported();
  EXPECT_GE(missing, certain) << "messages reported lost were delivered";
  EXPECT_LE(missing, certain + perhaps) << "messages lost without a word";
  // The peer saw one association from start to end.
  EXPECT_EQ(peer.Notes(), (std::vector<std::string>{"note assoc_change 0"}));
  // The event stream: no sequence twice, none out of order, and no history
  // lost (OUT_OF_RANGE) across the restarts.
  uint64_t previous = 0;
  for (const v1::Event& event : recorder_.events()) {
    EXPECT_GT(event.sequence(), previous);
    previous = event.sequence();
  }
  for (const absl::Status& status : recorder_.stream_statuses()) {
    EXPECT_NE(status.code(), absl::StatusCode::kOutOfRange) << status;
  }
  std::printf("[ figures ] %llu messages sent, %zu received, %llu missing; reported lost "
              "%llu + perhaps %llu (queue seen %u); restart to READY %lld ms, kill to receiving "
              "again %lld ms\n",
              static_cast<unsigned long long>(total), recorder_.message_count(),
              static_cast<unsigned long long>(missing), static_cast<unsigned long long>(certain),
              static_cast<unsigned long long>(perhaps), queued,
              static_cast<long long>((first_ready - first_kill) / 1ms),
              static_cast<long long>((receiving_again - first_kill) / 1ms));

  // A clean stop ends the association gracefully and empties the store.
  client_->StopReceiving();
  client_.reset();
  sctpgw_->Stop();
  EXPECT_TRUE(peer.process->ReadStdoutUntil("eof", kCallTimeout).ok())
      << "the peer was not shut down gracefully: " << peer.process->ReadStdout(0ms);
}

// A store too small for every socket: the association whose socket it did
// not keep ends with the crash, and its session is told why, never silently.
TEST_F(CrashSurvivalLabTest, AnAssociationTheStoreDidNotKeepIsReportedLost) {
  // The ledger, two state records (the new one is stored before the old
  // one goes) and the endpoint's socket; not the association's. The
  // manager says how many it keeps ($FDSTORE, as systemd 254 does).
  ASSERT_NO_FATAL_FAILURE(StartSctpgw(/*fd_store_max=*/4));
  StreamPeer peer(/*interval_ms=*/20);
  ASSERT_NO_FATAL_FAILURE(Connect(peer));
  std::vector<std::string> names = sctpgw_->Names();
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return absl::StartsWith(n, "sctp-"); }),
            1)
      << absl::StrJoin(names, " ");
  ASSERT_TRUE(sctpgw_->KillAndWaitForRestart());
  auto lost = recorder_.WaitForEvent(
      [this](const v1::Event& event) {
        return event.association_id() == association_ && event.has_association_change() &&
               event.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST;
      },
      kCallTimeout);
  ASSERT_TRUE(lost.has_value());
  EXPECT_TRUE(absl::StrContains(lost->detail(), "not handed over")) << lost->detail();
  // The session itself came through: the application goes on with it.
  auto endpoints = client_->ListEndpoints();
  ASSERT_TRUE(endpoints.ok()) << endpoints.status();
  EXPECT_EQ(endpoints->size(), 1u);
  EXPECT_FALSE(absl::StrContains(sctpgw_->Output(), "refused")) << sctpgw_->Output();
}

// sctpgw beside an fd holder, as in a container (docs/container.md): a
// stop (SIGTERM) leaves everything with the holder and the next sctpgw
// takes it all back. Under traffic, with a backlog queued for the
// application at the stop: every message arrives exactly once and in order,
// nothing is reported lost, the peer never hears of it; and the holder
// stopping in turn (the pod going away) shuts the association down
// gracefully.
TEST_F(CrashSurvivalLabTest, AStopBesideAnFdHolderLosesNothing) {
  const std::string holder_path = path_ + ".holder";
  unlink(holder_path.c_str());
  auto holder = Subprocess::Start({SCTPGW_FD_HOLDER_BINARY, "--socket", holder_path});
  ASSERT_TRUE(holder.ok()) << holder.status();
  auto start_sctpgw = [&]() -> std::unique_ptr<Subprocess> {
    unlink(path_.c_str());
    auto started = Subprocess::Start(
        {SCTPGW_BINARY, "--listen", "unix:" + path_, "--fd-holder", holder_path});
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return nullptr;
    for (auto until = Clock::now() + kTimeout; Clock::now() < until;) {
      auto status = client::GetServiceStatus("unix:" + path_, 1s);
      if (status.ok() && status->state() == v1::SERVICE_STATE_SERVING) {
        return std::make_unique<Subprocess>(std::move(*started));
      }
      if (started->Wait(50ms).ok()) break;  // Exited.
    }
    ADD_FAILURE() << "sctpgw beside the holder did not serve";
    return nullptr;
  };
  auto sctpgw = start_sctpgw();
  ASSERT_NE(sctpgw, nullptr);
  StreamPeer peer(/*interval_ms=*/5, /*pad=*/1000);
  ASSERT_NO_FATAL_FAILURE(Connect(peer));
  ASSERT_TRUE(peer.process->WriteStdin("start\n").ok());
  ASSERT_TRUE(recorder_.WaitForMessages(60, kCallTimeout));

  const uint32_t queued = HoldUntilQueued(20);
  ASSERT_GE(queued, 20u);
  const auto stop = Clock::now();
  sctpgw->Signal(SIGTERM);
  auto exited = sctpgw->Wait(kCallTimeout);
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0) << "wait status " << *exited;
  sctpgw.reset();
  sctpgw = start_sctpgw();
  ASSERT_NE(sctpgw, nullptr);
  const auto serving = Clock::now();
  recorder_.Hold(false);
  auto service = client::GetServiceStatus("unix:" + path_, kCallTimeout);
  ASSERT_TRUE(service.ok()) << service.status();
  EXPECT_EQ(service->start(), v1::SERVICE_START_RESTARTED);
  EXPECT_EQ(service->associations_recovered(), 1u);
  EXPECT_EQ(service->messages_lost(), 0u);
  EXPECT_TRUE(service->crash_survival());
  const size_t resumed = recorder_.message_count();
  ASSERT_TRUE(recorder_.WaitForMessages(resumed + 60, kCallTimeout));
  const auto receiving_again = Clock::now();

  client::SendOptions options;
  options.stream = 5;
  options.ppid = 7;
  ASSERT_TRUE(client_->Send(association_, "after-the-stop", options, kCallTimeout).ok());
  EXPECT_TRUE(peer.process->ReadStdoutUntil("got 5 7 after-the-stop", kCallTimeout).ok());

  std::vector<uint64_t> sent = peer.Stop();
  ASSERT_TRUE(WaitForLastMessages(sent)) << "the peer's last messages did not arrive";
  EXPECT_EQ(MissingAfterCheckingOrder(recorder_.messages(), sent), 0u);
  EXPECT_EQ(LostReported(), (std::pair<uint64_t, uint64_t>{0, 0}));
  EXPECT_EQ(peer.Notes(), (std::vector<std::string>{"note assoc_change 0"}));
  uint64_t previous = 0;
  for (const v1::Event& event : recorder_.events()) {
    EXPECT_EQ(event.sequence(), previous + 1) << "an event missing or repeated";
    previous = event.sequence();
  }
  for (const absl::Status& status : recorder_.stream_statuses()) {
    EXPECT_NE(status.code(), absl::StatusCode::kOutOfRange) << status;
  }
  std::printf("[ figures ] %llu messages sent, every one received once; %u queued at the stop; "
              "SIGTERM to serving again %lld ms, to receiving again %lld ms\n",
              static_cast<unsigned long long>(sent[0] + sent[1] + sent[2]), queued,
              static_cast<long long>((serving - stop) / 1ms),
              static_cast<long long>((receiving_again - stop) / 1ms));

  // The pod going away: sctpgw stops (everything stays with the holder),
  // then the holder, whose last copies close: a graceful SHUTDOWN. (The
  // application stays: closing its session would end the association.)
  client_->StopReceiving();
  sctpgw->Signal(SIGTERM);
  exited = sctpgw->Wait(kCallTimeout);
  ASSERT_TRUE(exited.ok()) << exited.status();
  // sctpgw's descriptors are closed now: without the holder's copies the
  // kernel would already have started the SHUTDOWN. Both ends (this lab
  // holds no other association) are still ESTABLISHED (state 3).
  EXPECT_EQ(KernelAssociationStates(), (std::vector<int>{3, 3}))
      << "the association ended with sctpgw, not with the holder";
  holder->Signal(SIGTERM);
  exited = holder->Wait(kCallTimeout);
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0) << "wait status " << *exited;
  EXPECT_TRUE(peer.process->ReadStdoutUntil("eof", kCallTimeout).ok())
      << "the peer was not shut down gracefully: " << peer.process->ReadStdout(0ms);
}

}  // namespace
}  // namespace sctpgw
