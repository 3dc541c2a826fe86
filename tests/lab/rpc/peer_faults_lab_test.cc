// Faults of the peer, end to end: an independent peer (Python's kernel
// socket module) in a network namespace of its own aborts mid-transfer, dies
// while unreachable, restarts with the same address and port, or talks over
// a path that loses and reorders packets. The application on sctpgw must see
// the documented events and codes, and every message it was told was
// delivered must have arrived exactly once, in order on its stream. Runs
// under the lab.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/lab/support/gateway_app.h"

namespace sctpgw {
namespace {

using testing::ErrorMetadata;

using namespace std::chrono_literals;
using testing::App;
using testing::ErrorReason;
using testing::EventWatch;
using testing::IsAssociationChange;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Message;
using testing::SctpgwServer;
using testing::Subprocess;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

constexpr char kLocalIp[] = "198.51.100.1";
constexpr char kPeerIp[] = "198.51.100.2";

std::string FaultPeerScript() {
  return std::string(SCTPGW_SOURCE_DIR) + "/tests/lab/tools/sctp_fault_peer.py";
}

// Message `i` of a numbered series, as the fault peer makes them too: on
// stream i % streams, PPID i, payload "TAG-i-" padded with '.' to `size`.
v1::OutboundMessage Numbered(const std::string& tag, int i, int streams, size_t size) {
  std::string payload = absl::StrCat(tag, "-", i, "-");
  if (payload.size() < size) payload.resize(size, '.');
  return Message(static_cast<uint32_t>(i % streams), static_cast<uint32_t>(i), payload);
}

// One message as received by either side.
struct Received {
  uint32_t stream;
  uint32_t ppid;
  std::string payload;
};

std::vector<Received> FromInbound(const std::vector<v1::InboundMessage>& messages) {
  std::vector<Received> out;
  for (const auto& m : messages) out.push_back({m.stream(), m.ppid(), m.payload()});
  return out;
}

// The "got STREAM PPID LENGTH TEXT" lines the fault peer printed, with the
// payloads made whole again (TEXT is the payload without its '.' padding).
std::vector<Received> GotLines(const std::string& out) {
  std::vector<Received> got;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (!absl::ConsumePrefix(&line, "got ")) continue;
    std::vector<absl::string_view> words = absl::StrSplit(line, absl::MaxSplits(' ', 3));
    Received r{};
    size_t length = 0;
    if (words.size() != 4 || !absl::SimpleAtoi(words[0], &r.stream) ||
        !absl::SimpleAtoi(words[1], &r.ppid) || !absl::SimpleAtoi(words[2], &length) ||
        length < words[3].size()) {
      ADD_FAILURE() << "unreadable peer line: " << line;
      continue;
    }
    r.payload = std::string(words[3]);
    r.payload.resize(length, '.');
    got.push_back(std::move(r));
  }
  return got;
}

// The numbers of a numbered series as they arrived, per stream. Every message
// must be one of the series, whole, on its stream, with its PPID.
std::map<uint32_t, std::vector<int>> NumbersByStream(const std::vector<Received>& got,
                                                     const std::string& tag, int streams,
                                                     size_t size) {
  std::map<uint32_t, std::vector<int>> numbers;
  for (const Received& r : got) {
    absl::string_view rest = r.payload;
    int i = -1;
    if (!absl::ConsumePrefix(&rest, tag + "-") ||
        !absl::SimpleAtoi(rest.substr(0, rest.find('-')), &i) || i < 0) {
      ADD_FAILURE() << "not a message of series " << tag << ": " << r.payload.substr(0, 40);
      continue;
    }
    v1::OutboundMessage sent = Numbered(tag, i, streams, size);
    EXPECT_EQ(r.payload, sent.payload()) << tag << " message " << i << " arrived altered";
    EXPECT_EQ(r.stream, sent.stream()) << tag << " message " << i;
    EXPECT_EQ(r.ppid, sent.ppid()) << tag << " message " << i;
    numbers[r.stream].push_back(i);
  }
  return numbers;
}

// What stream `stream` carries of the series' first `count` messages, in
// the order sent.
std::vector<int> SentOnStream(uint32_t stream, int count, int streams) {
  std::vector<int> sent;
  for (int i = static_cast<int>(stream); i < count; i += streams) sent.push_back(i);
  return sent;
}

// Every message of the series 0..count-1 once, in order on its stream.
void ExpectAllOnceInOrder(const std::vector<Received>& got, const std::string& tag, int count,
                          int streams, size_t size) {
  EXPECT_EQ(got.size(), static_cast<size_t>(count)) << tag;
  auto numbers = NumbersByStream(got, tag, streams, size);
  for (int s = 0; s < streams; ++s) {
    auto stream = static_cast<uint32_t>(s);
    EXPECT_EQ(numbers[stream], SentOnStream(stream, count, streams))
        << tag << ": stream " << s << " lost, repeated or reordered messages";
  }
}

// Sends messages from..to-1 of a numbered series in batches of 10. Returns
// the first failure (OK if none); `accepted` counts the messages of batches
// sctpgw accepted whole.
grpc::Status SendNumbered(App& app, uint64_t association_id, const std::string& tag, int from,
                          int to, int streams, size_t size, int* accepted) {
  for (int i = from; i < to; i += 10) {
    std::vector<v1::OutboundMessage> batch;
    for (int j = i; j < std::min(to, i + 10); ++j) batch.push_back(Numbered(tag, j, streams, size));
    grpc::Status status = app.Send(association_id, batch);
    if (!status.ok()) return status;
    *accepted += static_cast<int>(batch.size());
  }
  return grpc::Status::OK;
}

// Receives from one association until `count` messages have arrived, the
// association ends, or `timeout` passes; returns the final status (OK when
// `count` arrived).
grpc::Status ReceiveUpTo(App& app, uint64_t association_id, size_t count,
                         std::vector<v1::InboundMessage>* out,
                         std::chrono::milliseconds timeout = kCallTimeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out->size() < count) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "receiving");
    v1::ReceiveRequest request;
    request.set_association_id(association_id);
    request.set_max_messages(1024);
    grpc::Status status = app.ReceiveFrom(request, out, std::min(left, kCallTimeout));
    if (!status.ok()) return status;
  }
  return grpc::Status::OK;
}

