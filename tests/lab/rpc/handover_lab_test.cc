// Planned handover (docs/handover.md) under real kernel SCTP: a new sctpgw
// process takes over from a running one while a peer written with Python's
// kernel socket sends numbered messages on three streams and an application
// reads and sends through the C++ client library. What is checked is what
// the peer and the application see: every message exactly once and in
// order per stream, the peer never told of a restart, shutdown or abort, and
// the application's event stream without a gap or a duplicate. Handovers
// that are refused or fail halfway leave the old process serving, with
// nothing lost.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sctpgw/client.h"
#include "server/handover/handover_channel.h"
#include "server/handover/handover_state.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/stream_traffic.h"

namespace sctpgw {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::SctpgwServer;
using testing::Subprocess;
using testing::Recorder;
using testing::StreamPeer;

long long Ms(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

// tests/lab/tools/sctp_peer.py listening on 127.0.0.1, and its port.
std::pair<std::optional<Subprocess>, uint16_t> ListeningPeer() {
  auto peer = Subprocess::Start({"/usr/bin/python3", testing::PeerScript(), "listen", "127.0.0.1"},
                                /*keep_stdin=*/true);
  EXPECT_TRUE(peer.ok()) << peer.status();
  if (!peer.ok()) return {std::nullopt, 0};
  auto banner = peer->ReadStdoutUntil("\n", kCallTimeout);
  EXPECT_TRUE(banner.ok()) << banner.status();
  if (!banner.ok()) return {std::move(*peer), 0};
  return {std::move(*peer), static_cast<uint16_t>(std::stoul(banner->substr(5)))};
}

// Every stream's messages are "STREAM:0" .. "STREAM:N-1", in order, once.
void ExpectEachOnceInOrder(const std::vector<Recorder::Received>& received,
                           const std::vector<uint64_t>& sent) {
  std::map<uint32_t, uint64_t> next;
  for (const auto& message : received) {
    ASSERT_LT(message.stream, 3u) << message.text;
    EXPECT_EQ(message.ppid, 40 + message.stream);
    uint64_t& expected = next[message.stream];
    const std::string number = message.text.substr(0, message.text.find('|'));
    ASSERT_EQ(number, absl::StrCat(message.stream, ":", expected))
        << "stream " << message.stream << ": a message lost, repeated or out of order";
    ++expected;
  }
  for (uint32_t stream = 0; stream < 3; ++stream) {
    EXPECT_EQ(next[stream], sent[stream]) << "stream " << stream;
  }
}

// The longest pause between two messages reaching the application within
// [from, to]: the gap in delivery a handover causes, and where it began
// (after `from`).
struct Pause {
  Clock::duration length{0};
  Clock::duration began{0};
};
Pause LongestPause(const std::vector<Recorder::Received>& received, Clock::time_point from,
                   Clock::time_point to) {
  Pause longest;
  for (size_t i = 1; i < received.size(); ++i) {
    if (received[i].at < from || received[i - 1].at > to) continue;
    if (received[i].at - received[i - 1].at > longest.length) {
      longest.length = received[i].at - received[i - 1].at;
      longest.began = received[i - 1].at - from;
    }
  }
  return longest;
}

// The session's whole event history, as the service keeps it.
std::vector<uint64_t> HistoryOf(SctpgwServer& server, const std::string& session,
                                uint64_t last_sequence) {
  auto stub = server.NewStub();
  v1::WatchEventsRequest request;
  request.set_session_id(session);
  request.set_after_sequence(0);
  testing::EventWatch watch(*stub, request);
  auto last = watch.WaitFor(
      [last_sequence](const v1::Event& event) { return event.sequence() >= last_sequence; },
      kCallTimeout);
  EXPECT_TRUE(last.ok()) << last.status();
  std::vector<uint64_t> sequences;
  for (const v1::Event& event : watch.events()) sequences.push_back(event.sequence());
  return sequences;
}

// The newest event sequence the service has (its acknowledgement says).
uint64_t LastSequence(SctpgwServer& server, const std::string& session) {
  auto stub = server.NewStub();
  v1::WatchEventsRequest request;
  request.set_session_id(session);
  request.set_only_new(true);
  testing::EventWatch watch(*stub, request);
  auto ack = watch.WaitForResponse(
      [](const v1::WatchEventsResponse& response) { return response.has_ack(); }, kCallTimeout);
  EXPECT_TRUE(ack.ok()) << ack.status();
  return ack.ok() ? ack->ack().last_sequence() : 0;
}

std::string HandoverPath(const std::string& path) { return path + ".handover"; }

class HandoverLabTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer({})); }
  // sctpgw with `args` on a fresh socket path.
  void StartServer(const std::vector<std::string>& args) {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop(kCallTimeout).ok());
    }
    path_ = absl::StrCat("/tmp/sctpgw-handover-", getpid(), "-", counter_++, ".sock");
    unlink(path_.c_str());
    auto server = SctpgwServer::Start(args, {}, path_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    stop_sending_ = true;
    if (sender_.joinable()) sender_.join();
    if (client_ != nullptr) client_->StopReceiving();
    if (echo_client_ != nullptr) echo_client_->StopReceiving();
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop(kCallTimeout).ok());
    }
  }

  // An application on the client library: client_, its handler recorder_.
  void ConnectClient() {
    client::ClientOptions options;
    options.target = "unix:" + path_;
    auto connected = client::Client::Connect(options, &recorder_);
    ASSERT_TRUE(connected.ok()) << connected.status();
    client_ = std::move(*connected);
  }

  // An application on the client library with an association to `peer`,
  // receiving through StartReceiving() if `receive`.
  void Connect(const StreamPeer& peer, bool receive = true) {
    ASSERT_NO_FATAL_FAILURE(ConnectClient());
    auto endpoint = client_->OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"}));
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = endpoint->endpoint_id();
    auto association = client_->Associate(endpoint_, {"127.0.0.1"}, peer.port, 10);
    ASSERT_TRUE(association.ok()) << association.status();
    association_ = association->association_id();
    if (receive) client_->StartReceiving(endpoint_, association_);
  }

  // Sends "a:N" on stream 5 (PPID 7) through the library until stopped;
  // every Send must succeed (HANDED_OVER is retried inside the library).
  void StartSending() {
    sender_ = std::thread([this] {
      while (!stop_sending_) {
        client::SendOptions options;
        options.stream = 5;
        options.ppid = 7;
        absl::Status sent = client_->Send(association_, absl::StrCat("a:", acknowledged_.load()),
                                          options, kCallTimeout);
        if (!sent.ok()) {
          send_error_ = sent.ToString();
          return;
        }
        ++acknowledged_;
        if (echo_association_ == 0) continue;
        sent = echo_client_->Send(echo_association_, absl::StrCat("b:", echoed_.load(), "\n"),
                                  {}, kCallTimeout);
        if (!sent.ok()) {
          send_error_ = sent.ToString();
          return;
        }
        ++echoed_;
      }
    });
  }
  uint64_t StopSending() {
    stop_sending_ = true;
    if (sender_.joinable()) sender_.join();
    EXPECT_EQ(send_error_, "") << "a Send failed";
    return acknowledged_;
  }

  // Starts a new sctpgw that takes over from server_, waits for the old one
  // to exit 0, and makes the new one server_.
  void HandOver() {
    auto taker = SctpgwServer::Start({"--take-over", HandoverPath(path_)}, {}, path_);
    ASSERT_TRUE(taker.ok()) << taker.status();
    absl::Status exited = server_->WaitForExit(kCallTimeout);
    ASSERT_TRUE(exited.ok()) << "the old sctpgw did not hand over and exit 0: " << exited;
    server_ = std::move(*taker);
  }

  static inline int counter_ = 0;
  std::string path_;
  std::unique_ptr<SctpgwServer> server_;
  Recorder recorder_;
  std::unique_ptr<client::Client> client_;
  uint64_t endpoint_ = 0;
  uint64_t association_ = 0;
  std::thread sender_;
  std::atomic<bool> stop_sending_{false};
  std::atomic<uint64_t> acknowledged_{0};
  // A second application's association, to socat echoing with cat: it
  // sends "b:N\n" beside the first's messages.
  Recorder echo_recorder_;
  std::unique_ptr<client::Client> echo_client_;
  uint64_t echo_association_ = 0;
  std::atomic<uint64_t> echoed_{0};
  std::string send_error_;
};

