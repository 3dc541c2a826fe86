// The socket API's message options and settings (issue 20) end to end,
// under real kernel SCTP, against a peer sctpgw did not write (Python's
// kernel socket module, tests/lab/tools/sctp_options_peer.py) and a raw
// socket that counts the chunks on the wire (tests/tools/sctp_chunk_watch.py):
// PR-SCTP limited retransmissions under netem loss, priorities under a full
// send buffer and lifetimes behind a closed window (RFC 7496), with their
// abandoned-message counters and SEND_FAILED events; the socket settings,
// read back and seen by the peer; heartbeats on demand; the association
// statistics; a message sent to a chosen peer address and the source
// address of one received; messages larger than max_message_bytes
// delivered in pieces with the association kept, or aborting it when the
// endpoint asks. Each with its bad inputs.
//
// What Linux does here, read from net/sctp (outqueue.c, chunk.c) and relied
// on below: a message abandoned after it was sent (limited retransmissions)
// or pruned for a more important one (priority) is freed without a
// SEND_FAILED notification; only a message that expires unsent (lifetime)
// comes back in one. The kernel's abandoned counters also count a message
// that was in flight when its policy gave up on it and reached the peer all
// the same: they are at least, not exactly, the messages lost.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/netns.h"
#include "tests/lab/support/process.h"
#include "tests/lab/support/sctpgw_server.h"

namespace sctpgw {
namespace {

using namespace std::chrono_literals;
using testing::App;
using testing::ErrorMetadata;
using testing::ErrorReason;
using testing::EventWatch;
using testing::IsAssociationChange;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Message;
using testing::SctpgwServer;
using testing::SetTimeout;
using testing::Subprocess;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

// On this namespace's loopback: sctpgw, and the peer on one or two
// addresses.
constexpr char kGatewayIp[] = "127.0.0.1";
constexpr char kPeerIp[] = "127.0.0.2";
constexpr char kPeerSecondIp[] = "127.0.0.3";

// Chunk types (RFC 9260 section 3.2).
constexpr int kDataChunk = 0;
constexpr int kHeartbeatChunk = 4;
constexpr int kHeartbeatAckChunk = 5;

std::string OptionsPeerScript() {
  return std::string(SCTPGW_SOURCE_DIR) + "/tests/lab/tools/sctp_options_peer.py";
}

std::string ChunkWatchScript() {
  return std::string(SCTPGW_SOURCE_DIR) + "/tests/tools/sctp_chunk_watch.py";
}

// The peer's "pattern" message: byte i is (31 i + 7) mod 251, a period that
// never lines up with a piece boundary.
std::string Pattern(size_t length) {
  std::string out(length, '\0');
  for (size_t i = 0; i < length; ++i) out[i] = static_cast<char>((31 * i + 7) % 251);
  return out;
}

// FNV-1a (32 bits), as the peer prints it for each message it receives.
std::string Fnv1a(const std::string& bytes) {
  uint32_t h = 0x811c9dc5;
  for (unsigned char b : bytes) {
    h ^= b;
    h *= 0x01000193;
  }
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", h);
  return hex;
}

// The peer's view of a payload's first 60 bytes.
std::string Shown(const std::string& payload) {
  std::string out = payload.substr(0, 60);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

// The line the peer prints for a message it received whole.
std::string GotLine(uint32_t stream, uint32_t ppid, const std::string& payload) {
  return absl::StrCat("got ", stream, " ", ppid, " ", payload.size(), " ", Fnv1a(payload), " ",
                      Shown(payload), "\n");
}

// Message `i` of a numbered series: "TAG-I-" padded with '.' to `size`.
std::string Numbered(const std::string& tag, int i, size_t size) {
  std::string payload = absl::StrCat(tag, "-", i, "-");
  if (payload.size() < size) payload.resize(size, '.');
  return payload;
}

// The number of a series message from the start of its payload ("TAG-I-").
std::optional<int> SeriesIndex(absl::string_view text, const std::string& tag) {
  if (!absl::ConsumePrefix(&text, tag + "-")) return std::nullopt;
  int i = -1;
  if (!absl::SimpleAtoi(text.substr(0, text.find('-')), &i) || i < 0) return std::nullopt;
  return i;
}

// One message as the peer printed it: "got STREAM PPID LENGTH HASH TEXT".
struct Got {
  uint32_t stream = 0;
  uint32_t ppid = 0;
  size_t length = 0;
  std::string hash;
  std::string text;
};

// Every complete "got" line of the peer's output.
std::vector<Got> GotLines(const std::string& out) {
  std::vector<Got> got;
  const size_t complete = out.rfind('\n');
  if (complete == std::string::npos) return got;
  for (absl::string_view line : absl::StrSplit(absl::string_view(out).substr(0, complete), '\n')) {
    if (!absl::ConsumePrefix(&line, "got ")) continue;
    std::vector<absl::string_view> words = absl::StrSplit(line, absl::MaxSplits(' ', 4));
    Got g;
    if (words.size() != 5 || !absl::SimpleAtoi(words[0], &g.stream) ||
        !absl::SimpleAtoi(words[1], &g.ppid) || !absl::SimpleAtoi(words[2], &g.length)) {
      ADD_FAILURE() << "unreadable peer line: " << line;
      continue;
    }
    g.hash = std::string(words[3]);
    g.text = std::string(words[4]);
    got.push_back(std::move(g));
  }
  return got;
}

// Sends "VERB ID ARGS" to a tool that answers "ID: WORDS end ID" (the peer's
// status, the watcher's count and await) and returns WORDS. Ids are unique
// in the process, so that an answer is never taken for an earlier one (a
// tool's output is searched from its start).
absl::StatusOr<std::vector<std::string>> Ask(Subprocess& tool, const std::string& verb,
                                             const std::string& args,
                                             std::chrono::milliseconds timeout) {
  static std::atomic<int> next_id{0};
  const std::string id = absl::StrCat("q", ++next_id);
  if (absl::Status s = tool.WriteStdin(absl::StrCat(verb, " ", id, " ", args, "\n")); !s.ok()) {
    return s;
  }
  const std::string end = absl::StrCat(" end ", id, "\n");
  auto out = tool.ReadStdoutUntil(end, timeout);
  if (!out.ok()) return out.status();
  const std::string start = absl::StrCat("\n", id, ": ");
  size_t from = out->find(start);
  const size_t to = out->find(end);
  if (from == std::string::npos || from > to) {
    return absl::InternalError(absl::StrCat("unreadable answer to ", verb, ": ", *out));
  }
  from += start.size();
  const std::string text = out->substr(from, to - from);
  std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  return words;
}

// The Python peer, listening on `hosts` (comma-separated: the first bound,
// the others added with sctp_bindx) with `options`; `wrapper` runs it
// (e.g. ip netns exec).
struct Peer {
  static Peer Listen(const std::string& hosts, const std::vector<std::string>& options = {},
                     const std::vector<std::string>& wrapper = {}) {
    std::vector<std::string> argv = wrapper;
    argv.push_back("/usr/bin/python3");
    argv.push_back(OptionsPeerScript());
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("listen");
    argv.push_back(hosts);
    Peer peer;
    auto process = Subprocess::Start(argv, /*keep_stdin=*/true);
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return peer;
    peer.process = std::make_unique<Subprocess>(std::move(*process));
    auto banner = peer.process->ReadStdoutUntil("\n", kCallTimeout);
    EXPECT_TRUE(banner.ok()) << banner.status();
    if (banner.ok() && banner->rfind("port ", 0) == 0) {
      peer.port = static_cast<uint32_t>(std::stoul(banner->substr(5)));
    }
    return peer;
  }

  bool ok() const { return process != nullptr && port != 0; }
  // Writes a command line to the peer.
  void Do(const std::string& line) { EXPECT_TRUE(process->WriteStdin(line + "\n").ok()); }
  bool Saw(const std::string& text, std::chrono::milliseconds timeout = kCallTimeout) {
    return process->ReadStdoutUntil(text, timeout).ok();
  }
  std::string Output() { return process->ReadStdout(0ms); }

  // SCTP_STATUS as the peer's kernel has it.
  struct Status {
    uint32_t rwnd = 0;  // The window sctpgw advertises, less what is in flight.
    uint32_t unacked = 0;
    uint32_t pending = 0;
    uint32_t inbound_streams = 0;
    uint32_t outbound_streams = 0;
    uint32_t fragmentation_point = 0;
  };
  std::optional<Status> ReadStatus() {
    auto words = Ask(*process, "status", "", kCallTimeout);
    EXPECT_TRUE(words.ok()) << words.status() << "\n" << Output();
    if (!words.ok() || words->size() != 6) return std::nullopt;
    Status s;
    uint32_t* fields[] = {&s.rwnd, &s.unacked, &s.pending, &s.inbound_streams, &s.outbound_streams,
                          &s.fragmentation_point};
    for (size_t i = 0; i < 6; ++i) {
      if (!absl::SimpleAtoi((*words)[i], fields[i])) return std::nullopt;
    }
    return s;
  }

  std::unique_ptr<Subprocess> process;
  uint32_t port = 0;
};

// The chunk watcher on this namespace's loopback: every SCTP chunk between
// sctpgw and the peers, counted by type, source and destination. On
// loopback each packet arrives once, whichever way it goes.
class ChunkWatch {
 public:
  ChunkWatch() {
    auto process = Subprocess::Start({"/usr/bin/python3", ChunkWatchScript()}, /*keep_stdin=*/true);
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return;
    process_ = std::make_unique<Subprocess>(std::move(*process));
    ready_ = process_->ReadStdoutUntil("ready\n", kCallTimeout).ok();
    EXPECT_TRUE(ready_) << "the chunk watcher did not start";
  }

  bool ok() const { return ready_; }

  // Chunks of `type` from `source` to `destination` ("*": any) so far; -1
  // if the watcher did not answer.
  int64_t Count(int type, const std::string& source, const std::string& destination) {
    auto words = Ask(*process_, "count", absl::StrCat(type, " ", source, " ", destination),
                     kCallTimeout);
    int64_t n = -1;
    EXPECT_TRUE(words.ok() && words->size() == 1 && absl::SimpleAtoi((*words)[0], &n))
        << (words.ok() ? "" : words.status().ToString());
    return n;
  }

  // Waits until at least `n` such chunks have been seen; false if they are
  // not in `timeout`.
  bool Await(int type, const std::string& source, const std::string& destination, int64_t n,
             std::chrono::milliseconds timeout = kCallTimeout) {
    return Ask(*process_, "await", absl::StrCat(type, " ", source, " ", destination, " ", n),
               timeout)
        .ok();
  }

 private:
  std::unique_ptr<Subprocess> process_;
  bool ready_ = false;
};

// The contexts of the SEND_FAILED events of association `id` in `events`;
// a context reported twice fails the test.
std::set<uint32_t> FailedContexts(EventWatch& events, uint64_t id) {
  std::set<uint32_t> contexts;
  for (const v1::Event& e : events.events()) {
    if (e.association_id() != id || !e.has_send_failed()) continue;
    EXPECT_TRUE(contexts.insert(e.send_failed().context()).second)
        << "context " << e.send_failed().context() << " failed twice";
  }
  return contexts;
}

// Waits for a progress message that sctpgw sent at `since` or later: the
// stream has then delivered every event sctpgw had logged by `since`.
bool CaughtUp(EventWatch& events, std::chrono::system_clock::time_point since) {
  const int64_t since_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               since.time_since_epoch())
                               .count();
  auto progress = events.WaitForResponse(
      [&](const v1::WatchEventsResponse& r) {
        if (!r.has_progress()) return false;
        const auto& t = r.progress().time();
        return t.seconds() * 1'000'000'000 + t.nanos() >= since_ns;
      },
      kCallTimeout);
  return progress.ok();
}

std::function<bool(const v1::Event&)> IsPathChange(uint64_t association_id, const std::string& ip,
                                                   std::set<v1::PeerAddressChangeType> types) {
  return [=](const v1::Event& event) {
    return event.association_id() == association_id && event.has_peer_address_change() &&
           event.peer_address_change().address().ip() == ip &&
           types.count(event.peer_address_change().type()) > 0;
  };
}

class SocketOptionsLabTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop(kCallTimeout).ok()) << "sctpgw did not stop";
    }
  }

  void StartServer(const std::vector<std::string>& args = {}) {
    auto server = SctpgwServer::Start(args);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    app_ = std::make_unique<App>(*server_);
  }

  // Opens an endpoint with `request` on `ip` (10 streams each way); fails
  // the test on error.
  v1::Endpoint OpenEndpoint(v1::OpenEndpointRequest request, const std::string& ip = kGatewayIp) {
    request.add_local_addresses(ip);
    request.mutable_init()->set_outbound_streams(10);
    request.mutable_init()->set_max_inbound_streams(10);
    v1::Endpoint endpoint;
    grpc::Status status = app_->OpenEndpoint(request, &endpoint);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return endpoint;
  }

  // Associates `endpoint` to `peer` at `peer_ip`; 0 on failure.
  uint64_t Associate(const v1::Endpoint& endpoint, const Peer& peer,
                     const std::string& peer_ip = kPeerIp) {
    v1::Association association;
    grpc::Status status =
        app_->Associate(endpoint.endpoint_id(), peer_ip, peer.port, &association);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return association.association_id();
  }

  // GetAssociation, with the PR-SCTP counters of `streams`.
  grpc::Status Describe(uint64_t id, v1::GetAssociationResponse* response,
                        const std::vector<uint32_t>& streams = {}) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::GetAssociationRequest request;
    request.set_session_id(app_->session());
    request.set_association_id(id);
    for (uint32_t s : streams) request.add_streams(s);
    return app_->stub().GetAssociation(&context, request, response);
  }

  // Polls GetAssociation until `condition` holds (nothing reports what is
  // awaited here: what is in flight, the kernel's counters); false if it
  // does not within kTimeout. `last` gets the last answer.
  bool WaitUntil(uint64_t id, const std::function<bool(const v1::GetAssociationResponse&)>& condition,
                 v1::GetAssociationResponse* last = nullptr) {
    v1::GetAssociationResponse info;
    for (auto until = std::chrono::steady_clock::now() + kTimeout;
         std::chrono::steady_clock::now() < until;) {
      info.Clear();
      if (!Describe(id, &info).ok()) break;
      if (condition(info)) {
        if (last != nullptr) *last = info;
        return true;
      }
    }
    if (last != nullptr) *last = info;
    return false;
  }

  grpc::Status RequestHeartbeat(uint64_t id, const std::string& peer_ip) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::RequestHeartbeatRequest request;
    request.set_session_id(app_->session());
    request.set_association_id(id);
    request.set_peer_address(peer_ip);
    v1::RequestHeartbeatResponse response;
    return app_->stub().RequestHeartbeat(&context, request, &response);
  }

  std::unique_ptr<SctpgwServer> server_;
  std::unique_ptr<App> app_;
};