// A thread joined when it goes out of scope, so that a failed assertion
// cannot leave it running (every thread here ends by its calls' deadlines).
class JoiningThread {
 public:
  template <typename F>
  explicit JoiningThread(F f) : thread_(std::move(f)) {}
  ~JoiningThread() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

// The events of a watch, one a line, for failure messages.
std::string Describe(const std::vector<v1::Event>& events) {
  std::string out;
  for (const v1::Event& e : events) {
    v1::Event brief = e;
    if (brief.has_send_failed() && brief.send_failed().payload().size() > 12) {
      brief.mutable_send_failed()->mutable_payload()->resize(12);
    }
    absl::StrAppend(&out, "\n  ", brief.ShortDebugString());
  }
  return out;
}


long long Milliseconds(std::chrono::steady_clock::duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// Polls GetAssociation until `condition` holds or the deadline passes (no
// event tells of what is awaited here: queue lengths, waiting calls, the
// peer's window).
bool WaitUntil(App& app, uint64_t association_id,
               const std::function<bool(const v1::GetAssociationResponse&)>& condition) {
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    v1::GetAssociationResponse info;
    grpc::Status status = app.GetAssociation(association_id, &info);
    if (!status.ok()) return false;
    if (condition(info)) return true;
  }
  return false;
}

// This namespace and the peer's, joined by one veth link:
// gw0 198.51.100.1 <-> pr0 198.51.100.2. The peer's kernel retransmits
// after 100 ms..1 s (net.sctp.rto_*; defaults 1..60 s, 3 s initial), so that
// its own recoveries take fractions of a second too.
class PeerFaultsLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // sctpgw first: its start loads the kernel's SCTP module, whose per
    // namespace settings the peer's namespace then has.
    auto server = SctpgwServer::Start(server_args_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto ns = testing::NetNamespace::Create(absl::StrCat("sctpgw-pf-", getpid()));
    ASSERT_TRUE(ns.ok()) << ns.status();
    peer_ns_.emplace(std::move(*ns));
    ASSERT_TRUE(peer_ns_
                    ->AddLink("gw0", absl::StrCat(kLocalIp, "/24"), "pr0",
                              absl::StrCat(kPeerIp, "/24"))
                    .ok());
    ASSERT_TRUE(peer_ns_->Exec("sysctl -q -w net.sctp.rto_min=100 net.sctp.rto_initial=300 "
                               "net.sctp.rto_max=1000")
                    .ok());
  }

  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop(kCallTimeout).ok()) << "sctpgw did not stop cleanly";
    }
    (void)testing::RunCommand("ip link del gw0 2>/dev/null");
  }

  // Starts the fault peer in the peer's namespace with `args`.
  absl::StatusOr<Subprocess> StartPeer(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ip", "netns", "exec", peer_ns_->name(), "/usr/bin/python3",
                                     FaultPeerScript()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Subprocess::Start(argv, /*keep_stdin=*/true);
  }

  // A peer listening on kPeerIp; returns its port.
  uint32_t Listening(Subprocess& peer) {
    auto banner = peer.ReadStdoutUntil("\n", kCallTimeout);
    EXPECT_TRUE(banner.ok()) << banner.status();
    if (!banner.ok() || banner->rfind("port ", 0) != 0) return 0;
    return static_cast<uint32_t>(std::stoul(banner->substr(5)));
  }

  // netem on both ends of the link (each end shapes what it sends), or
  // none with an empty `spec`.
  void Netem(const std::string& spec) {
    auto command = [&](const char* dev) {
      return spec.empty() ? absl::StrCat("tc qdisc del dev ", dev, " root")
                          : absl::StrCat("tc qdisc add dev ", dev, " root netem ", spec);
    };
    ASSERT_TRUE(testing::RunCommand(command("gw0")).ok());
    ASSERT_TRUE(peer_ns_->Exec(command("pr0")).ok());
  }

  // Packets netem dropped on both ends.
  long long NetemDrops() {
    long long drops = 0;
    for (std::string command : {std::string("tc -s qdisc show dev gw0"),
                                absl::StrCat("ip netns exec ", peer_ns_->name(),
                                             " tc -s qdisc show dev pr0")}) {
      auto tc = testing::StartShell(command, /*keep_stdin=*/false);
      EXPECT_TRUE(tc.ok()) << tc.status();
      if (!tc.ok()) continue;
      EXPECT_TRUE(tc->Wait(kCallTimeout).ok());
      std::string out = tc->ReadStdout(0ms);
      size_t at = out.find("(dropped ");
      long long n = 0;
      if (at == std::string::npos ||
          !absl::SimpleAtoi(out.substr(at + 9, out.find(',', at) - at - 9), &n)) {
        ADD_FAILURE() << "no drop count in: " << out;
      }
      drops += n;
    }
    return drops;
  }

  std::vector<std::string> server_args_;  // For sctpgw's command line.
  std::optional<testing::NetNamespace> peer_ns_;
  std::unique_ptr<SctpgwServer> server_;
};