// The acceptance case: two handovers in a row under traffic both ways.
TEST_F(HandoverLabTest, NothingLostOrRepeatedWhileANewProcessTakesOver) {
  StreamPeer peer(/*interval_ms=*/5);
  ASSERT_NO_FATAL_FAILURE(Connect(peer));
  // A second application, with its own session, endpoint and association
  // to a second peer: socat, echoing what it gets with cat.
  auto socat = Subprocess::Start({"socat", "SCTP-LISTEN:5999,bind=127.0.0.1,reuseaddr",
                                  "EXEC:cat"});
  ASSERT_TRUE(socat.ok()) << socat.status();
  client::ClientOptions options;
  options.target = "unix:" + path_;
  auto echo_client = client::Client::Connect(options, &echo_recorder_);
  ASSERT_TRUE(echo_client.ok()) << echo_client.status();
  echo_client_ = std::move(*echo_client);
  auto echo_endpoint = echo_client_->OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"}));
  ASSERT_TRUE(echo_endpoint.ok()) << echo_endpoint.status();
  absl::StatusOr<v1::Association> echo = absl::UnavailableError("socat is not listening yet");
  for (auto until = Clock::now() + kTimeout; !echo.ok() && Clock::now() < until;) {
    echo = echo_client_->Associate(echo_endpoint->endpoint_id(), {"127.0.0.1"}, 5999, 10);
  }
  ASSERT_TRUE(echo.ok()) << echo.status();
  echo_association_ = echo->association_id();
  echo_client_->StartReceiving(echo_endpoint->endpoint_id(), echo_association_);
  ASSERT_TRUE(peer.process->WriteStdin("start\n").ok());
  StartSending();
  ASSERT_TRUE(recorder_.WaitForMessages(60, kCallTimeout));

  std::vector<std::pair<Clock::time_point, Clock::time_point>> handovers;
  for (int round = 0; round < 2; ++round) {
    const auto started = Clock::now();
    ASSERT_NO_FATAL_FAILURE(HandOver());
    handovers.emplace_back(started, Clock::now());
    // Traffic flows through the new process before anything is checked.
    size_t seen = recorder_.message_count();
    ASSERT_TRUE(recorder_.WaitForMessages(seen + 60, kCallTimeout))
        << "no traffic after handover " << round + 1 << "; the library's receiving: "
        << recorder_.receiving_stopped();
  }
  std::vector<uint64_t> sent = peer.Stop();
  uint64_t acknowledged = StopSending();
  uint64_t total = sent[0] + sent[1] + sent[2];
  // What socat echoed: every "b:N\n" acknowledged, once, in order (as a
  // byte stream: cat may join or split messages on the way back).
  std::string echoed_expected;
  for (uint64_t i = 0; i < echoed_; ++i) absl::StrAppend(&echoed_expected, "b:", i, "\n");
  EXPECT_EQ(echo_recorder_.WaitForBytes(echo_association_, echoed_expected.size(), kCallTimeout),
            echoed_expected);
  ASSERT_TRUE(recorder_.WaitForMessages(total, kCallTimeout))
      << recorder_.message_count() << " of " << total << " messages reached the application";
  auto received = recorder_.messages();
  EXPECT_EQ(received.size(), total) << "messages repeated";
  ExpectEachOnceInOrder(received, sent);

  // Every Send acknowledged reached the peer, once, in order.
  ASSERT_GT(acknowledged, 0u);
  ASSERT_TRUE(peer.process->ReadStdoutUntil(absl::StrCat("got 5 7 a:", acknowledged - 1, "\n"),
                                            kCallTimeout)
                  .ok());
  uint64_t next = 0;
  for (absl::string_view line : absl::StrSplit(peer.process->ReadStdout(0ms), '\n')) {
    if (!absl::StartsWith(line, "got 5 7 ")) continue;
    EXPECT_EQ(line, absl::StrCat("got 5 7 a:", next)) << "the peer got a message twice or late";
    ++next;
  }
  EXPECT_EQ(next, acknowledged);

  // The same kernel association throughout: the peer was told of it once
  // (COMM_UP) and of nothing else, no RESTART, SHUTDOWN or ABORT.
  EXPECT_EQ(peer.Notes(), std::vector<std::string>{"note assoc_change 0"});
  EXPECT_EQ(recorder_.receiving_stopped(), "");

  // The events: the association's end comes from the second taker, and the
  // application's stream gave every event of the session's history once.
  ASSERT_TRUE(client_->Shutdown(association_).ok());
  ASSERT_TRUE(recorder_.WaitForChange(association_, v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP,
                                      kCallTimeout));
  std::vector<uint64_t> delivered;
  for (const v1::Event& event : recorder_.events()) delivered.push_back(event.sequence());
  ASSERT_FALSE(delivered.empty());
  EXPECT_EQ(HistoryOf(*server_, client_->session_id(), delivered.back()), delivered)
      << "the application's event stream has a gap or a duplicate";
  int comm_up = 0;
  for (const v1::Event& event : recorder_.events()) {
    comm_up += event.association_id() == association_ && event.has_association_change() &&
               event.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP;
  }
  EXPECT_EQ(comm_up, 1);

  for (size_t i = 0; i < handovers.size(); ++i) {
    Pause pause = LongestPause(received, handovers[i].first, handovers[i].second);
    std::printf("  handover %zu: the old process exited %lld ms after the new one started; "
                "longest pause in delivery %lld ms, from %lld ms after the start\n",
                i + 1, Ms(handovers[i].second - handovers[i].first), Ms(pause.length),
                Ms(pause.began));
  }
  std::printf("  %llu messages from the peer on 3 streams, %llu from the application, each "
              "once and in order; %llu echoed by socat, once and in order; %zu events\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(acknowledged),
              static_cast<unsigned long long>(echoed_.load()), delivered.size());
}