// ------------------------------------------------- PR-SCTP (RFC 7496)

constexpr char kLinkGatewayIp[] = "198.51.100.1";
constexpr char kLinkPeerIp[] = "198.51.100.2";

// sctpgw here, the peer in a namespace of its own, joined by one veth link
// (gw0 198.51.100.1 <-> pr0 198.51.100.2) whose sctpgw end netem shapes:
// the loss falls on what sctpgw sends (DATA, FORWARD-TSN), never on the
// peer's SACKs.
class PrSctpLossLabTest : public SocketOptionsLabTest {
 protected:
  void SetUp() override {
    // sctpgw first: its start loads the SCTP module, whose per-namespace
    // settings the peer's namespace then has.
    ASSERT_NO_FATAL_FAILURE(StartServer());
    auto ns = testing::NetNamespace::Create(absl::StrCat("sctpgw-so-", getpid()));
    ASSERT_TRUE(ns.ok()) << ns.status();
    peer_ns_.emplace(std::move(*ns));
    ASSERT_TRUE(peer_ns_
                    ->AddLink("gw0", absl::StrCat(kLinkGatewayIp, "/24"), "pr0",
                              absl::StrCat(kLinkPeerIp, "/24"))
                    .ok());
  }

  void TearDown() override {
    SocketOptionsLabTest::TearDown();
    (void)testing::RunCommand("ip link del gw0 2>/dev/null");
  }

  std::vector<std::string> InPeerNamespace() const {
    return {"ip", "netns", "exec", peer_ns_->name()};
  }

  // netem on sctpgw's end of the link, or none with an empty `spec`.
  void Netem(const std::string& spec) {
    ASSERT_TRUE(testing::RunCommand(spec.empty() ? std::string("tc qdisc del dev gw0 root")
                                                 : "tc qdisc add dev gw0 root netem " + spec)
                    .ok());
  }

  std::optional<testing::NetNamespace> peer_ns_;
};