// Opens an endpoint on kLocalIp with `parameters`, and associates from it to
// the peer at `port`.
uint64_t AssociateToPeer(App& app, uint32_t port, const v1::PathParameters& parameters,
                         uint64_t* endpoint_id) {
  v1::OpenEndpointRequest open;
  open.add_local_addresses(kLocalIp);
  *open.mutable_path_parameters() = parameters;
  v1::Endpoint endpoint;
  grpc::Status status = app.OpenEndpoint(open, &endpoint);
  EXPECT_TRUE(status.ok()) << status.error_message();
  *endpoint_id = endpoint.endpoint_id();
  v1::Association association;
  status = app.Associate(endpoint.endpoint_id(), kPeerIp, port, &association);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return association.association_id();
}

// sctpgw with 512 KiB socket buffers (SO_SNDBUF 256 KiB, doubled by the
// kernel), which one Send of 1024 messages of 1000 bytes overfills.
class PeerAbortLabTest : public PeerFaultsLabTest {
 protected:
  PeerAbortLabTest() {
    server_args_ = {"--socket-buffer-bytes", "262144", "--max-message-bytes", "65536"};
  }
};

// One Send of 1024 numbered messages on three streams is under way. The
// peer (a 32 KiB receive window) reads nothing until its window has closed,
// then reads 100 and ABORTs (SO_LINGER 0); more of the Send's messages than
// that are waiting in sctpgw's kernel, so the Send still waits. The
// application sees COMM_LOST carrying the ABORT; the waiting Send fails,
// saying how many of its messages the kernel took (its code is the concern
// of WaitingSendEndsWithAssociationLost below); later Sends fail
// with ASSOCIATION_CLOSED; what the peer sent before is still
// received, then ASSOCIATION_CLOSED. The peer got a gap-free prefix of each
// stream, nothing twice. Every message the kernel took is accounted for:
// read by the peer, or back in exactly one SEND_FAILED event (each later on
// its stream than anything the peer got), or among the few the peer's kernel
// acknowledged and its application never read, which the ABORT loses as SCTP
// defines (at most its 64 KiB receive buffer).
TEST_F(PeerAbortLabTest, PeerAbortsMidTransfer) {
  constexpr int kStreams = 3;
  // One DATA chunk each, so that each comes back whole in one SEND_FAILED
  // (the kernel reports a fragmented message chunk by chunk).
  constexpr size_t kSize = 1000;
  constexpr int kSent = 1024;  // The most one Send takes.
  constexpr int kRead = 100;
  constexpr int kEarly = 30;
  App app(*server_);
  auto peer = StartPeer({"--rcvbuf", "32768", "listen", kPeerIp});
  ASSERT_TRUE(peer.ok()) << peer.status();
  uint32_t port = Listening(*peer);
  ASSERT_NE(port, 0u);
  uint64_t endpoint_id = 0;
  uint64_t id = AssociateToPeer(app, port, v1::PathParameters(), &endpoint_id);
  ASSERT_NE(id, 0u);
  v1::WatchEventsRequest watch = app.WatchEndpoint(endpoint_id);
  watch.set_progress_interval_ms(1000);
  EventWatch events(app.stub(), watch);
  ASSERT_TRUE(peer->ReadStdoutUntil("up\n", kCallTimeout).ok());

  // The peer's messages wait unread in sctpgw when the fault comes.
  ASSERT_TRUE(peer->WriteStdin(absl::StrCat("send ", kEarly, " ", kStreams, " early ", kSize, "\n"))
                  .ok());
  ASSERT_TRUE(WaitUntil(app, id, [&](const v1::GetAssociationResponse& info) {
    return info.association().queued_messages() == kEarly;
  })) << "the peer's messages did not arrive";

  grpc::Status send_end;
  JoiningThread sender([&] {
    std::vector<v1::OutboundMessage> batch;
    for (int i = 0; i < kSent; ++i) batch.push_back(Numbered("gw", i, kStreams, kSize));
    send_end = app.Send(id, batch);
  });
  // The window closes: the Send's messages are flowing, and from now on they
  // pile up in sctpgw's kernel until the peer reads.
  EXPECT_TRUE(WaitUntil(app, id, [&](const v1::GetAssociationResponse& info) {
    return info.status().peer_rwnd() < kSize;
  })) << "the peer's window did not close";
  EXPECT_TRUE(peer->WriteStdin(absl::StrCat("recv ", kRead, "\nwait\nabort\n")).ok());
  auto lost = events.WaitFor(IsAssociationChange(id, v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST),
                             kTimeout);
  sender.Join();
  ASSERT_TRUE(lost.ok()) << lost.status();
  // The ABORT chunk, with its user-initiated abort cause, is in sac_info.
  EXPECT_FALSE(lost->association_change().info().empty());
  EXPECT_TRUE(lost->detail().empty()) << "sctpgw did not cause this end: " << lost->detail();

  ASSERT_FALSE(send_end.ok()) << "all " << kSent << " messages were delivered";
  int accepted = 0;
  auto metadata = ErrorMetadata(send_end);
  ASSERT_TRUE(absl::SimpleAtoi(metadata["accepted_messages"], &accepted))
      << "no accepted_messages: " << send_end.error_message();
  EXPECT_GT(accepted, kRead);
  EXPECT_LT(accepted, kSent);
  grpc::Status after = app.Send(id, {Message(0, 0, "after the abort")});
  EXPECT_EQ(after.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << after.error_message();
  EXPECT_EQ(ErrorReason(after), "ASSOCIATION_CLOSED");

  // Ended, but listed while its messages wait; then they are read, and then
  // the end.
  std::vector<v1::Association> listed = app.Associations();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::ASSOCIATION_STATE_CLOSED);
  EXPECT_EQ(listed[0].queued_messages(), static_cast<uint32_t>(kEarly));
  std::vector<v1::InboundMessage> early;
  grpc::Status status = ReceiveUpTo(app, id, kEarly, &early);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectAllOnceInOrder(FromInbound(early), "early", kEarly, kStreams, kSize);
  std::vector<v1::InboundMessage> more;
  v1::ReceiveRequest receive;
  receive.set_association_id(id);
  status = app.ReceiveFrom(receive, &more);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_CLOSED");
  EXPECT_TRUE(more.empty());
  EXPECT_TRUE(app.Associations().empty());

  // What the peer read: a prefix of every stream, nothing twice.
  auto out = peer->ReadStdoutUntil("aborted\n", kCallTimeout);
  ASSERT_TRUE(out.ok()) << out.status() << "\n" << peer->ReadStdout(0ms).substr(0, 2000);
  std::vector<Received> got = GotLines(*out);
  ASSERT_EQ(got.size(), static_cast<size_t>(kRead));
  auto delivered = NumbersByStream(got, "gw", kStreams, kSize);
  for (auto& [stream, numbers] : delivered) {
    std::vector<int> sent = SentOnStream(stream, accepted, kStreams);
    ASSERT_LE(numbers.size(), sent.size());
    sent.resize(numbers.size());
    EXPECT_EQ(numbers, sent) << "stream " << stream << ": not a gap-free prefix";
  }

  // The rest comes back in SEND_FAILED events, which sctpgw reads as the
  // association ends: once a progress message says the stream has caught
  // up with the end, they are all there.
  auto caught_up = events.WaitForResponse(
      [&](const v1::WatchEventsResponse& r) {
        return r.has_progress() && r.progress().last_sequence() >= lost->sequence();
      },
      kCallTimeout);
  ASSERT_TRUE(caught_up.ok()) << caught_up.status();
  std::vector<Received> failed;
  for (const v1::Event& e : events.events()) {
    if (e.association_id() != id || !e.has_send_failed()) continue;
    failed.push_back({e.send_failed().stream(), e.send_failed().ppid(), e.send_failed().payload()});
    EXPECT_GT(e.sequence(), lost->sequence()) << "SEND_FAILED before COMM_LOST";
  }
  std::set<int> undelivered;
  for (auto& [stream, numbers] : NumbersByStream(failed, "gw", kStreams, kSize)) {
    for (int n : numbers) {
      EXPECT_TRUE(undelivered.insert(n).second) << "message " << n << " failed twice";
      EXPECT_LT(n, accepted) << "message " << n << " was never accepted";
      if (!delivered[stream].empty()) {
        EXPECT_GT(n, delivered[stream].back())
            << "stream " << stream << ": message " << n << " both delivered and failed";
      }
    }
  }
  int unread = accepted - kRead - static_cast<int>(undelivered.size());
  EXPECT_GE(unread, 0);
  EXPECT_LE(unread, 64) << "more messages vanished than the peer's receive buffer holds";
  std::printf("peer abort: %d of %d messages accepted when the peer ABORTed after reading %d; "
              "%zu came back in SEND_FAILED, %d were acknowledged by the peer's kernel and "
              "never read\n",
              accepted, kSent, kRead, undelivered.size(), unread);
  EXPECT_EQ(peer->Wait(kCallTimeout).value_or(-1), 0);
}