// A full receive queue is handed over whole: sctpgw has stopped reading
// the association (its queue at the limit) and the kernel's receive window
// holds the peer back. The new process has the queued messages, reads the
// rest from the kernel once the application reads, and nothing is lost,
// repeated or reordered.
TEST_F(HandoverLabTest, AFullQueueWithThePeerHeldBackIsHandedOverWhole) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--association-queue-bytes", "65536",
                                       "--socket-buffer-bytes", "65536",
                                       "--max-message-bytes", "16384"}));
  StreamPeer peer(/*interval_ms=*/0, /*pad=*/1000);
  ASSERT_NO_FATAL_FAILURE(Connect(peer, /*receive=*/false));
  ASSERT_TRUE(peer.process->WriteStdin("start\n").ok());
  // The queue fills: the service's view of it, polled with a deadline.
  uint64_t queued = 0;
  for (auto until = Clock::now() + kTimeout; queued < 60000 && Clock::now() < until;) {
    auto got = client_->GetAssociation(association_);
    ASSERT_TRUE(got.ok()) << got.status();
    queued = got->association().queued_bytes();
  }
  ASSERT_GE(queued, 60000u) << "the queue never filled";
  ASSERT_NO_FATAL_FAILURE(HandOver());
  auto after = client_->GetAssociation(association_);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GE(after->association().queued_bytes(), queued) << "queued messages were not handed over";
  client_->StartReceiving(endpoint_, association_);
  ASSERT_TRUE(recorder_.WaitForMessages(recorder_.message_count() + 200, kCallTimeout));
  std::vector<uint64_t> sent = peer.Stop();
  uint64_t total = sent[0] + sent[1] + sent[2];
  ASSERT_TRUE(recorder_.WaitForMessages(total, kCallTimeout))
      << recorder_.message_count() << " of " << total << " messages reached the application";
  auto received = recorder_.messages();
  EXPECT_EQ(received.size(), total);
  ExpectEachOnceInOrder(received, sent);
  EXPECT_EQ(peer.Notes(), std::vector<std::string>{"note assoc_change 0"});
  std::printf("  %llu bytes queued at the handover; %llu messages of 1 KiB, each once and in "
              "order\n",
              static_cast<unsigned long long>(queued), static_cast<unsigned long long>(total));
}