// 200 small messages with max_retransmissions 0 over a path that loses 20 %
// of what sctpgw sends, then 40 reliable ones. The limited ones are never
// retransmitted (the kernel's retransmission count does not move): each
// reaches the peer at most once, in order on its stream, and every one that
// did not is counted abandoned (pr_sctp.retransmissions, per association and
// per stream; abandoned once sent, never unsent). The reliable ones all
// arrive, retransmitted, and abandon nothing. SEND_FAILED events, if the
// kernel gives any, name only messages the peer never got, each once. Bad
// input: two policies on one message, values beyond 65535.
//
// Each phase ends with the loss off and one more message per stream (of the
// same kind): once the peer has those, every earlier message of the stream
// was delivered or passed over (FORWARD-TSN), so the counters are final.
// (SCTP_STATUS's unacknowledged count cannot tell: Linux updates it only
// when a SACK arrives.)
TEST_F(PrSctpLossLabTest, LimitedRetransmissionsAbandonLostMessagesAndCountThem) {
  constexpr int kLossy = 200;   // Limited messages sent into the loss,
  constexpr int kStreams = 2;   // then one more per stream without it.
  constexpr int kLimited = kLossy + kStreams;
  constexpr int kReliable = 40;
  constexpr int kBatch = 20;
  Peer peer = Peer::Listen(kLinkPeerIp, {}, InPeerNamespace());
  ASSERT_TRUE(peer.ok());
  v1::OpenEndpointRequest open;
  // Losses are noticed within fractions of a second, and never end the
  // association.
  v1::PathParameters* timers = open.mutable_path_parameters();
  timers->set_rto_initial_ms(300);
  timers->set_rto_min_ms(200);
  timers->set_rto_max_ms(1000);
  timers->set_association_max_retransmissions(30);
  timers->set_path_max_retransmissions(30);
  const v1::Endpoint endpoint = OpenEndpoint(open, kLinkGatewayIp);
  const uint64_t id = Associate(endpoint, peer, kLinkPeerIp);
  ASSERT_NE(id, 0u);
  v1::WatchEventsRequest watch = app_->WatchEndpoint(endpoint.endpoint_id());
  watch.set_progress_interval_ms(1000);
  EventWatch events(app_->stub(), watch);
  ASSERT_TRUE(peer.Saw("up\n"));

  // Bad input: INVALID_ARGUMENT naming the field; nothing of the call is
  // sent.
  v1::OutboundMessage bad = Message(0, 1, "bad");
  bad.set_lifetime_ms(100);
  bad.set_max_retransmissions(1);
  grpc::Status status = app_->Send(id, {bad});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["field"], "messages[0].max_retransmissions");
  bad.clear_lifetime_ms();
  bad.set_max_retransmissions(65536);
  status = app_->Send(id, {Message(0, 1, "refused with the next"), bad});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["field"], "messages[1].max_retransmissions");
  bad.clear_max_retransmissions();
  bad.set_priority(65536);
  status = app_->Send(id, {bad});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["field"], "messages[0].priority");

  v1::GetAssociationResponse before;
  ASSERT_TRUE(Describe(id, &before).ok());
  ASSERT_TRUE(before.has_pr_sctp() && before.has_statistics());
  EXPECT_TRUE(before.pr_sctp().peer_supports_pr_sctp()) << "the peer's kernel offers FORWARD-TSN";
  EXPECT_EQ(before.pr_sctp().total().sent() + before.pr_sctp().total().unsent(), 0u);

  // Message i of series `tag` on stream i % kStreams, PPID base + i.
  auto send_series = [&](const std::string& tag, uint32_t base, int from, int to, bool limited) {
    for (int i = from; i < to; i += kBatch) {
      std::vector<v1::OutboundMessage> batch;
      for (int j = i; j < std::min(to, i + kBatch); ++j) {
        v1::OutboundMessage m = Message(j % kStreams, base + j, Numbered(tag, j, 0));
        if (limited) m.set_max_retransmissions(0);
        m.set_context(base + j + 1);
        batch.push_back(m);
      }
      grpc::Status sent = app_->Send(id, batch);
      ASSERT_TRUE(sent.ok()) << sent.error_message();
    }
  };
  // Once the peer has message i of every stream's last, the series settled.
  auto settled = [&](const std::string& tag, uint32_t base, int count) {
    for (int j = count - kStreams; j < count; ++j) {
      if (!peer.Saw(GotLine(j % kStreams, base + j, Numbered(tag, j, 0)))) return false;
    }
    return true;
  };

  ASSERT_NO_FATAL_FAILURE(Netem("loss 20%"));
  ASSERT_NO_FATAL_FAILURE(send_series("rtx", 0, 0, kLossy, /*limited=*/true));
  ASSERT_NO_FATAL_FAILURE(Netem(""));
  ASSERT_NO_FATAL_FAILURE(send_series("rtx", 0, kLossy, kLimited, /*limited=*/true));
  ASSERT_TRUE(settled("rtx", 0, kLimited)) << peer.Output().substr(0, 4000);
  v1::GetAssociationResponse limited;
  ASSERT_TRUE(Describe(id, &limited, {0, 1}).ok());

  ASSERT_NO_FATAL_FAILURE(Netem("loss 20%"));
  ASSERT_NO_FATAL_FAILURE(send_series("rel", 1000, 0, kReliable - kStreams, /*limited=*/false));
  ASSERT_NO_FATAL_FAILURE(Netem(""));
  ASSERT_NO_FATAL_FAILURE(
      send_series("rel", 1000, kReliable - kStreams, kReliable, /*limited=*/false));
  ASSERT_TRUE(settled("rel", 1000, kReliable)) << peer.Output().substr(0, 4000);
  v1::GetAssociationResponse reliable;
  ASSERT_TRUE(Describe(id, &reliable, {0, 1}).ok());

  // Every SEND_FAILED is logged once a message the peer sent after them has
  // reached the application (one socket, read in order).
  peer.Do("send 0 99 sync");
  std::vector<v1::InboundMessage> sync = app_->ReceiveN(id, 1);
  ASSERT_EQ(sync.size(), 1u);
  EXPECT_EQ(sync[0].payload(), "sync");
  ASSERT_TRUE(CaughtUp(events, std::chrono::system_clock::now()));

  // What the peer got: each limited message at most once, whole, in order
  // on its stream; every reliable one.
  std::set<int> delivered;
  std::map<uint32_t, std::vector<int>> limited_order, reliable_order;
  for (const Got& g : GotLines(peer.Output())) {
    const bool is_limited = absl::StartsWith(g.text, "rtx-");
    const std::string tag = is_limited ? "rtx" : "rel";
    std::optional<int> i = SeriesIndex(g.text, tag);
    if (!i.has_value()) {
      ADD_FAILURE() << "not a message of the series (one of a refused Send?): " << g.text;
      continue;
    }
    EXPECT_EQ(g.hash, Fnv1a(Numbered(tag, *i, 0))) << g.text << " arrived altered";
    EXPECT_EQ(g.stream, static_cast<uint32_t>(*i % kStreams)) << g.text;
    EXPECT_EQ(g.ppid, static_cast<uint32_t>(is_limited ? *i : 1000 + *i)) << g.text;
    if (is_limited) {
      EXPECT_TRUE(delivered.insert(*i).second) << g.text << " arrived twice";
      limited_order[g.stream].push_back(*i);
    } else {
      reliable_order[g.stream].push_back(*i);
    }
  }
  for (uint32_t s = 0; s < static_cast<uint32_t>(kStreams); ++s) {
    const std::vector<int>& order = limited_order[s];
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << "stream " << s << " reordered";
    std::vector<int> all;
    for (int j = static_cast<int>(s); j < kReliable; j += kStreams) all.push_back(j);
    EXPECT_EQ(reliable_order[s], all) << "stream " << s << ": reliable messages lost or reordered";
  }

  // Counted: every lost message, and no more than were sent. (At least:
  // the kernel also counts a message in flight when it gave up on it, which
  // may reach the peer all the same.)
  const v1::PrSctpStatus& pr = limited.pr_sctp();
  const uint64_t lost = kLimited - delivered.size();
  const uint64_t abandoned = pr.retransmissions().sent() + pr.retransmissions().unsent();
  EXPECT_GT(lost, 0u) << "20 % loss and every message arrived: were they retransmitted?";
  EXPECT_GE(abandoned, lost) << "lost messages not counted as abandoned";
  EXPECT_LE(abandoned, static_cast<uint64_t>(kLimited));
  EXPECT_EQ(pr.retransmissions().unsent(), 0u) << "this policy abandons a message once sent";
  EXPECT_EQ(pr.timed().sent() + pr.timed().unsent(), 0u) << "no message had a lifetime";
  EXPECT_EQ(pr.priority().sent() + pr.priority().unsent(), 0u) << "no message had a priority";
  EXPECT_EQ(pr.total().sent(), pr.timed().sent() + pr.retransmissions().sent() + pr.priority().sent());
  EXPECT_EQ(pr.total().unsent(),
            pr.timed().unsent() + pr.retransmissions().unsent() + pr.priority().unsent());
  uint64_t by_stream = 0;
  std::set<uint32_t> streams_listed;
  for (const v1::StreamAbandoned& s : pr.streams()) {
    streams_listed.insert(s.stream());
    by_stream += s.retransmissions().sent() + s.retransmissions().unsent();
  }
  EXPECT_EQ(streams_listed, (std::set<uint32_t>{0, 1}));
  EXPECT_EQ(by_stream, abandoned) << "the streams' counters do not add up to the association's";

  // Never retransmitted; the losses showed in the SACKs' gap reports.
  EXPECT_EQ(limited.statistics().retransmitted_chunks(), before.statistics().retransmitted_chunks())
      << "a message with max_retransmissions 0 was retransmitted";
  EXPECT_GT(limited.statistics().gap_reports(), before.statistics().gap_reports());
  // The reliable messages were retransmitted, and abandoned nothing.
  EXPECT_GT(reliable.statistics().retransmitted_chunks(), limited.statistics().retransmitted_chunks())
      << "20 % loss and no reliable message retransmitted";
  // A limited message still outstanding at the first count may be
  // abandoned after it; a reliable one never is.
  EXPECT_LE(reliable.pr_sctp().total().sent() + reliable.pr_sctp().total().unsent(),
            static_cast<uint64_t>(kLimited))
      << "a reliable message was counted abandoned";
  EXPECT_EQ(reliable.pr_sctp().total().sent() + reliable.pr_sctp().total().unsent(),
            reliable.pr_sctp().retransmissions().sent() +
                reliable.pr_sctp().retransmissions().unsent());

  // SEND_FAILED: only for messages the peer never got, each once.
  const std::set<uint32_t> failed = FailedContexts(events, id);
  for (uint32_t context : failed) {
    EXPECT_TRUE(context >= 1 && context <= static_cast<uint32_t>(kLimited))
        << "SEND_FAILED for context " << context << ", not a limited message";
    EXPECT_EQ(delivered.count(static_cast<int>(context) - 1), 0u)
        << "message " << context - 1 << " both delivered and reported failed";
  }
  EXPECT_LE(delivered.size() + failed.size(), static_cast<size_t>(kLimited));
  std::printf("[ figures ] max_retransmissions 0 at 20 %% loss: %zu of %d delivered, %llu lost, "
              "%llu counted abandoned (sent %llu, unsent %llu), %zu SEND_FAILED; gap reports "
              "%llu; reliable: %llu chunks retransmitted\n",
              delivered.size(), kLimited, static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(abandoned),
              static_cast<unsigned long long>(pr.retransmissions().sent()),
              static_cast<unsigned long long>(pr.retransmissions().unsent()), failed.size(),
              static_cast<unsigned long long>(limited.statistics().gap_reports() -
                                              before.statistics().gap_reports()),
              static_cast<unsigned long long>(reliable.statistics().retransmitted_chunks() -
                                              limited.statistics().retransmitted_chunks()));
  EXPECT_EQ(reliable.association().state(), v1::ASSOCIATION_STATE_ESTABLISHED);
}