// A Send waits on a full socket buffer (the peer reads nothing) when the
// peer ABORTs: it must end as docs/api.md says of a call waiting when its
// association fails, UNAVAILABLE / ASSOCIATION_LOST. (The ABORT frees the
// send buffer, so the retried sendmsg can fail with ECONNRESET before the
// COMM_LOST queued on the socket is read: that too is ASSOCIATION_LOST.)
TEST_F(PeerAbortLabTest, WaitingSendEndsWithAssociationLost) {
  App app(*server_);
  auto peer = StartPeer({"--rcvbuf", "32768", "listen", kPeerIp});
  ASSERT_TRUE(peer.ok()) << peer.status();
  uint32_t port = Listening(*peer);
  ASSERT_NE(port, 0u);
  uint64_t endpoint_id = 0;
  uint64_t id = AssociateToPeer(app, port, v1::PathParameters(), &endpoint_id);
  ASSERT_NE(id, 0u);
  EventWatch events(app.stub(), app.WatchEndpoint(endpoint_id));
  ASSERT_TRUE(peer->ReadStdoutUntil("up\n", kCallTimeout).ok());
  grpc::Status send_end;
  JoiningThread sender([&] {
    std::vector<v1::OutboundMessage> batch;
    for (int i = 0; i < 1024; ++i) batch.push_back(Numbered("gw", i, 3, 1000));
    send_end = app.Send(id, batch);
  });
  EXPECT_TRUE(WaitUntil(app, id, [&](const v1::GetAssociationResponse& info) {
    return info.status().peer_rwnd() < 1000;
  })) << "the peer's window did not close";
  EXPECT_TRUE(peer->WriteStdin("abort\n").ok());
  auto lost = events.WaitFor(IsAssociationChange(id, v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST),
                             kTimeout);
  sender.Join();
  ASSERT_TRUE(lost.ok()) << lost.status();
  EXPECT_EQ(send_end.error_code(), grpc::StatusCode::UNAVAILABLE) << send_end.error_message();
  EXPECT_EQ(ErrorReason(send_end), "ASSOCIATION_LOST") << send_end.error_message();
}