// Two new processes asking at once: the running one serves the first, the
// second waits and is refused when the first has everything; it exits 1 and
// the first serves on, nothing lost.
TEST_F(HandoverLabTest, OfTwoTakersAtOnceOneTakesOverAndTheOtherIsRefused) {
  StreamPeer peer(/*interval_ms=*/5);
  ASSERT_NO_FATAL_FAILURE(Connect(peer));
  ASSERT_TRUE(peer.process->WriteStdin("start\n").ok());
  StartSending();
  ASSERT_TRUE(recorder_.WaitForMessages(30, kCallTimeout));
  std::vector<std::string> argv = {SCTPGW_BINARY, "--listen", "unix:" + path_, "--log-level",
                                   "warn", "--take-over", HandoverPath(path_)};
  auto first = Subprocess::Start(argv);
  auto second = Subprocess::Start(argv);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  absl::Status exited = server_->WaitForExit(kCallTimeout);
  ASSERT_TRUE(exited.ok()) << "the old sctpgw did not hand over and exit 0: " << exited;
  // One of the two exits 1 by itself; the other serves.
  std::optional<int> refused;
  Subprocess* winner = nullptr;
  for (auto until = Clock::now() + kTimeout; !refused.has_value() && Clock::now() < until;) {
    for (auto [taker, other] : {std::pair{&*first, &*second}, std::pair{&*second, &*first}}) {
      auto status = taker->Wait(100ms);
      if (status.ok()) {
        refused = *status;
        winner = other;
        break;
      }
    }
  }
  ASSERT_TRUE(refused.has_value()) << "neither taker was refused";
  EXPECT_TRUE(WIFEXITED(*refused) && WEXITSTATUS(*refused) == 1) << *refused;
  size_t seen = recorder_.message_count();
  ASSERT_TRUE(recorder_.WaitForMessages(seen + 60, kCallTimeout)) << "no traffic after the handover";
  std::vector<uint64_t> sent = peer.Stop();
  uint64_t acknowledged = StopSending();
  uint64_t total = sent[0] + sent[1] + sent[2];
  ASSERT_TRUE(recorder_.WaitForMessages(total, kCallTimeout));
  auto received = recorder_.messages();
  EXPECT_EQ(received.size(), total);
  ExpectEachOnceInOrder(received, sent);
  EXPECT_TRUE(peer.process->ReadStdoutUntil(absl::StrCat("got 5 7 a:", acknowledged - 1, "\n"),
                                            kCallTimeout)
                  .ok());
  EXPECT_EQ(peer.Notes(), std::vector<std::string>{"note assoc_change 0"});
  client_->StopReceiving();
  client_.reset();
  // The winner stops cleanly; the fixture has no server left to stop.
  winner->Signal(SIGTERM);
  auto stopped = winner->Wait(kCallTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << *stopped;
  server_.reset();
}

// An Associate still waiting (its INITs dropped) when the new process takes
// over: the call is refused HANDED_OVER inside the library and made again to
// the new process, which waits for the same half-open association; once the
// INITs get through it comes up there, once, and carries messages.
TEST_F(HandoverLabTest, AnAssociateWaitingForItsPeerCompletesInTheNewProcess) {
  ASSERT_TRUE(testing::RunCommand("tc qdisc add dev lo root netem loss 100%").ok());
  struct Unblock {
    ~Unblock() { (void)testing::RunCommand("tc qdisc del dev lo root"); }
  } unblock;
  auto listening = ListeningPeer();
  std::optional<Subprocess>& peer = listening.first;
  const uint16_t port = listening.second;
  ASSERT_NE(port, 0);
  ASSERT_NO_FATAL_FAILURE(ConnectClient());
  auto endpoint = client_->OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"}));
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  absl::StatusOr<v1::Association> associated = absl::UnknownError("not done");
  std::thread associate([&] {
    associated = client_->Associate(endpoint->endpoint_id(), {"127.0.0.1"}, port, 10,
                                    std::chrono::milliseconds(90s));
  });
  // The association exists, half-open, before the handover.
  uint64_t half_open = 0;
  for (auto until = Clock::now() + kTimeout; half_open == 0 && Clock::now() < until;) {
    auto listed = client_->ListAssociations(endpoint->endpoint_id());
    ASSERT_TRUE(listed.ok()) << listed.status();
    if (!listed->empty()) half_open = (*listed)[0].association_id();
  }
  ASSERT_NE(half_open, 0u);
  ASSERT_NO_FATAL_FAILURE(HandOver());
  ASSERT_TRUE(testing::RunCommand("tc qdisc del dev lo root").ok());
  associate.join();
  ASSERT_TRUE(associated.ok()) << associated.status();
  EXPECT_EQ(associated->association_id(), half_open);
  auto listed = client_->ListAssociations(endpoint->endpoint_id());
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), 1u) << "the retried Associate set up a second association";
  ASSERT_TRUE(peer->WriteStdin("4 11 up after the handover\nrecv 1\n").ok());
  auto messages = client_->Receive(half_open, kCallTimeout);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].payload(), "up after the handover");
  client::SendOptions reply;
  reply.stream = 4;
  reply.ppid = 12;
  ASSERT_TRUE(client_->Send(half_open, "and back", reply).ok());
  EXPECT_TRUE(peer->ReadStdoutUntil("got 4 12 and back\n", kCallTimeout).ok());
  int comm_up = 0;
  for (const v1::Event& event : recorder_.events()) {
    comm_up += event.association_id() == half_open && event.has_association_change() &&
               event.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP;
  }
  EXPECT_EQ(comm_up, 1);
  peer->CloseStdin();
}