// Priority (SCTP_PR_SCTP_PRIO): the peer reads nothing (a 4 KiB window), so
// sctpgw's send buffer (64 KiB in the kernel) fills with priority-100
// messages until a Send waits past its deadline. Priority-0 messages are
// then accepted all the same: the kernel abandons queued priority-100 ones
// to make room (counted in pr_sctp.priority, on their stream only). Once
// the peer reads, every priority-0 message arrives; what arrives of the
// priority-100 ones is in order, and each one missing is counted.
//
// MAY BE FRAGILE: the kernel prunes by the memory its queued chunks take
// (skb truesize), so how many priority-100 messages fill the buffer and how
// many one priority-0 message displaces depend on the kernel's allocator.
// The priority-0 messages are 20 times the size of the others so that each
// displaces unsent ones (pruning takes in-flight ones first, which frees
// nothing until the peer acknowledges the FORWARD-TSN past them).
TEST_F(SocketOptionsLabTest, PriorityAbandonsLessImportantMessagesForImportantOnes) {
  // SO_SNDBUF 32 KiB (the kernel doubles it).
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--socket-buffer-bytes", "32768", "--max-message-bytes", "16384"}));
  constexpr size_t kLowSize = 200;
  constexpr size_t kHighSize = 4000;
  constexpr int kHigh = 5;
  // One message per Send: a Send that ends DEADLINE_EXCEEDED on the
  // client's own clock may have had its message accepted meanwhile (the
  // answer saying so was still on its way), so at most that one message is
  // uncertain.
  constexpr int kBatch = 1;
  constexpr int kMaxLow = 4096;  // Far more than fill the buffer.
  Peer peer = Peer::Listen(kPeerIp, {"--rcvbuf", "4096", "--hold"});
  ASSERT_TRUE(peer.ok());
  v1::OpenEndpointRequest open;
  // Zero-window probing retransmits every RTO: quick, and not the end of
  // the association.
  v1::PathParameters* timers = open.mutable_path_parameters();
  timers->set_rto_initial_ms(300);
  timers->set_rto_min_ms(200);
  timers->set_rto_max_ms(500);
  timers->set_association_max_retransmissions(1000);
  timers->set_path_max_retransmissions(1000);
  const v1::Endpoint endpoint = OpenEndpoint(open);
  const uint64_t id = Associate(endpoint, peer);
  ASSERT_NE(id, 0u);
  EventWatch events(app_->stub(), app_->WatchEndpoint(endpoint.endpoint_id()));
  ASSERT_TRUE(peer.Saw("up\n"));

  // Priority 100 on stream 0 until the buffer is full.
  int low_accepted = 0;
  bool full = false;
  while (!full && low_accepted < kMaxLow) {
    std::vector<v1::OutboundMessage> batch;
    for (int k = 0; k < kBatch; ++k) {
      const int i = low_accepted + k;
      v1::OutboundMessage m = Message(0, 100, Numbered("low", i, kLowSize));
      m.set_priority(100);
      m.set_context(static_cast<uint32_t>(1 + i));
      batch.push_back(m);
    }
    grpc::Status status = app_->Send(id, batch, 1500ms);
    if (status.ok()) {
      low_accepted += kBatch;
      continue;
    }
    ASSERT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
    auto metadata = ErrorMetadata(status);
    int accepted = 0;  // None when absent.
    if (metadata.count("accepted_messages") > 0) {
      ASSERT_TRUE(absl::SimpleAtoi(metadata["accepted_messages"], &accepted));
    }
    low_accepted += accepted;
    full = true;
  }
  ASSERT_TRUE(full) << "the send buffer never filled";

  // Priority 0 on stream 1: room is made for them.
  std::vector<v1::OutboundMessage> high;
  for (int j = 0; j < kHigh; ++j) {
    v1::OutboundMessage m = Message(1, 0, Numbered("high", j, kHighSize));
    m.set_priority(0);
    m.set_context(static_cast<uint32_t>(10001 + j));
    high.push_back(m);
  }
  grpc::Status status = app_->Send(id, high);
  ASSERT_TRUE(status.ok()) << "the important messages found no room: " << status.error_message();
  v1::GetAssociationResponse pruned;
  ASSERT_TRUE(Describe(id, &pruned, {0, 1}).ok());
  const v1::PrSctpStatus& pr = pruned.pr_sctp();
  EXPECT_GT(pr.priority().unsent(), 0u) << "no queued priority-100 message was abandoned";
  EXPECT_LE(pr.priority().unsent() + pr.priority().sent(), static_cast<uint64_t>(low_accepted) + 1);
  EXPECT_EQ(pr.retransmissions().sent() + pr.retransmissions().unsent() + pr.timed().sent() +
                pr.timed().unsent(),
            0u);
  for (const v1::StreamAbandoned& s : pr.streams()) {
    if (s.stream() == 1) {
      EXPECT_EQ(s.priority().sent() + s.priority().unsent(), 0u) << "a priority-0 message abandoned";
    }
    if (s.stream() == 0) {
      EXPECT_EQ(s.priority().unsent(), pr.priority().unsent());
      EXPECT_EQ(s.priority().sent(), pr.priority().sent());
    }
  }

  // The peer reads: every important message arrives; then an ordinary
  // message on stream 0 after whatever is left of the others.
  peer.Do("read");
  for (int j = 0; j < kHigh; ++j) {
    EXPECT_TRUE(peer.Saw(GotLine(1, 0, Numbered("high", j, kHighSize))))
        << "priority-0 message " << j << " missing:\n" << peer.Output().substr(0, 4000);
  }
  ASSERT_TRUE(app_->Send(id, {Message(0, 7, "end of stream 0")}).ok());
  ASSERT_TRUE(peer.Saw(GotLine(0, 7, "end of stream 0"))) << peer.Output().substr(0, 4000);

  std::vector<int> low_order, high_order;
  for (const Got& g : GotLines(peer.Output())) {
    if (std::optional<int> i = SeriesIndex(g.text, "low")) {
      EXPECT_EQ(g.hash, Fnv1a(Numbered("low", *i, kLowSize))) << g.text << " arrived altered";
      EXPECT_LE(*i, low_accepted) << "message " << *i << " was withdrawn, yet it arrived";
      low_order.push_back(*i);
    } else if (std::optional<int> j = SeriesIndex(g.text, "high")) {
      high_order.push_back(*j);
    }
  }
  EXPECT_EQ(high_order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(std::is_sorted(low_order.begin(), low_order.end()));
  EXPECT_EQ(std::set<int>(low_order.begin(), low_order.end()).size(), low_order.size())
      << "a priority-100 message arrived twice";
  v1::GetAssociationResponse after;
  ASSERT_TRUE(Describe(id, &after).ok());
  // The uncertain message counts as accepted if it arrived.
  const bool uncertain_arrived =
      std::find(low_order.begin(), low_order.end(), low_accepted) != low_order.end();
  const uint64_t lost =
      static_cast<uint64_t>(low_accepted + (uncertain_arrived ? 1 : 0)) - low_order.size();
  const uint64_t counted = after.pr_sctp().priority().sent() + after.pr_sctp().priority().unsent();
  EXPECT_GT(lost, 0u);
  EXPECT_GE(counted, lost) << "lost priority-100 messages not counted";

  // SEND_FAILED (if the kernel gives any): only priority-100 messages the
  // peer never got.
  std::set<int> delivered(low_order.begin(), low_order.end());
  const std::set<uint32_t> failed = FailedContexts(events, id);
  for (uint32_t context : failed) {
    EXPECT_TRUE(context >= 1 && context <= static_cast<uint32_t>(low_accepted + 1))
        << "SEND_FAILED for context " << context;
    EXPECT_EQ(delivered.count(static_cast<int>(context) - 1), 0u)
        << "context " << context << " both delivered and reported failed";
  }
  std::printf("[ figures ] priority: %d priority-100 messages of %zu bytes filled the buffer; %d of "
              "%zu bytes at priority 0 displaced %llu unsent and %llu sent; %zu of them arrived, "
              "%zu SEND_FAILED\n",
              low_accepted, kLowSize, kHigh, kHighSize,
              static_cast<unsigned long long>(pr.priority().unsent()),
              static_cast<unsigned long long>(pr.priority().sent()), low_order.size(),
              failed.size());
}

// Timed reliability (lifetime_ms), the one policy whose abandoned messages
// Linux reports: the peer reads nothing (a 4 KiB window) until reliable
// messages on stream 0 have closed its window with more of them queued;
// three messages with a 1 ms lifetime queue behind them on stream 1, then
// one reliable message. When the peer reads, the three have expired unsent:
// each comes back once in SEND_FAILED (unsent, whole, with its context),
// pr_sctp.timed counts them unsent, the peer never gets them, and every
// reliable message arrives. Exactly: received + reported = sent.
TEST_F(SocketOptionsLabTest, ExpiredMessagesAreCountedAndComeBackInSendFailed) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  constexpr int kHeld = 8;  // 8000 bytes against a 4096-byte window.
  constexpr int kTimed = 3;
  Peer peer = Peer::Listen(kPeerIp, {"--rcvbuf", "4096", "--hold"});
  ASSERT_TRUE(peer.ok());
  const v1::Endpoint endpoint = OpenEndpoint(v1::OpenEndpointRequest());
  const uint64_t id = Associate(endpoint, peer);
  ASSERT_NE(id, 0u);
  v1::WatchEventsRequest watch = app_->WatchEndpoint(endpoint.endpoint_id());
  watch.set_progress_interval_ms(1000);
  EventWatch events(app_->stub(), watch);
  ASSERT_TRUE(peer.Saw("up\n"));

  std::vector<v1::OutboundMessage> held;
  for (int i = 0; i < kHeld; ++i) held.push_back(Message(0, 1, Numbered("held", i, 1000)));
  ASSERT_TRUE(app_->Send(id, held).ok());
  // The window is closed (the kernel lowers its view of it as it sends):
  // the rest of the held messages wait in sctpgw's kernel, ahead of what
  // comes next.
  ASSERT_TRUE(WaitUntil(id, [](const v1::GetAssociationResponse& info) {
    return info.status().peer_rwnd() < 1000;
  })) << "the peer's window did not close";
  std::vector<v1::OutboundMessage> timed;
  for (int j = 0; j < kTimed; ++j) {
    v1::OutboundMessage m = Message(1, 2, Numbered("timed", j, 100));
    m.set_lifetime_ms(1);
    m.set_context(static_cast<uint32_t>(501 + j));
    timed.push_back(m);
  }
  ASSERT_TRUE(app_->Send(id, timed).ok());
  ASSERT_TRUE(app_->Send(id, {Message(1, 3, "after the timed ones")}).ok());

  peer.Do("read");
  ASSERT_TRUE(peer.Saw(GotLine(1, 3, "after the timed ones"))) << peer.Output().substr(0, 4000);
  ASSERT_TRUE(peer.Saw(GotLine(0, 1, Numbered("held", kHeld - 1, 1000))));
  // Every SEND_FAILED is logged once a message the peer sent after them has
  // reached the application (one socket, read in order).
  peer.Do("send 0 99 sync");
  std::vector<v1::InboundMessage> sync = app_->ReceiveN(id, 1);
  ASSERT_EQ(sync.size(), 1u);
  ASSERT_TRUE(CaughtUp(events, std::chrono::system_clock::now()));

  int held_got = 0;
  for (const Got& g : GotLines(peer.Output())) {
    EXPECT_FALSE(absl::StartsWith(g.text, "timed-")) << "an expired message arrived: " << g.text;
    if (std::optional<int> i = SeriesIndex(g.text, "held")) {
      EXPECT_EQ(*i, held_got++) << "held messages lost or reordered";
    }
  }
  EXPECT_EQ(held_got, kHeld);
  std::map<uint32_t, v1::SendFailed> failed;
  for (const v1::Event& e : events.events()) {
    if (e.association_id() != id || !e.has_send_failed()) continue;
    EXPECT_TRUE(failed.emplace(e.send_failed().context(), e.send_failed()).second)
        << "context " << e.send_failed().context() << " failed twice";
  }
  ASSERT_EQ(failed.size(), static_cast<size_t>(kTimed)) << "SEND_FAILED for other messages";
  for (const v1::OutboundMessage& m : timed) {
    auto it = failed.find(m.context());
    ASSERT_NE(it, failed.end()) << "no SEND_FAILED for context " << m.context();
    EXPECT_FALSE(it->second.sent()) << "it expired before it was sent";
    EXPECT_EQ(it->second.payload(), m.payload());
    EXPECT_EQ(it->second.stream(), 1u);
    EXPECT_EQ(it->second.ppid(), 2u);
  }
  v1::GetAssociationResponse described;
  ASSERT_TRUE(Describe(id, &described, {1}).ok());
  const v1::PrSctpStatus& pr = described.pr_sctp();
  EXPECT_EQ(pr.timed().unsent(), static_cast<uint64_t>(kTimed));
  EXPECT_EQ(pr.timed().sent(), 0u);
  EXPECT_EQ(pr.total().unsent(), static_cast<uint64_t>(kTimed));
  ASSERT_EQ(pr.streams_size(), 1);
  EXPECT_EQ(pr.streams(0).stream(), 1u);
  EXPECT_EQ(pr.streams(0).timed().unsent(), static_cast<uint64_t>(kTimed));
}