// Timers that notice a dead peer within seconds.
v1::PathParameters FastFailure() {
  v1::PathParameters p;
  p.set_rto_initial_ms(300);
  p.set_rto_min_ms(200);
  p.set_rto_max_ms(500);
  p.set_heartbeat_interval_ms(300);
  p.set_path_max_retransmissions(4);
  p.set_association_max_retransmissions(4);
  return p;
}

// The link goes silent both ways and the peer process is killed: its
// kernel's ABORT or SHUTDOWN never arrives, so only retransmissions can tell.
// With RTO 200..500 ms and 4 retransmissions COMM_LOST comes within seconds,
// without an ABORT in it (no cause, no chunk). A Receive waiting on the
// empty queue ends with ASSOCIATION_CLOSED; Send afterwards too; the
// messages sent into the silence come back in SEND_FAILED, each with its
// context.
TEST_F(PeerFaultsLabTest, PeerKilledWhileUnreachable) {
  App app(*server_);
  auto peer = StartPeer({"listen", kPeerIp});
  ASSERT_TRUE(peer.ok()) << peer.status();
  uint32_t port = Listening(*peer);
  ASSERT_NE(port, 0u);
  uint64_t endpoint_id = 0;
  uint64_t id = AssociateToPeer(app, port, FastFailure(), &endpoint_id);
  ASSERT_NE(id, 0u);
  EventWatch events(app.stub(), app.WatchEndpoint(endpoint_id));
  ASSERT_TRUE(peer->ReadStdoutUntil("up\n", kCallTimeout).ok());

  // Both ways work first.
  ASSERT_TRUE(peer->WriteStdin("send 6 3 before 20\nrecv 1\n").ok());
  std::vector<v1::InboundMessage> before;
  grpc::Status status = ReceiveUpTo(app, id, 6, &before);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectAllOnceInOrder(FromInbound(before), "before", 6, 3, 20);
  ASSERT_TRUE(app.Send(id, {Numbered("gw", 0, 3, 20)}).ok());
  ASSERT_TRUE(peer->ReadStdoutUntil("received 1\n", kCallTimeout).ok());

  grpc::Status receive_end;
  std::vector<v1::InboundMessage> received_late;
  JoiningThread receiver([&] {
    v1::ReceiveRequest request;
    request.set_association_id(id);
    receive_end = app.ReceiveFrom(request, &received_late);
  });
  ASSERT_TRUE(WaitUntil(app, id, [](const v1::GetAssociationResponse& info) {
    return info.association().waiting_receives() == 1;
  }));

  ASSERT_NO_FATAL_FAILURE(Netem("loss 100%"));
  auto silenced = std::chrono::steady_clock::now();
  peer->Signal(SIGKILL);
  auto killed = peer->Wait(kCallTimeout);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_TRUE(WIFSIGNALED(*killed));
  // Accepted by sctpgw's kernel, never acknowledged.
  constexpr uint32_t kUnacknowledged = 5;
  std::vector<v1::OutboundMessage> into_silence;
  for (uint32_t c = 1; c <= kUnacknowledged; ++c) {
    v1::OutboundMessage m = Message(c % 3, 70 + c, absl::StrCat("into the silence ", c));
    m.set_context(c);
    into_silence.push_back(m);
  }
  status = app.Send(id, into_silence);
  ASSERT_TRUE(status.ok()) << status.error_message();

  auto lost = events.WaitFor(IsAssociationChange(id, v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST),
                             kTimeout);
  auto detected = std::chrono::steady_clock::now() - silenced;
  receiver.Join();
  ASSERT_TRUE(lost.ok()) << lost.status() << "; events:" << Describe(events.events());
  EXPECT_EQ(lost->association_change().error(), 0u) << "an ABORT arrived through the silence";
  EXPECT_TRUE(lost->association_change().info().empty()) << "an ABORT arrived through the silence";
  EXPECT_LT(detected, 20s);

  EXPECT_EQ(receive_end.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << receive_end.error_message();
  EXPECT_EQ(ErrorReason(receive_end), "ASSOCIATION_CLOSED");
  EXPECT_TRUE(received_late.empty());
  status = app.Send(id, {Message(0, 0, "after the end")});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_CLOSED");

  for (const v1::OutboundMessage& m : into_silence) {
    auto failed = events.WaitFor(
        [&](const v1::Event& e) {
          return e.association_id() == id && e.has_send_failed() &&
                 e.send_failed().context() == m.context();
        },
        kTimeout);
    ASSERT_TRUE(failed.ok()) << "no SEND_FAILED for context " << m.context();
    EXPECT_EQ(failed->send_failed().payload(), m.payload());
    EXPECT_EQ(failed->send_failed().stream(), m.stream());
    EXPECT_EQ(failed->send_failed().ppid(), m.ppid());
  }
  EXPECT_TRUE(app.Associations().empty());
  std::printf("dead peer: COMM_LOST %lld ms after the link went silent (RTO 200..500 ms, "
              "4 retransmissions)\n",
              Milliseconds(detected));
}

// The peer's host loses its state without telling sctpgw: the link goes
// silent, the peer process (SO_LINGER 0) dies, its ABORT is lost, sctpgw
// sends three more messages into the silence, a new peer binds the same
// address and port and, once the link is back, associates again to sctpgw's
// listener. sctpgw's kernel finds the association it still has with that
// address and port, and RFC 9260 5.2.4 action A applies: a peer restart.
// Linux reports it on the existing association (on its peeled-off socket) as
// SCTP_RESTART, so the application sees RESTART on the association id it
// already had: no COMM_LOST, no second COMM_UP, no new association. The
// three messages the old peer never acknowledged are not delivered to the
// new one: they come back in SEND_FAILED. Messages flow both ways on the
// restarted association afterwards, each once and in order.
TEST_F(PeerFaultsLabTest, PeerRestartIsReportedOnTheSameAssociation) {
  App app(*server_);
  v1::Endpoint listener = app.Listen(kLocalIp);
  EventWatch events(app.stub(), app.WatchEndpoint(listener.endpoint_id()));
  std::vector<std::string> connect = {"--local", absl::StrCat(kPeerIp, ":38412"), "connect",
                                      kLocalIp, absl::StrCat(listener.port())};
  std::vector<std::string> crashing = connect;
  crashing.insert(crashing.begin(), "--abortive-close");
  auto first = StartPeer(crashing);
  ASSERT_TRUE(first.ok()) << first.status();
  auto up = events.WaitFor(testing::IsCommUpOnEndpoint(listener.endpoint_id()), kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();
  uint64_t id = up->association_id();
  ASSERT_TRUE(first->ReadStdoutUntil("up\n", kCallTimeout).ok());

  ASSERT_TRUE(first->WriteStdin("send 6 3 before 20\nrecv 3\n").ok());
  std::vector<v1::InboundMessage> got;
  grpc::Status status = ReceiveUpTo(app, id, 6, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectAllOnceInOrder(FromInbound(got), "before", 6, 3, 20);
  int accepted = 0;
  status = SendNumbered(app, id, "gw-before", 0, 3, 3, 20, &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto out = first->ReadStdoutUntil("received 3\n", kCallTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectAllOnceInOrder(GotLines(*out), "gw-before", 3, 3, 20);

  ASSERT_NO_FATAL_FAILURE(Netem("loss 100%"));
  first->Signal(SIGKILL);
  ASSERT_TRUE(first->Wait(kCallTimeout).ok());
  std::vector<v1::OutboundMessage> into_silence;
  for (uint32_t c = 1; c <= 3; ++c) {
    v1::OutboundMessage m = Message(c % 3, 80 + c, absl::StrCat("gw-silence-", c));
    m.set_context(c);
    into_silence.push_back(m);
  }
  status = app.Send(id, into_silence);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto second = StartPeer(connect);
  ASSERT_TRUE(second.ok()) << second.status();
  // The link comes back once the new peer has its association (COOKIE_WAIT,
  // its first INIT lost): sctpgw's retransmissions then meet that and are
  // dropped for their old verification tag, instead of finding no
  // association at all and drawing an ABORT.
  ASSERT_TRUE(second->ReadStdoutUntil("connecting\n", kCallTimeout).ok());
  ASSERT_NO_FATAL_FAILURE(Netem(""));
  auto restart =
      events.WaitFor(IsAssociationChange(id, v1::ASSOCIATION_CHANGE_TYPE_RESTART), kTimeout);
  ASSERT_TRUE(restart.ok()) << restart.status() << "; events:" << Describe(events.events());
  EXPECT_EQ(restart->association_change().outbound_streams(), 10u);
  EXPECT_EQ(restart->association_change().inbound_streams(), 10u);
  out = second->ReadStdoutUntil("up\n", kCallTimeout);
  ASSERT_TRUE(out.ok()) << out.status() << ": " << second->ReadStdout(0ms);

  std::vector<v1::Association> listed = app.Associations(listener.endpoint_id());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].association_id(), id);
  EXPECT_EQ(listed[0].state(), v1::ASSOCIATION_STATE_ESTABLISHED);
  for (const v1::OutboundMessage& m : into_silence) {
    auto failed = events.WaitFor(
        [&](const v1::Event& e) {
          return e.association_id() == id && e.has_send_failed() &&
                 e.send_failed().context() == m.context();
        },
        kTimeout);
    ASSERT_TRUE(failed.ok()) << "no SEND_FAILED for context " << m.context() << "; events:"
                             << Describe(events.events());
    EXPECT_EQ(failed->send_failed().payload(), m.payload());
    EXPECT_EQ(failed->send_failed().stream(), m.stream());
  }

  // Both ways on the restarted association.
  ASSERT_TRUE(second->WriteStdin("send 6 3 after 20\nrecv 6\n").ok());
  got.clear();
  status = ReceiveUpTo(app, id, 6, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectAllOnceInOrder(FromInbound(got), "after", 6, 3, 20);
  accepted = 0;
  status = SendNumbered(app, id, "gw-after", 0, 6, 3, 20, &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  out = second->ReadStdoutUntil("received 6\n", kCallTimeout);
  ASSERT_TRUE(out.ok()) << out.status() << ": " << second->ReadStdout(0ms);
  ExpectAllOnceInOrder(GotLines(*out), "gw-after", 6, 3, 20);

  // The new peer's graceful close ends the same association.
  second->CloseStdin();
  auto done =
      events.WaitFor(IsAssociationChange(id, v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP), kTimeout);
  EXPECT_TRUE(done.ok()) << done.status();
  int comm_up = 0;
  for (const v1::Event& e : events.events()) {
    if (e.has_association_change()) {
      EXPECT_EQ(e.association_id(), id);
      EXPECT_NE(e.association_change().type(), v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST);
      comm_up += e.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP;
    }
  }
  EXPECT_EQ(comm_up, 1);
}

// 10 % loss, 5 ms delay and reordering on both ends of the link while 900
// numbered messages of 1000 bytes go each way at once on three streams:
// every one arrives exactly once, in order on its stream, and the
// association stays up throughout.
TEST_F(PeerFaultsLabTest, LossAndReorderingLoseNothingEitherWay) {
  constexpr int kMessages = 900;
  constexpr int kStreams = 3;
  constexpr size_t kSize = 1000;
  constexpr auto kTransfer = 150s;  // Emulated CPU, lossy path.
  App app(*server_);
  auto peer = StartPeer({"listen", kPeerIp});
  ASSERT_TRUE(peer.ok()) << peer.status();
  uint32_t port = Listening(*peer);
  ASSERT_NE(port, 0u);
  v1::PathParameters tolerant;
  tolerant.set_rto_initial_ms(300);
  tolerant.set_rto_min_ms(100);
  tolerant.set_rto_max_ms(1000);
  tolerant.set_association_max_retransmissions(30);
  tolerant.set_path_max_retransmissions(30);
  uint64_t endpoint_id = 0;
  uint64_t id = AssociateToPeer(app, port, tolerant, &endpoint_id);
  ASSERT_NE(id, 0u);
  EventWatch events(app.stub(), app.WatchEndpoint(endpoint_id));
  ASSERT_TRUE(peer->ReadStdoutUntil("up\n", kCallTimeout).ok());

  ASSERT_NO_FATAL_FAILURE(Netem("loss 10% delay 5ms reorder 25% 50%"));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(peer->WriteStdin(absl::StrCat("recv ", kMessages, "\nsend ", kMessages, " ",
                                           kStreams, " peer ", kSize, "\nwait\n"))
                  .ok());
  int accepted = 0;
  grpc::Status send_end;
  JoiningThread sender([&] {
    send_end = SendNumbered(app, id, "gw", 0, kMessages, kStreams, kSize, &accepted);
  });
  std::vector<v1::InboundMessage> got;
  grpc::Status receive_end = ReceiveUpTo(app, id, kMessages, &got, kTransfer);
  sender.Join();
  // (The peer's output, one short line per message, fits in its stdout pipe
  // meanwhile.)
  auto peer_out = peer->ReadStdoutUntil(absl::StrCat("received ", kMessages, "\n"), kTransfer);
  if (peer_out.ok()) {
    peer_out = peer->ReadStdoutUntil(absl::StrCat("sent ", kMessages, "\n"), kCallTimeout);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  long long drops = NetemDrops();
  ASSERT_NO_FATAL_FAILURE(Netem(""));

  EXPECT_TRUE(receive_end.ok()) << receive_end.error_message();
  EXPECT_TRUE(send_end.ok()) << send_end.error_message();
  EXPECT_EQ(accepted, kMessages);
  ExpectAllOnceInOrder(FromInbound(got), "peer", kMessages, kStreams, kSize);
  ASSERT_TRUE(peer_out.ok()) << peer_out.status() << "\n" << peer->ReadStdout(0ms).substr(0, 2000);
  ExpectAllOnceInOrder(GotLines(*peer_out), "gw", kMessages, kStreams, kSize);

  for (const v1::Event& e : events.events()) {
    EXPECT_FALSE(e.has_association_change() &&
                 e.association_change().type() != v1::ASSOCIATION_CHANGE_TYPE_COMM_UP)
        << "the association changed: " << e.ShortDebugString();
  }
  v1::GetAssociationResponse info;
  ASSERT_TRUE(app.GetAssociation(id, &info).ok());
  EXPECT_EQ(info.association().state(), v1::ASSOCIATION_STATE_ESTABLISHED);
  EXPECT_EQ(info.status().state(), v1::KERNEL_ASSOCIATION_STATE_ESTABLISHED);
  EXPECT_GT(drops, 0) << "netem dropped nothing";
  std::printf("loss and reordering: %d + %d messages of %zu bytes in %lld ms, %lld packets "
              "dropped by netem\n",
              kMessages, kMessages, kSize, Milliseconds(elapsed), drops);
  peer->CloseStdin();
  auto done =
      events.WaitFor(IsAssociationChange(id, v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP), kTimeout);
  EXPECT_TRUE(done.ok()) << done.status();
}

// What SEND_FAILED says of each undelivered message: the link is silent and
// the application ABORTs with an ordered and an unordered message, each one
// DATA chunk, and an ordered one of 4000 bytes (three chunks) unacknowledged.
// Each comes back once, whole, with its ordering: Linux puts the DATA
// chunk's flags in snd_flags (not SCTP_UNORDERED) and reports a message of
// several chunks once per chunk, which sctpgw joins.
TEST_F(PeerFaultsLabTest, SendFailedDescribesEachMessageWhole) {
  App app(*server_);
  auto peer = StartPeer({"listen", kPeerIp});
  ASSERT_TRUE(peer.ok()) << peer.status();
  uint32_t port = Listening(*peer);
  ASSERT_NE(port, 0u);
  uint64_t endpoint_id = 0;
  uint64_t id = AssociateToPeer(app, port, v1::PathParameters(), &endpoint_id);
  ASSERT_NE(id, 0u);
  EventWatch events(app.stub(), app.WatchEndpoint(endpoint_id));
  ASSERT_NO_FATAL_FAILURE(Netem("loss 100%"));
  std::vector<v1::OutboundMessage> messages = {Message(1, 5, "ordered"),
                                               Message(2, 6, "unordered", /*unordered=*/true),
                                               Message(0, 7, std::string(4000, 'x'))};
  for (uint32_t i = 0; i < messages.size(); ++i) messages[i].set_context(i + 1);
  ASSERT_TRUE(app.Send(id, messages).ok());
  ASSERT_TRUE(app.Shutdown(id, v1::SHUTDOWN_MODE_ABORT, "test").ok());
  auto lost = events.WaitFor(IsAssociationChange(id, v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST),
                             kTimeout);
  ASSERT_TRUE(lost.ok()) << lost.status();
  for (const v1::OutboundMessage& m : messages) {
    auto failed = events.WaitFor(
        [&](const v1::Event& e) {
          return e.has_send_failed() && e.send_failed().context() == m.context();
        },
        kTimeout);
    ASSERT_TRUE(failed.ok()) << "context " << m.context();
  }
  std::map<uint32_t, std::vector<v1::SendFailed>> by_context;
  for (const v1::Event& e : events.events()) {
    if (e.has_send_failed()) by_context[e.send_failed().context()].push_back(e.send_failed());
  }
  for (const v1::OutboundMessage& m : messages) {
    const auto& failed = by_context[m.context()];
    ASSERT_FALSE(failed.empty());
    EXPECT_EQ(failed.size(), 1u) << "context " << m.context() << " came back in pieces";
    EXPECT_EQ(failed[0].payload().size(), m.payload().size()) << "context " << m.context();
    EXPECT_EQ(failed[0].unordered(), m.unordered()) << "context " << m.context();
  }
  std::printf("SEND_FAILED events: %s\n", Describe(events.events()).c_str());
}

}  // namespace
}  // namespace sctpgw