// A graceful shutdown under way (every packet on the loopback held back 1 s
// each way, so the SHUTDOWN exchange outlasts the handover) when the new
// process takes over: the Shutdown call is made again to the new process,
// which finishes it; the peer gets every message, in order, then a graceful
// end, and the application SHUTDOWN_COMP once.
TEST_F(HandoverLabTest, AGracefulShutdownUnderWayFinishesInTheNewProcess) {
  auto listening = ListeningPeer();
  std::optional<Subprocess>& peer = listening.first;
  const uint16_t port = listening.second;
  ASSERT_NE(port, 0);
  ASSERT_NO_FATAL_FAILURE(ConnectClient());
  auto endpoint = client_->OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"}));
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  auto association = client_->Associate(endpoint->endpoint_id(), {"127.0.0.1"}, port, 10);
  ASSERT_TRUE(association.ok()) << association.status();
  const uint64_t id = association->association_id();
  ASSERT_TRUE(peer->WriteStdin("recv 1000000000\n").ok());
  constexpr int kMessages = 50;
  for (int i = 0; i < kMessages; ++i) {
    client::SendOptions send;
    send.stream = 1;
    send.ppid = 3;
    ASSERT_TRUE(client_->Send(id, absl::StrCat("m", i), send).ok());
  }
  ASSERT_TRUE(peer->ReadStdoutUntil(absl::StrCat("got 1 3 m", kMessages - 1, "\n"), kCallTimeout)
                  .ok());
  ASSERT_TRUE(testing::RunCommand("tc qdisc add dev lo root netem delay 1000ms").ok());
  struct Undelay {
    ~Undelay() { (void)testing::RunCommand("tc qdisc del dev lo root"); }
  } undelay;
  absl::Status shut = absl::UnknownError("not done");
  std::thread shutdown([&] { shut = client_->Shutdown(id, std::chrono::milliseconds(90s)); });
  for (auto until = Clock::now() + kTimeout; Clock::now() < until;) {
    auto got = client_->GetAssociation(id);
    ASSERT_TRUE(got.ok()) << got.status();
    if (got->association().state() == v1::ASSOCIATION_STATE_SHUTTING_DOWN) break;
  }
  auto before = client_->GetAssociation(id);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->association().state(), v1::ASSOCIATION_STATE_SHUTTING_DOWN);
  ASSERT_NO_FATAL_FAILURE(HandOver());
  shutdown.join();
  EXPECT_TRUE(shut.ok()) << shut;
  EXPECT_TRUE(recorder_.WaitForChange(id, v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP, kCallTimeout));
  auto out = peer->ReadStdoutUntil("\neof\n", kCallTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  int next = 0;
  for (absl::string_view line : absl::StrSplit(*out, '\n')) {
    if (!absl::StartsWith(line, "got ")) continue;
    EXPECT_EQ(line, absl::StrCat("got 1 3 m", next)) << "a message lost or repeated";
    ++next;
  }
  EXPECT_EQ(next, kMessages);
  int ends = 0;
  for (const v1::Event& event : recorder_.events()) {
    ends += event.association_id() == id && event.has_association_change() &&
            event.association_change().type() != v1::ASSOCIATION_CHANGE_TYPE_COMM_UP;
  }
  EXPECT_EQ(ends, 1) << "one end: SHUTDOWN_COMP, nothing else";
  peer->CloseStdin();
}