// ---------------------------------------------------------- settings

// An endpoint's socket settings are read back from the kernel, and the peer
// sees them: the window sctpgw advertises (SCTP_STATUS at the peer), a
// 5000-byte message cut into DATA chunks of at most 1000 bytes (counted on
// the wire) and whole at the peer; a 20000-byte message from the peer whole
// in sctpgw despite a 4096-byte partial delivery point. An endpoint with
// the defaults reads them back and advertises a far larger window. With
// disable_fragments a message beyond the fragmentation point is refused
// (MESSAGE_TOO_LARGE_FOR_PATH) and a small one goes through. Bad input:
// values out of range name their field.
TEST_F(SocketOptionsLabTest, SocketSettingsAreReadBackAndSeenByThePeer) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ChunkWatch watch;
  ASSERT_TRUE(watch.ok());

  Peer peer = Peer::Listen(kPeerIp);
  ASSERT_TRUE(peer.ok());
  v1::OpenEndpointRequest open;
  v1::SocketSettings* settings = open.mutable_socket_settings();
  settings->set_cookie_life_ms(30000);
  settings->set_receive_window_bytes(65536);
  settings->set_max_segment_bytes(1000);
  settings->set_partial_delivery_point_bytes(4096);
  settings->set_bundle_messages(true);
  const v1::Endpoint endpoint = OpenEndpoint(open);
  const v1::SocketSettings& read_back = endpoint.socket_settings();
  EXPECT_TRUE(read_back.has_cookie_life_ms() && read_back.has_receive_window_bytes() &&
              read_back.has_max_segment_bytes() && read_back.has_partial_delivery_point_bytes())
      << "not every setting read back: " << read_back.ShortDebugString();
  EXPECT_EQ(read_back.cookie_life_ms(), 30000u);
  // Linux keeps SO_RCVBUF doubled and advertises half of it.
  EXPECT_GE(read_back.receive_window_bytes(), 32768u) << read_back.ShortDebugString();
  EXPECT_LE(read_back.receive_window_bytes(), 131072u) << read_back.ShortDebugString();
  EXPECT_EQ(read_back.max_segment_bytes(), 1000u);
  EXPECT_FALSE(read_back.disable_fragments());
  EXPECT_EQ(read_back.partial_delivery_point_bytes(), 4096u);
  EXPECT_TRUE(read_back.bundle_messages());
  EXPECT_EQ(endpoint.oversized_messages(), v1::OVERSIZED_MESSAGES_DELIVER_IN_PIECES);

  const uint64_t id = Associate(endpoint, peer);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(peer.Saw("up\n"));
  std::optional<Peer::Status> seen = peer.ReadStatus();
  ASSERT_TRUE(seen.has_value());
  EXPECT_GE(seen->rwnd, 32768u) << "the window sctpgw advertised";
  EXPECT_LE(seen->rwnd, 131072u) << "the window sctpgw advertised";
  v1::GetAssociationResponse described;
  ASSERT_TRUE(Describe(id, &described).ok());
  EXPECT_GT(described.status().fragmentation_point(), 0u);
  EXPECT_LE(described.status().fragmentation_point(), 1000u);

  // 5000 bytes: at least five DATA chunks on the wire, one message at the
  // peer. (Loopback's MTU is 64 KiB: without the setting it is one chunk.)
  const int64_t data_before = watch.Count(kDataChunk, kGatewayIp, kPeerIp);
  ASSERT_GE(data_before, 0);
  const std::string five_k = Pattern(5000);
  ASSERT_TRUE(app_->Send(id, {Message(1, 5, five_k)}).ok());
  EXPECT_TRUE(peer.Saw(GotLine(1, 5, five_k))) << peer.Output();
  EXPECT_TRUE(watch.Await(kDataChunk, kGatewayIp, kPeerIp, data_before + 5))
      << "the message was not cut at 1000 bytes: "
      << watch.Count(kDataChunk, kGatewayIp, kPeerIp) - data_before << " DATA chunks";

  // 20000 bytes from the peer: the kernel hands sctpgw pieces from 4096
  // bytes on; the application gets the message whole.
  peer.Do("pattern 2 6 20000");
  std::vector<v1::InboundMessage> got = app_->ReceiveN(id, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload().size(), 20000u);
  EXPECT_TRUE(got[0].payload() == Pattern(20000)) << "the message arrived altered";
  EXPECT_FALSE(got[0].more_follows());
  EXPECT_EQ(got[0].offset(), 0u);
  EXPECT_EQ(got[0].stream(), 2u);
  EXPECT_EQ(got[0].ppid(), 6u);

  // The defaults, read back, and the window they advertise.
  Peer plain_peer = Peer::Listen(kPeerIp);
  ASSERT_TRUE(plain_peer.ok());
  const v1::Endpoint plain = OpenEndpoint(v1::OpenEndpointRequest());
  const v1::SocketSettings& defaults = plain.socket_settings();
  EXPECT_EQ(defaults.cookie_life_ms(), 60000u) << defaults.ShortDebugString();
  EXPECT_GT(defaults.receive_window_bytes(), 131072u) << defaults.ShortDebugString();
  EXPECT_EQ(defaults.max_segment_bytes(), 0u) << defaults.ShortDebugString();
  EXPECT_FALSE(defaults.disable_fragments());
  EXPECT_FALSE(defaults.bundle_messages());
  ASSERT_NE(Associate(plain, plain_peer), 0u);
  ASSERT_TRUE(plain_peer.Saw("up\n"));
  std::optional<Peer::Status> plain_seen = plain_peer.ReadStatus();
  ASSERT_TRUE(plain_seen.has_value());
  EXPECT_GT(plain_seen->rwnd, 131072u) << "the default window";

  // Fragmentation refused: a message beyond the fragmentation point fails,
  // a small one goes through.
  Peer strict_peer = Peer::Listen(kPeerIp);
  ASSERT_TRUE(strict_peer.ok());
  v1::OpenEndpointRequest strict;
  strict.mutable_socket_settings()->set_max_segment_bytes(1000);
  strict.mutable_socket_settings()->set_disable_fragments(true);
  const v1::Endpoint unfragmented = OpenEndpoint(strict);
  EXPECT_TRUE(unfragmented.socket_settings().disable_fragments());
  const uint64_t strict_id = Associate(unfragmented, strict_peer);
  ASSERT_NE(strict_id, 0u);
  ASSERT_TRUE(strict_peer.Saw("up\n"));
  grpc::Status status = app_->Send(strict_id, {Message(0, 1, std::string(1500, 'F'))});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "MESSAGE_TOO_LARGE_FOR_PATH") << status.error_message();
  status = app_->Send(strict_id, {Message(0, 2, std::string(500, 's'))});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(strict_peer.Saw(GotLine(0, 2, std::string(500, 's')))) << strict_peer.Output();

  // Bad input.
  v1::OpenEndpointRequest bad;
  bad.add_local_addresses(kGatewayIp);
  bad.mutable_socket_settings()->set_max_segment_bytes(70000);
  status = app_->OpenEndpoint(bad, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["field"], "socket_settings.max_segment_bytes");
  bad.mutable_socket_settings()->clear_max_segment_bytes();
  bad.mutable_socket_settings()->set_cookie_life_ms(0);
  status = app_->OpenEndpoint(bad, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["field"], "socket_settings.cookie_life_ms");
  std::printf("[ figures ] window seen by the peer: %u bytes with receive_window_bytes 65536, %u "
              "with the defaults; fragmentation point %u with max_segment_bytes 1000\n",
              seen->rwnd, plain_seen->rwnd, described.status().fragmentation_point());
}