// A subscriber that reads nothing while events pile up and a new process
// takes over: it gets what the old process had for it, then the stream ends
// HANDED_OVER; resuming after the last event it read, from the new process,
// gives the rest. Together: the session's history, each event once.
TEST_F(HandoverLabTest, ASlowEventSubscriberResumesWithNothingMissedOrRepeated) {
  ASSERT_NO_FATAL_FAILURE(ConnectClient());
  auto endpoint = client_->OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"}));
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  auto stub = server_->NewStub();  // Reconnects to the same path: the new process.
  v1::WatchEventsRequest request;
  request.set_session_id(client_->session_id());
  request.set_after_sequence(0);
  grpc::ClientContext slow_context;
  auto slow = stub->WatchEvents(&slow_context, request);
  // Events: associations refused, no one listening on the port.
  auto refuse = [&](int count) {
    for (int i = 0; i < count; ++i) {
      EXPECT_FALSE(client_->Associate(endpoint->endpoint_id(), {"127.0.0.1"}, 9, 10).ok());
    }
  };
  refuse(20);
  ASSERT_NO_FATAL_FAILURE(HandOver());
  refuse(5);
  std::vector<uint64_t> got;
  v1::WatchEventsResponse response;
  while (slow->Read(&response)) {
    for (const v1::Event& event : response.events().events()) got.push_back(event.sequence());
  }
  grpc::Status ended = slow->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  EXPECT_EQ(testing::ErrorReason(ended), "HANDED_OVER") << ended.error_message();
  ASSERT_FALSE(got.empty()) << "the old process gave the slow subscriber nothing";
  const size_t from_old = got.size();
  // The library's own stream has every event by now: the last sequence.
  auto history = HistoryOf(*server_, client_->session_id(),
                           LastSequence(*server_, client_->session_id()));
  ASSERT_FALSE(history.empty());
  grpc::ClientContext resumed_context;
  resumed_context.set_wait_for_ready(true);
  testing::SetTimeout(&resumed_context, kCallTimeout);
  request.set_after_sequence(got.back());
  auto resumed = stub->WatchEvents(&resumed_context, request);
  while (got.back() < history.back() && resumed->Read(&response)) {
    for (const v1::Event& event : response.events().events()) got.push_back(event.sequence());
  }
  resumed_context.TryCancel();
  (void)resumed->Finish();
  EXPECT_EQ(got, history) << "the slow subscriber missed or repeated events";
  std::printf("  %zu events: %zu from the old process, the rest after resuming\n", got.size(),
              from_old);
}