// ------------------------------------------------------- heartbeats

// Periodic heartbeats off; a heartbeat on demand puts one HEARTBEAT on the
// wire to the address asked for (or to every peer address), the peer
// answers, and the association's control chunk counters move. Bad input:
// an address not of the association, one not an address at all, an
// association that does not exist.
TEST_F(SocketOptionsLabTest, HeartbeatOnDemand) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ChunkWatch watch;
  ASSERT_TRUE(watch.ok());
  Peer peer = Peer::Listen(kPeerIp);
  ASSERT_TRUE(peer.ok());
  const uint64_t id = Associate(OpenEndpoint(v1::OpenEndpointRequest()), peer);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(peer.Saw("up\n"));
  v1::PathParameters off;
  off.set_heartbeat_enabled(false);
  v1::ConfigurePathsResponse configured;
  grpc::Status status = app_->ConfigurePaths(id, off, "", &configured);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(configured.parameters().heartbeat_enabled());

  v1::GetAssociationResponse before;
  ASSERT_TRUE(Describe(id, &before).ok());
  const int64_t heartbeats = watch.Count(kHeartbeatChunk, kGatewayIp, kPeerIp);
  const int64_t acks = watch.Count(kHeartbeatAckChunk, kPeerIp, kGatewayIp);
  ASSERT_GE(heartbeats, 0);
  ASSERT_GE(acks, 0);

  status = RequestHeartbeat(id, kPeerIp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(watch.Await(kHeartbeatChunk, kGatewayIp, kPeerIp, heartbeats + 1))
      << "no HEARTBEAT on the wire";
  EXPECT_TRUE(watch.Await(kHeartbeatAckChunk, kPeerIp, kGatewayIp, acks + 1))
      << "no HEARTBEAT ACK from the peer";
  v1::GetAssociationResponse after;
  EXPECT_TRUE(WaitUntil(
      id,
      [&](const v1::GetAssociationResponse& info) {
        return info.statistics().control_chunks_sent() > before.statistics().control_chunks_sent() &&
               info.statistics().control_chunks_received() >
                   before.statistics().control_chunks_received();
      },
      &after))
      << "control chunks: " << after.statistics().ShortDebugString();

  // Every peer address: the only one here.
  status = RequestHeartbeat(id, "");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(watch.Await(kHeartbeatChunk, kGatewayIp, kPeerIp, heartbeats + 2));
  EXPECT_TRUE(watch.Await(kHeartbeatAckChunk, kPeerIp, kGatewayIp, acks + 2));

  status = RequestHeartbeat(id, "10.9.9.9");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "INVALID_ADDRESS");
  EXPECT_EQ(ErrorMetadata(status)["field"], "peer_address");
  status = RequestHeartbeat(id, "not an address");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "INVALID_ADDRESS");
  status = RequestHeartbeat(id + 1000, kPeerIp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  // The two asked for and no other: the refused requests sent none, and
  // periodic heartbeats are off (their default interval, 30 s, is longer
  // than this test anyway).
  EXPECT_EQ(watch.Count(kHeartbeatChunk, kGatewayIp, "*"), heartbeats + 2);
}

// ------------------------------------------------------- statistics

// The kernel's counters after traffic both ways: packets, ordered and
// unordered DATA chunks each way, SACKs, the largest RTO.
TEST_F(SocketOptionsLabTest, StatisticsCountTheTraffic) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--metrics-listen", "127.0.0.1:9465"}));
  Peer peer = Peer::Listen(kPeerIp);
  ASSERT_TRUE(peer.ok());
  const uint64_t id = Associate(OpenEndpoint(v1::OpenEndpointRequest()), peer);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(peer.Saw("up\n"));
  v1::GetAssociationResponse before;
  ASSERT_TRUE(Describe(id, &before).ok());
  ASSERT_TRUE(before.has_statistics());

  constexpr int kOrdered = 30;
  constexpr int kUnordered = 5;
  constexpr int kFromPeer = 10;
  std::vector<v1::OutboundMessage> messages;
  for (int i = 0; i < kOrdered; ++i) messages.push_back(Message(1, 1, Numbered("ordered", i, 0)));
  for (int i = 0; i < kUnordered; ++i) {
    messages.push_back(Message(2, 2, Numbered("unordered", i, 0), /*unordered=*/true));
  }
  ASSERT_TRUE(app_->Send(id, messages).ok());
  EXPECT_TRUE(peer.Saw(GotLine(1, 1, Numbered("ordered", kOrdered - 1, 0))));
  for (int i = 0; i < kFromPeer; ++i) peer.Do(absl::StrCat("send 3 3 from the peer ", i));
  std::vector<v1::InboundMessage> got = app_->ReceiveN(id, kFromPeer);
  ASSERT_EQ(got.size(), static_cast<size_t>(kFromPeer));

  // sctpgw's SACKs may wait for the delayed-SACK timer: poll until every
  // counter has moved.
  v1::GetAssociationResponse after;
  const v1::AssociationStatistics& b = before.statistics();
  EXPECT_TRUE(WaitUntil(
      id,
      [&](const v1::GetAssociationResponse& info) {
        const v1::AssociationStatistics& s = info.statistics();
        return s.ordered_chunks_sent() >= b.ordered_chunks_sent() + kOrdered &&
               s.unordered_chunks_sent() >= b.unordered_chunks_sent() + kUnordered &&
               s.ordered_chunks_received() >= b.ordered_chunks_received() + kFromPeer &&
               s.packets_sent() > b.packets_sent() && s.packets_received() > b.packets_received() &&
               s.sacks_received() > b.sacks_received() && s.sacks_sent() > b.sacks_sent();
      },
      &after))
      << "before: " << b.ShortDebugString() << "\nafter: " << after.statistics().ShortDebugString();
  const v1::AssociationStatistics& s = after.statistics();
  EXPECT_GT(s.max_rto_ms(), 0u);
  if (s.has_max_rto_path()) {
    EXPECT_EQ(s.max_rto_path().ip(), kPeerIp);
  }
  // The same counters in the metrics, per association.
  auto scrape = Subprocess::Start(
      {"/usr/bin/python3", "-c",
       "import urllib.request,sys; "
       "sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:9465/metrics', "
       "timeout=30).read().decode())"},
      /*keep_stdin=*/false);
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  ASSERT_TRUE(scrape->Wait(kTimeout).ok());
  const std::string body = scrape->ReadStdout(0ms);
  const std::string labels =
      absl::StrCat("{association=\"", id, "\",endpoint=\"", after.association().endpoint_id(), "\"}");
  for (const char* name : {"sctpgw_association_packets_sent_total",
                           "sctpgw_association_packets_received_total",
                           "sctpgw_association_retransmitted_chunks_total",
                           "sctpgw_association_max_rto_milliseconds"}) {
    const std::string prefix = absl::StrCat("\n", name, labels, " ");
    const size_t at = body.find(prefix);
    ASSERT_NE(at, std::string::npos) << name << " missing:\n" << body;
    uint64_t value = 0;
    const size_t start = at + prefix.size();
    EXPECT_TRUE(absl::SimpleAtoi(body.substr(start, body.find('\n', start) - start), &value));
    if (absl::StrContains(name, "packets")) {
      EXPECT_GT(value, 0u) << name;
    }
  }
  EXPECT_NE(body.find(absl::StrCat("\nsctpgw_association_abandoned_messages_total{association=\"",
                                   id, "\",endpoint=\"", after.association().endpoint_id(),
                                   "\",policy=\"retransmissions\",when=\"sent\"} 0\n")),
            std::string::npos)
      << body;
  std::printf("[ figures ] statistics after %d + %d messages out and %d in: %s\n", kOrdered,
              kUnordered, kFromPeer, s.ShortDebugString().c_str());
}

// -------------------------------------------- destination and source

// The peer is bound to two addresses, so the association has two paths.
// Once the second is confirmed (a heartbeat on demand), messages sent with
// peer_address = the second go there as DATA (counted on the wire), those
// without go to the primary. A message from the peer carries, as its
// source, the address its DATA came from on the wire. A heartbeat to
// every peer address reaches both. Bad input: an address not of the
// association, one not an address.
TEST_F(SocketOptionsLabTest, MessagesGoToTheChosenAddressAndSayWhereTheyCameFrom) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ChunkWatch watch;
  ASSERT_TRUE(watch.ok());
  Peer peer = Peer::Listen(absl::StrCat(kPeerIp, ",", kPeerSecondIp));
  ASSERT_TRUE(peer.ok());
  const v1::Endpoint endpoint = OpenEndpoint(v1::OpenEndpointRequest());
  EventWatch events(app_->stub(), app_->WatchEndpoint(endpoint.endpoint_id()));
  const uint64_t id = Associate(endpoint, peer);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(peer.Saw("up\n"));
  v1::GetAssociationResponse described;
  ASSERT_TRUE(Describe(id, &described).ok());
  std::set<std::string> peers;
  for (const v1::TransportAddress& a : described.association().peer_addresses()) peers.insert(a.ip());
  ASSERT_EQ(peers, (std::set<std::string>{kPeerIp, kPeerSecondIp}));
  EXPECT_EQ(described.status().primary().address().ip(), kPeerIp);

  // The kernel sends DATA only on a confirmed path (else on the primary):
  // confirm the second now.
  ASSERT_TRUE(RequestHeartbeat(id, kPeerSecondIp).ok());
  auto confirmed = events.WaitFor(
      IsPathChange(id, kPeerSecondIp,
                   {v1::PEER_ADDRESS_CHANGE_TYPE_CONFIRMED, v1::PEER_ADDRESS_CHANGE_TYPE_AVAILABLE}),
      kCallTimeout);
  EXPECT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_TRUE(WaitUntil(id, [](const v1::GetAssociationResponse& info) {
    for (const v1::PeerPath& path : info.paths()) {
      if (path.address().ip() == kPeerSecondIp) return path.state() == v1::PATH_STATE_ACTIVE;
    }
    return false;
  })) << "the second path did not become active";

  constexpr int kEach = 5;
  const int64_t to_second = watch.Count(kDataChunk, kGatewayIp, kPeerSecondIp);
  const int64_t to_primary = watch.Count(kDataChunk, kGatewayIp, kPeerIp);
  std::vector<v1::OutboundMessage> chosen;
  for (int i = 0; i < kEach; ++i) {
    v1::OutboundMessage m = Message(1, 11, Numbered("to-second", i, 0));
    m.set_peer_address(kPeerSecondIp);
    chosen.push_back(m);
  }
  ASSERT_TRUE(app_->Send(id, chosen).ok());
  EXPECT_TRUE(watch.Await(kDataChunk, kGatewayIp, kPeerSecondIp, to_second + kEach))
      << "DATA to " << kPeerSecondIp << ": "
      << watch.Count(kDataChunk, kGatewayIp, kPeerSecondIp) - to_second << " of " << kEach;
  EXPECT_TRUE(peer.Saw(GotLine(1, 11, Numbered("to-second", kEach - 1, 0)))) << peer.Output();

  std::vector<v1::OutboundMessage> primary;
  for (int i = 0; i < kEach; ++i) primary.push_back(Message(1, 12, Numbered("to-primary", i, 0)));
  ASSERT_TRUE(app_->Send(id, primary).ok());
  EXPECT_TRUE(watch.Await(kDataChunk, kGatewayIp, kPeerIp, to_primary + kEach));
  EXPECT_TRUE(peer.Saw(GotLine(1, 12, Numbered("to-primary", kEach - 1, 0)))) << peer.Output();
  EXPECT_EQ(watch.Count(kDataChunk, kGatewayIp, kPeerSecondIp), to_second + kEach)
      << "messages without peer_address went to " << kPeerSecondIp;
  for (const Got& g : GotLines(peer.Output())) {
    EXPECT_TRUE(absl::StartsWith(g.text, "to-second-") || absl::StartsWith(g.text, "to-primary-"))
        << g.text;
  }

  // From the peer: the source is the address its DATA came from.
  const int64_t from_primary = watch.Count(kDataChunk, kPeerIp, kGatewayIp);
  const int64_t from_second = watch.Count(kDataChunk, kPeerSecondIp, kGatewayIp);
  peer.Do("send 2 7 where from");
  std::vector<v1::InboundMessage> got = app_->ReceiveN(id, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "where from");
  ASSERT_TRUE(watch.Await(kDataChunk, "*", kGatewayIp, from_primary + from_second + 1));
  const std::string wire_source =
      watch.Count(kDataChunk, kPeerIp, kGatewayIp) > from_primary ? kPeerIp : kPeerSecondIp;
  ASSERT_TRUE(got[0].has_source()) << "no source address";
  EXPECT_EQ(got[0].source().ip(), wire_source);
  EXPECT_EQ(got[0].source().port(), peer.port);

  // A heartbeat to every peer address: one to each.
  const int64_t hb_primary = watch.Count(kHeartbeatChunk, kGatewayIp, kPeerIp);
  const int64_t hb_second = watch.Count(kHeartbeatChunk, kGatewayIp, kPeerSecondIp);
  ASSERT_TRUE(RequestHeartbeat(id, "").ok());
  EXPECT_TRUE(watch.Await(kHeartbeatChunk, kGatewayIp, kPeerIp, hb_primary + 1));
  EXPECT_TRUE(watch.Await(kHeartbeatChunk, kGatewayIp, kPeerSecondIp, hb_second + 1));

  // Bad input: nothing is sent.
  v1::OutboundMessage stray = Message(1, 13, "stray");
  stray.set_peer_address("127.0.0.9");
  grpc::Status status = app_->Send(id, {stray});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "INVALID_ADDRESS");
  EXPECT_EQ(ErrorMetadata(status)["field"], "messages[0].peer_address");
  stray.set_peer_address("somewhere");
  status = app_->Send(id, {stray});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "INVALID_ADDRESS");
  EXPECT_EQ(ErrorMetadata(status)["field"], "messages[0].peer_address");
  std::printf("[ figures ] the peer's message came from %s\n", wire_source.c_str());
}