// A listening endpoint is handed over too: a peer associating after the
// handover is accepted by the new process, on the same port.
TEST_F(HandoverLabTest, AListeningEndpointAcceptsAfterTheHandover) {
  ASSERT_NO_FATAL_FAILURE(ConnectClient());
  auto endpoint = client_->OpenEndpoint(client::EndpointOptions::Listening({"127.0.0.1"}, 0));
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const uint32_t port = endpoint->port();
  ASSERT_NE(port, 0u);
  ASSERT_NO_FATAL_FAILURE(HandOver());

  auto peer = Subprocess::Start({"/usr/bin/python3", testing::PeerScript(), "connect",
                                 "127.0.0.1", std::to_string(port)},
                                /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("3 9 after the handover\n").ok());
  auto up = std::chrono::steady_clock::now() + kTimeout;
  uint64_t association = 0;
  while (association == 0 && Clock::now() < up) {
    for (const v1::Event& event : recorder_.events()) {
      if (event.endpoint_id() == endpoint->endpoint_id() && event.has_association_change() &&
          event.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP) {
        association = event.association_id();
      }
    }
    if (association == 0) recorder_.WaitForMessages(1, 100ms);
  }
  ASSERT_NE(association, 0u) << "the new process did not accept on the handed-over endpoint";
  auto messages = client_->Receive(association, kCallTimeout);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].payload(), "after the handover");
  EXPECT_EQ((*messages)[0].stream(), 3u);
  EXPECT_EQ((*messages)[0].ppid(), 9u);
  peer->CloseStdin();
}

// Handovers that do not happen: garbage on the handover socket, another
// protocol version, a taker that goes away after it was offered everything
// (as a crashed new process would), a taker pointed at nothing. Each time
// the old process serves on, and the traffic through it loses nothing.
TEST_F(HandoverLabTest, RefusedOrFailedHandoversLeaveTheOldProcessServing) {
  StreamPeer peer(/*interval_ms=*/5);
  ASSERT_NO_FATAL_FAILURE(Connect(peer));
  ASSERT_TRUE(peer.process->WriteStdin("start\n").ok());
  StartSending();
  ASSERT_TRUE(recorder_.WaitForMessages(30, kCallTimeout));
  auto deadline = [] { return Clock::now() + kTimeout; };
  auto traffic_goes_on = [&](const char* after) {
    size_t seen = recorder_.message_count();
    EXPECT_TRUE(recorder_.WaitForMessages(seen + 30, kCallTimeout))
        << "no traffic after " << after;
  };

  {  // Not the protocol at all.
    auto channel = handover::HandoverChannel::Connect(HandoverPath(path_));
    ASSERT_TRUE(channel.ok()) << channel.status();
    const char garbage[] = "\xff\xff\xff\xff not a frame";
    ASSERT_EQ(send(channel->fd(), garbage, sizeof(garbage), 0),
              static_cast<ssize_t>(sizeof(garbage)));
    auto answer = channel->Receive(deadline());
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_TRUE(answer->has_refusal()) << answer->DebugString();
  }
  traffic_goes_on("garbage on the handover socket");

  {  // Another protocol version.
    auto channel = handover::HandoverChannel::Connect(HandoverPath(path_));
    ASSERT_TRUE(channel.ok()) << channel.status();
    handover::v1::Frame hello;
    hello.mutable_hello()->set_protocol_version(handover::kProtocolVersion + 1);
    hello.mutable_hello()->set_sctpgw_version("99.0.0");
    ASSERT_TRUE(channel->Send(hello).ok());
    auto answer = channel->Receive(deadline());
    ASSERT_TRUE(answer.ok()) << answer.status();
    ASSERT_TRUE(answer->has_refusal()) << answer->DebugString();
    EXPECT_NE(answer->refusal().reason().find("protocol"), std::string::npos)
        << answer->refusal().reason();
  }
  traffic_goes_on("a taker of another version");

  {  // A taker that is offered everything, then goes away without a word.
    auto channel = handover::HandoverChannel::Connect(HandoverPath(path_));
    ASSERT_TRUE(channel.ok()) << channel.status();
    handover::v1::Frame hello;
    hello.mutable_hello()->set_protocol_version(handover::kProtocolVersion);
    hello.mutable_hello()->set_sctpgw_version("test");
    hello.mutable_hello()->set_pid(static_cast<uint32_t>(getpid()));
    ASSERT_TRUE(channel->Send(hello).ok());
    auto offer = channel->ReceiveOffer(handover::kProtocolVersion, deadline());
    ASSERT_TRUE(offer.ok()) << offer.status();
    // The endpoint, the association and the unix listening socket.
    EXPECT_GE(offer->fds.size(), 3u);
    EXPECT_FALSE(offer->state.empty());
  }  // The channel and every descriptor it brought close here.
  traffic_goes_on("a taker that went away");

  {  // A taker pointed at a path where nothing listens fails by itself.
    auto lost = Subprocess::Start({SCTPGW_BINARY, "--listen", "unix:" + path_ + ".other",
                                   "--take-over", path_ + ".nothing-here"});
    ASSERT_TRUE(lost.ok()) << lost.status();
    auto status = lost->Wait(kCallTimeout);
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << *status;
  }
  traffic_goes_on("a taker that could not connect");

  std::vector<uint64_t> sent = peer.Stop();
  uint64_t acknowledged = StopSending();
  uint64_t total = sent[0] + sent[1] + sent[2];
  ASSERT_TRUE(recorder_.WaitForMessages(total, kCallTimeout))
      << recorder_.message_count() << " of " << total << " messages reached the application";
  auto received = recorder_.messages();
  EXPECT_EQ(received.size(), total);
  ExpectEachOnceInOrder(received, sent);
  ASSERT_GT(acknowledged, 0u);
  EXPECT_TRUE(peer.process->ReadStdoutUntil(absl::StrCat("got 5 7 a:", acknowledged - 1, "\n"),
                                            kCallTimeout)
                  .ok());
  EXPECT_EQ(peer.Notes(), std::vector<std::string>{"note assoc_change 0"});
  // Still the one that serves: a handover to a real new process works.
  ASSERT_NO_FATAL_FAILURE(HandOver());
  auto listed = client_->ListAssociations(endpoint_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].association_id(), association_);
  std::printf("  %llu messages from the peer, %llu from the application, each once and in "
              "order, through three handovers that did not happen and one that did\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(acknowledged));
}

}  // namespace
}  // namespace sctpgw