// ---------------------------------------------------- large messages

// max_message_bytes 64 KiB, and the peer sends one message of 5 x 64 KiB +
// 123 bytes then a small one on the same stream. The large one arrives in
// pieces of at most 64 KiB, at consecutive offsets, more_follows on all
// but the last, each with the message's stream, PPID, SSN and TSN; joined,
// every byte as sent. The small one follows whole, the association stays
// up and carries a reply. An endpoint opened with OVERSIZED_MESSAGES_ABORT
// aborts the association instead (COMM_LOST, saying why), as sctpgw always
// did. Bad input: an oversized_messages value that does not exist.
TEST_F(SocketOptionsLabTest, MessagesLargerThanTheMaximumArriveInPieces) {
  constexpr size_t kMaximum = 65536;
  constexpr size_t kBig = 5 * kMaximum + 123;
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max-message-bytes", absl::StrCat(kMaximum)}));
  Peer peer = Peer::Listen(kPeerIp, {"--sndbuf", "4194304"});
  ASSERT_TRUE(peer.ok());
  const v1::Endpoint endpoint = OpenEndpoint(v1::OpenEndpointRequest());
  EXPECT_EQ(endpoint.oversized_messages(), v1::OVERSIZED_MESSAGES_DELIVER_IN_PIECES);
  EventWatch events(app_->stub(), app_->WatchEndpoint(endpoint.endpoint_id()));
  const uint64_t id = Associate(endpoint, peer);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(peer.Saw("up\n"));

  peer.Do(absl::StrCat("pattern 3 42 ", kBig));
  peer.Do("send 3 43 small after");
  std::vector<v1::InboundMessage> got;
  for (auto until = std::chrono::steady_clock::now() + kTimeout;
       (got.empty() || got.back().payload() != "small after") &&
       std::chrono::steady_clock::now() < until;) {
    v1::ReceiveRequest request;
    request.set_association_id(id);
    request.set_max_messages(16);
    grpc::Status status = app_->ReceiveFrom(request, &got);
    ASSERT_TRUE(status.ok()) << status.error_message() << " after " << got.size() << " messages";
  }
  ASSERT_FALSE(got.empty());
  ASSERT_EQ(got.back().payload(), "small after") << got.size() << " messages";
  const std::vector<v1::InboundMessage> pieces(got.begin(), got.end() - 1);
  ASSERT_GE(pieces.size(), 6u) << "pieces of at most 64 KiB";
  std::string joined;
  for (size_t k = 0; k < pieces.size(); ++k) {
    const v1::InboundMessage& p = pieces[k];
    EXPECT_EQ(p.offset(), joined.size()) << "piece " << k;
    EXPECT_EQ(p.more_follows(), k + 1 < pieces.size()) << "piece " << k;
    EXPECT_GT(p.payload().size(), 0u) << "piece " << k;
    EXPECT_LE(p.payload().size(), kMaximum) << "piece " << k;
    EXPECT_EQ(p.stream(), 3u) << "piece " << k;
    EXPECT_EQ(p.ppid(), 42u) << "piece " << k;
    EXPECT_FALSE(p.unordered()) << "piece " << k;
    EXPECT_EQ(p.ssn(), pieces[0].ssn()) << "piece " << k;
    EXPECT_EQ(p.tsn(), pieces[0].tsn()) << "piece " << k;
    joined += p.payload();
  }
  ASSERT_EQ(joined.size(), kBig);
  const std::string expected = Pattern(kBig);
  const auto mismatch = std::mismatch(joined.begin(), joined.end(), expected.begin());
  EXPECT_TRUE(mismatch.first == joined.end())
      << "the bytes differ from offset " << (mismatch.first - joined.begin());
  const v1::InboundMessage& small = got.back();
  EXPECT_FALSE(small.more_follows());
  EXPECT_EQ(small.offset(), 0u);
  EXPECT_EQ(small.stream(), 3u);
  EXPECT_EQ(small.ppid(), 43u);
  EXPECT_EQ(small.ssn(), (pieces[0].ssn() + 1) & 0xffff) << "the next message of its stream";

  v1::GetAssociationResponse described;
  ASSERT_TRUE(Describe(id, &described).ok());
  EXPECT_EQ(described.association().state(), v1::ASSOCIATION_STATE_ESTABLISHED);
  EXPECT_EQ(described.status().state(), v1::KERNEL_ASSOCIATION_STATE_ESTABLISHED);
  ASSERT_TRUE(app_->Send(id, {Message(3, 44, "got it all")}).ok());
  EXPECT_TRUE(peer.Saw(GotLine(3, 44, "got it all"))) << peer.Output();
  for (const v1::Event& e : events.events()) {
    EXPECT_FALSE(e.has_association_change() &&
                 e.association_change().type() != v1::ASSOCIATION_CHANGE_TYPE_COMM_UP)
        << "the association changed: " << e.ShortDebugString();
  }

  // OVERSIZED_MESSAGES_ABORT: the old behaviour, asked for.
  Peer second = Peer::Listen(kPeerIp, {"--sndbuf", "4194304"});
  ASSERT_TRUE(second.ok());
  v1::OpenEndpointRequest aborting;
  aborting.set_oversized_messages(v1::OVERSIZED_MESSAGES_ABORT);
  const v1::Endpoint strict = OpenEndpoint(aborting);
  EXPECT_EQ(strict.oversized_messages(), v1::OVERSIZED_MESSAGES_ABORT);
  EventWatch strict_events(app_->stub(), app_->WatchEndpoint(strict.endpoint_id()));
  const uint64_t strict_id = Associate(strict, second);
  ASSERT_NE(strict_id, 0u);
  ASSERT_TRUE(second.Saw("up\n"));
  second.Do(absl::StrCat("pattern 3 42 ", kBig));
  auto lost = strict_events.WaitFor(
      IsAssociationChange(strict_id, v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST), kTimeout);
  ASSERT_TRUE(lost.ok()) << lost.status();
  EXPECT_FALSE(lost->detail().empty()) << "sctpgw aborted without saying why";
  EXPECT_TRUE(second.Saw("reset\n")) << second.Output();
  grpc::Status status = app_->Send(strict_id, {Message(0, 1, "too late")});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_CLOSED");

  // Bad input.
  v1::OpenEndpointRequest bad;
  bad.add_local_addresses(kGatewayIp);
  bad.set_oversized_messages(static_cast<v1::OversizedMessages>(7));
  status = app_->OpenEndpoint(bad, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["field"], "oversized_messages");
  std::printf("[ figures ] a message of %zu bytes with max_message_bytes %zu: %zu pieces\n", kBig,
              kMaximum, pieces.size());
}

}  // namespace
}  // namespace sctpgw
