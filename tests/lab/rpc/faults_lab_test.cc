// Faults end to end: clients killed (SIGKILL) in the middle of a waiting
// call, a stream or an Associate; sctpgw stopped (SIGTERM) under load and
// restarted on the same unix socket after SIGKILL. Each case checks what an
// operator would: the call is cancelled in the service, the session ends
// with its lease, its associations are shut down (the independent peer sees
// the end), no message acknowledged to a client is lost, what a peer
// received is a prefix of what was sent, and the service keeps serving
// others. Runs under the lab.
//
// session_lab_test covers a killed client holding only an idle association
// and SIGTERM with idle associations; streams_lab_test cancelled (not
// killed) streams and SIGTERM with idle streams. This file adds the cases
// with work in flight.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/net/unique_fd.h"
#include "tests/lab/support/gateway_app.h"

namespace sctpgw {
namespace {

using testing::ErrorMetadata;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::App;
using testing::Connect;
using testing::ErrorReason;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Message;
using testing::Pair;
using testing::PeerScript;
using testing::SctpgwServer;
using testing::SetTimeout;
using testing::Subprocess;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

// The lease killed clients ask for: short, but long enough that a client
// starting on the emulated CPU has its event stream open before it runs out.
constexpr auto kLease = 3000ms;
// Messages of the numbered sequence, as the fault client sends them: "s<N>:"
// padded to 100 bytes, stream 0, PPID 7, 32 to a request.
constexpr int kPerRequest = 32;
constexpr size_t kMessageBytes = 100;
constexpr int kMetricsPort = 9464;

// The end of a process's output, for failure messages.
std::string Tail(const std::string& out) {
  return out.size() <= 400 ? out : "..." + out.substr(out.size() - 400);
}

long long Ms(Clock::duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// ------------------------------------------------------------------ metrics

// The service-wide gauges, from sctpgw's Prometheus endpoint: what the test
// compares before and after a fault without touching any session (a call
// naming a session would renew its lease).
struct Gauges {
  double sessions = -1;
  double endpoints = -1;
  double associations = -1;  // In any state.
  double waiting_calls = -1;
  double queued_messages = -1;  // Received, waiting for the application.
};

std::string Scrape() {
  net::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return "";
  timeval timeout{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kMetricsPort);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd.get(), request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[16384];
      ssize_t n;
      while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    }
  }
  return response;
}

// The value of `sample` (a metric name with its labels) in a scrape, or -1.
double Sample(const std::string& scrape, const std::string& sample) {
  size_t at = scrape.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  size_t start = at + sample.size() + 2;
  double value = -1;
  if (!absl::SimpleAtod(scrape.substr(start, scrape.find('\n', start) - start), &value)) return -1;
  return value;
}

Gauges ReadGauges() {
  std::string scrape = Scrape();
  Gauges gauges;
  gauges.sessions = Sample(scrape, "sctpgw_sessions");
  gauges.endpoints = Sample(scrape, "sctpgw_endpoints");
  gauges.waiting_calls = Sample(scrape, "sctpgw_waiting_calls");
  gauges.queued_messages = Sample(scrape, "sctpgw_queued_messages");
  gauges.associations = 0;
  for (const char* state : {"connecting", "established", "shutting_down", "closed"}) {
    double value = Sample(scrape, absl::StrCat("sctpgw_associations{state=\"", state, "\"}"));
    if (value < 0) gauges.associations = -1;
    if (gauges.associations >= 0) gauges.associations += value;
  }
  return gauges;
}

std::string Describe(const Gauges& g) {
  return absl::StrCat("sessions ", g.sessions, ", endpoints ", g.endpoints, ", associations ",
                      g.associations, ", waiting calls ", g.waiting_calls);
}

// Polls the gauges until `condition` holds or `timeout` passes (each check
// is a round trip through sctpgw's loop, where the awaited cleanup happens).
bool GaugesReach(const std::function<bool(const Gauges&)>& condition,
                 std::chrono::milliseconds timeout, Gauges* last = nullptr) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    Gauges gauges = ReadGauges();
    if (last != nullptr) *last = gauges;
    if (condition(gauges)) return true;
    if (Clock::now() > deadline) return false;
  }
}

// --------------------------------------------------------- kernel's view

// Lines of /proc/net/sctp/assocs (the kernel's associations in this network
// namespace) that mention `address`.
size_t KernelAssociationsWith(const std::string& address) {
  std::ifstream in("/proc/net/sctp/assocs");
  std::string line;
  size_t count = 0;
  while (std::getline(in, line)) count += line.find(address) != std::string::npos;
  return count;
}

// SCTP sockets (endpoints) in this network namespace.
size_t KernelEndpoints() {
  std::ifstream in("/proc/net/sctp/eps");
  std::string line;
  size_t count = 0;
  std::getline(in, line);  // Header.
  while (std::getline(in, line)) ++count;
  return count;
}

// ------------------------------------------------------------- processes

// A Python kernel-socket peer listening on 127.0.0.1, and its port.
std::pair<Subprocess, uint32_t> ListeningPeer() {
  auto peer = Subprocess::Start({"/usr/bin/python3", PeerScript(), "listen", "127.0.0.1"},
                                /*keep_stdin=*/true);
  EXPECT_TRUE(peer.ok()) << peer.status();
  auto banner = peer->ReadStdoutUntil("\n", kCallTimeout);
  EXPECT_TRUE(banner.ok()) << banner.status();
  return {std::move(*peer), static_cast<uint32_t>(std::stoul(banner->substr(5)))};
}

// Tells the peer to read everything until the association ends; it then
// prints "eof" (SHUTDOWN) or "reset" (ABORT) and exits.
constexpr char kReadToTheEnd[] = "recv 1000000000\n";

// A Python peer listening on 127.0.0.1 (tests/lab/tools/sctp_peer.py). Once
// it reads its association, its output ("got STREAM PPID TEXT" per message)
// is collected on a thread of its own, so that it never blocks on a full
// pipe and stops reading.
class Peer {
 public:
  Peer() {
    auto [process, port] = ListeningPeer();
    process_.emplace(std::move(process));
    port_ = port;
  }
  ~Peer() {
    if (reader_.joinable()) {
      process_->Signal(SIGKILL);
      reader_.join();
    }
  }
  uint32_t port() const { return port_; }
  std::string port_string() const { return absl::StrCat(port_); }
  Subprocess& process() { return *process_; }

  // Lines for its stdin: "STREAM PPID TEXT" to send, "recv N" to read.
  bool Tell(const std::string& lines) { return process_->WriteStdin(lines).ok(); }
  // Tells it to read to the end, and collects its output from now on.
  bool ReadToTheEnd() {
    if (!Tell(kReadToTheEnd)) return false;
    reader_ = std::thread([this] {
      std::string out = process_->ReadStdout(10min);  // Returns when it exits.
      std::lock_guard<std::mutex> lock(mu_);
      out_ = std::move(out);
      exited_ = true;
      changed_.notify_all();
    });
    return true;
  }
  // Its whole output once it has exited (after its association ended), or
  // nullopt if it is still running after `timeout` (it is then killed).
  std::optional<std::string> End(std::chrono::milliseconds timeout) {
    bool exited;
    {
      std::unique_lock<std::mutex> lock(mu_);
      exited = changed_.wait_for(lock, timeout, [this] { return exited_; });
    }
    if (!exited) process_->Signal(SIGKILL);
    reader_.join();
    EXPECT_TRUE(process_->Wait(kCallTimeout).ok());
    if (!exited) return std::nullopt;
    return out_;
  }

 private:
  std::optional<Subprocess> process_;
  uint32_t port_ = 0;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool exited_ = false;
  std::string out_;
};

// A fault client (tests/lab/tools/fault_client.cc) once it is "ready".
struct FaultClient {
  Subprocess process;
  std::string session;
  uint64_t id = 0;  // Its association's (or for `associate`, its endpoint's).
};

std::optional<FaultClient> StartFaultClient(const SctpgwServer& server, const std::string& mode,
                                            const std::string& peer) {
  auto process = Subprocess::Start(
      {FAULT_CLIENT, server.target(), mode, peer, absl::StrCat(kLease.count())},
      /*keep_stdin=*/mode == "receivestream");
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return std::nullopt;
  auto out = process->ReadStdoutUntil("\n", kCallTimeout);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return std::nullopt;
  std::vector<std::string> words = absl::StrSplit(out->substr(0, out->find('\n')), ' ');
  EXPECT_EQ(words.size(), 3u) << *out;
  EXPECT_EQ(words[0], "ready") << *out;
  if (words.size() != 3 || words[0] != "ready") return std::nullopt;
  FaultClient client{std::move(*process), words[1], 0};
  EXPECT_TRUE(absl::SimpleAtoi(words[2], &client.id)) << *out;
  return client;
}

// SIGKILL, and the time it was sent.
Clock::time_point Kill(Subprocess& process) {
  process.Signal(SIGKILL);
  auto killed = Clock::now();
  EXPECT_TRUE(process.Wait(kCallTimeout).ok());
  return killed;
}

// ------------------------------------------------------- numbered messages

std::string Payload(uint64_t n) {
  std::string payload = absl::StrCat("s", n, ":");
  payload.resize(kMessageBytes, 'x');
  return payload;
}

v1::SendRequest Numbered(const std::string& session, uint64_t association, uint64_t first,
                         int count = kPerRequest) {
  v1::SendRequest request;
  request.set_session_id(session);
  request.set_association_id(association);
  for (int i = 0; i < count; ++i) *request.add_messages() = Message(0, 7, Payload(first + i));
  return request;
}

// The numbers N of the "got ... <tag>N..." lines in `out`, in order: the
// peer's "got STREAM PPID s<N>:xx" and the fault client's "got r<N>".
std::vector<uint64_t> GotNumbers(const std::string& out, char tag) {
  std::vector<uint64_t> numbers;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (!absl::ConsumePrefix(&line, "got ")) continue;
    size_t word = line.rfind(' ');
    absl::string_view payload = word == absl::string_view::npos ? line : line.substr(word + 1);
    if (payload.empty() || payload[0] != tag) continue;
    payload.remove_prefix(1);
    size_t digits = 0;
    while (digits < payload.size() && payload[digits] >= '0' && payload[digits] <= '9') ++digits;
    uint64_t n = 0;
    if (absl::SimpleAtoi(payload.substr(0, digits), &n)) numbers.push_back(n);
  }
  return numbers;
}

// 0, 1, 2, ...: a prefix of the sequence sent, in order, no duplicates, no
// gaps.
::testing::AssertionResult IsPrefix(const std::vector<uint64_t>& numbers) {
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] != i) {
      return ::testing::AssertionFailure()
             << "message " << i << " received is number " << numbers[i] << " (of "
             << numbers.size() << " received)";
    }
  }
  return ::testing::AssertionSuccess();
}

// The N of the last "WORD N" line in `out` (0 if none).
uint64_t LastCount(const std::string& out, const std::string& word) {
  uint64_t last = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::ConsumePrefix(&line, word + " ")) (void)absl::SimpleAtoi(line, &last);
  }
  return last;
}


// ------------------------------------------------------- shared checks

// The service still serves other applications: two new ones associate
// through it and exchange a message.
void ExpectServiceHealthy(const SctpgwServer& server) {
  App a(server);
  App b(server);
  Pair pair = Connect(a, b);
  ASSERT_NE(pair.server_assoc, 0u) << "a new application could not associate";
  grpc::Status status = b.Send(pair.client_assoc, {Message(1, 3, "still serving")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::InboundMessage> got = a.ReceiveN(pair.server_assoc, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "still serving");
  EXPECT_TRUE(b.Shutdown(pair.client_assoc, v1::SHUTDOWN_MODE_GRACEFUL).ok());
}

// After a client was killed at `killed`: no call waits in sctpgw any more
// (the one it was in was cancelled); its session ends with its lease and its
// association is shut down gracefully, which the independent `peer` (told
// to read to the end) sees as "eof" not before the lease and well within a
// bound; the service is back to `baseline`; the old session id is gone.
// Returns the peer's output.
std::string ExpectCleanedUp(const SctpgwServer& server, const FaultClient& client, Peer& peer,
                            const Gauges& baseline, Clock::time_point killed) {
  Gauges last;
  EXPECT_TRUE(GaugesReach([](const Gauges& g) { return g.waiting_calls == 0; }, kCallTimeout,
                          &last))
      << "the dead client's call still waits: " << Describe(last);
  auto cancelled = Clock::now() - killed;

  std::optional<std::string> out = peer.End(kCallTimeout);
  auto ended = Clock::now() - killed;
  EXPECT_TRUE(out.has_value()) << "the peer never saw its association end";
  if (!out.has_value()) return "";
  EXPECT_NE(out->find("\neof\n"), std::string::npos)
      << "the association was not shut down gracefully: " << Tail(*out);
  EXPECT_GE(ended, kLease) << "the association ended before the lease could have run out";
  EXPECT_LT(ended, kLease + 10s);

  EXPECT_TRUE(GaugesReach(
      [&](const Gauges& g) {
        return g.sessions == baseline.sessions && g.endpoints == baseline.endpoints &&
               g.associations == baseline.associations;
      },
      kCallTimeout, &last))
      << "not back to the baseline (" << Describe(baseline) << "): " << Describe(last);
  App late(server, client.session);
  v1::GetAssociationResponse info;
  grpc::Status status = late.GetAssociation(client.id, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND");
  std::printf("  call cancelled %lld ms after SIGKILL, peer saw the end after %lld ms (lease %lld ms)\n",
              Ms(cancelled), Ms(ended), static_cast<long long>(kLease.count()));
  return *out;
}

// ======================================================= client faults

// A fresh sctpgw with metrics, and small socket buffers so that a peer that
// does not read fills an association quickly and drains it quickly.
class ClientFaultsLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = SctpgwServer::Start({"--metrics-listen", absl::StrCat("127.0.0.1:", kMetricsPort),
                                       "--socket-buffer-bytes", "65536", "--max-message-bytes",
                                       "16384"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    baseline_ = ReadGauges();
    ASSERT_EQ(baseline_.sessions, 0) << Describe(baseline_);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop(kCallTimeout).ok()) << "sctpgw did not stop cleanly";
    }
  }
  std::unique_ptr<SctpgwServer> server_;
  Gauges baseline_;
};

// (a) A client killed while its Receive waits on an idle association: the
// Receive is cancelled at once, and the session, its association (the peer
// sees SHUTDOWN) and its endpoint go when the lease runs out.
TEST_F(ClientFaultsLabTest, KilledInAWaitingReceive) {
  Peer peer;
  auto client = StartFaultClient(*server_, "receive", peer.port_string());
  ASSERT_TRUE(client.has_value());
  ASSERT_TRUE(peer.ReadToTheEnd());
  {
    // The Receive waits in sctpgw (seen through the session, reattached).
    App probe(*server_, client->session);
    auto deadline = Clock::now() + kTimeout;
    uint64_t waiting = 0;
    while (waiting == 0 && Clock::now() < deadline) {
      v1::GetAssociationResponse info;
      ASSERT_TRUE(probe.GetAssociation(client->id, &info).ok());
      waiting = info.association().waiting_receives();
    }
    ASSERT_EQ(waiting, 1u) << "the client's Receive never waited";
  }
  EXPECT_EQ(ReadGauges().waiting_calls, 1);

  auto killed = Kill(client->process);
  ExpectCleanedUp(*server_, *client, peer, baseline_, killed);
  ExpectServiceHealthy(*server_);
}

// (a) A client killed while its Send waits on a full association (the peer
// does not read): the Send is cancelled and its unsent messages withdrawn;
// once the peer reads, it gets a prefix of the numbered sequence holding at
// least every message acknowledged to the client, then SHUTDOWN.
TEST_F(ClientFaultsLabTest, KilledInASendWaitingOnAFullAssociation) {
  Peer peer;
  auto client = StartFaultClient(*server_, "send", peer.port_string());
  ASSERT_TRUE(client.has_value());
  Gauges last;
  ASSERT_TRUE(GaugesReach([](const Gauges& g) { return g.waiting_calls == 1; }, kCallTimeout,
                          &last))
      << "the client's Send never waited: " << Describe(last);

  auto killed = Kill(client->process);
  uint64_t acknowledged = LastCount(client->process.ReadStdout(0ms), "sent");
  ASSERT_TRUE(peer.ReadToTheEnd());
  std::vector<uint64_t> got =
      GotNumbers(ExpectCleanedUp(*server_, *client, peer, baseline_, killed), 's');
  EXPECT_TRUE(IsPrefix(got));
  EXPECT_GE(got.size(), acknowledged) << "a message acknowledged to the client was lost";
  EXPECT_GT(acknowledged, 0u);
  std::printf("  %llu messages acknowledged to the client, %zu received by the peer\n",
              static_cast<unsigned long long>(acknowledged), got.size());
  ExpectServiceHealthy(*server_);
}

// (b) A client killed while its SendStream floods an association (the peer
// reads all along): the stream is cancelled; the peer gets a prefix of the
// sequence holding every message acknowledged, in order, once, then
// SHUTDOWN.
TEST_F(ClientFaultsLabTest, KilledWhileSendStreamFloods) {
  Peer peer;
  ASSERT_TRUE(peer.ReadToTheEnd());
  auto client = StartFaultClient(*server_, "sendstream", peer.port_string());
  ASSERT_TRUE(client.has_value());
  // Acknowledgements come back: the flood is under way.
  ASSERT_TRUE(client->process.ReadStdoutUntil("acked ", kCallTimeout).ok())
      << client->process.ReadStdout(0ms);

  auto killed = Kill(client->process);
  uint64_t acknowledged = LastCount(client->process.ReadStdout(0ms), "acked");
  std::vector<uint64_t> got =
      GotNumbers(ExpectCleanedUp(*server_, *client, peer, baseline_, killed), 's');
  EXPECT_TRUE(IsPrefix(got));
  EXPECT_GE(got.size(), acknowledged) << "a message acknowledged to the client was lost";
  EXPECT_GT(acknowledged, 0u);
  std::printf("  %llu messages acknowledged to the client, %zu received by the peer\n",
              static_cast<unsigned long long>(acknowledged), got.size());
  ExpectServiceHealthy(*server_);
}

// (b) A client killed while its ReceiveStream delivers the peer's messages
// (all of them queued in sctpgw first, so that the peer is done sending and
// then waits for the end): what the client got is a prefix of what the peer
// sent, in order, once. The client opens no event stream: once the stream
// is open it is all that keeps the session alive, so the session ending
// with its lease shows the killed stream let go of it.
TEST_F(ClientFaultsLabTest, KilledWhileReceiveStreamDelivers) {
  Peer peer;
  auto client = StartFaultClient(*server_, "receivestream", peer.port_string());
  ASSERT_TRUE(client.has_value());
  constexpr int kMessages = 3000;
  std::string lines;
  for (int n = 0; n < kMessages; ++n) absl::StrAppend(&lines, "0 5 r", n, "\n");
  ASSERT_TRUE(peer.Tell(lines));
  ASSERT_TRUE(peer.ReadToTheEnd());
  {
    // Until the stream opens, the test's calls in the session keep it alive.
    App probe(*server_, client->session);
    auto deadline = Clock::now() + kTimeout;
    uint64_t queued = 0;
    while (queued < kMessages && Clock::now() < deadline) {
      v1::GetAssociationResponse info;
      ASSERT_TRUE(probe.GetAssociation(client->id, &info).ok());
      queued = info.association().queued_messages();
    }
    ASSERT_EQ(queued, uint64_t{kMessages}) << "the peer's messages did not all arrive";
    ASSERT_TRUE(client->process.WriteStdin("go\n").ok());  // Opens the ReceiveStream.
  }
  ASSERT_TRUE(client->process.ReadStdoutUntil("got r500\n", kTimeout).ok())
      << Tail(client->process.ReadStdout(0ms));

  auto killed = Kill(client->process);
  std::vector<uint64_t> got = GotNumbers(client->process.ReadStdout(0ms), 'r');
  EXPECT_TRUE(IsPrefix(got));
  EXPECT_GT(got.size(), 500u);
  ExpectCleanedUp(*server_, *client, peer, baseline_, killed);
  std::printf("  the peer sent %d messages, the killed client had got %zu\n", kMessages,
              got.size());
  ExpectServiceHealthy(*server_);
}

// (c) A client killed while its Associate waits on a peer that never answers
// (INIT into a silent next hop): the half-open association is aborted at
// once, in sctpgw (the session, reattached, lists none) and in the kernel
// (/proc/net/sctp/assocs); the session and its endpoint go with the lease.
TEST_F(ClientFaultsLabTest, KilledWhileAssociatingIntoSilence) {
  ASSERT_TRUE(testing::RunCommand(
                  "ip link add sink4 type veth peer name sink5 && ip link set sink4 up && "
                  "ip link set sink5 up && ip addr add 198.51.100.21/24 dev sink4 && "
                  "ip neigh add 198.51.100.22 lladdr 02:00:00:00:00:22 dev sink4 && "
                  "ip route add 203.0.113.0/24 via 198.51.100.22")
                  .ok());
  size_t kernel_endpoints = KernelEndpoints();
  auto client = StartFaultClient(*server_, "associate", "203.0.113.9:3868");
  ASSERT_TRUE(client.has_value());
  {
    App probe(*server_, client->session);
    auto deadline = Clock::now() + kTimeout;
    bool connecting = false;
    while (!connecting && Clock::now() < deadline) {
      for (const v1::Association& association : probe.Associations()) {
        connecting = connecting || association.state() == v1::ASSOCIATION_STATE_CONNECTING;
      }
    }
    ASSERT_TRUE(connecting) << "the client's Associate never started";
    EXPECT_EQ(KernelAssociationsWith("203.0.113.9"), 1u);

    auto killed = Kill(client->process);
    deadline = Clock::now() + kTimeout;
    while (!probe.Associations().empty() && Clock::now() < deadline) {
    }
    EXPECT_TRUE(probe.Associations().empty()) << "a half-open association was left behind";
    EXPECT_EQ(KernelAssociationsWith("203.0.113.9"), 0u)
        << "the kernel still holds the half-open association";
    std::printf("  half-open association gone %lld ms after SIGKILL\n",
                Ms(Clock::now() - killed));
  }
  // No more calls in the session: the lease runs out.
  Gauges last;
  EXPECT_TRUE(GaugesReach(
      [&](const Gauges& g) {
        return g.sessions == baseline_.sessions && g.endpoints == baseline_.endpoints &&
               g.associations == baseline_.associations && g.waiting_calls == 0;
      },
      kCallTimeout, &last))
      << "not back to the baseline (" << Describe(baseline_) << "): " << Describe(last);
  EXPECT_LE(KernelEndpoints(), kernel_endpoints) << "the dead client's endpoint socket is open";
  ExpectServiceHealthy(*server_);
  ASSERT_TRUE(testing::RunCommand("ip link del sink4").ok());
}

// (a) A client killed after it stopped reading while its peer kept sending
// to it: sctpgw's queue for it is full and its socket no longer read. The
// session's end must still shut the association down gracefully within the
// lease, not stall until --session-shutdown-timeout-ms (5 s) and ABORT;
// what the client's waiting Send had handed over arrives as a prefix.
TEST(ClientFaultsFullQueueLabTest, KilledWithItsReceiveQueueFull) {
  auto server = SctpgwServer::Start({"--metrics-listen", absl::StrCat("127.0.0.1:", kMetricsPort),
                                     "--association-queue-bytes", "4096", "--socket-buffer-bytes",
                                     "4096", "--max-message-bytes", "2048"});
  ASSERT_TRUE(server.ok()) << server.status();
  Peer peer;
  // The client floods the peer (which does not read yet) and reads nothing.
  auto client = StartFaultClient(**server, "send", peer.port_string());
  ASSERT_TRUE(client.has_value());
  std::string lines;
  for (int n = 0; n < 80; ++n) absl::StrAppend(&lines, "0 5 p", n, std::string(1000, 'x'), "\n");
  ASSERT_TRUE(peer.Tell(lines));
  {
    App probe(**server, client->session);
    auto deadline = Clock::now() + kTimeout;
    uint64_t queued = 0;
    while (queued < 4096 && Clock::now() < deadline) {
      v1::GetAssociationResponse info;
      ASSERT_TRUE(probe.GetAssociation(client->id, &info).ok());
      queued = info.association().queued_bytes();
    }
    ASSERT_GE(queued, 4096u) << "sctpgw's queue for the client did not fill";
  }
  Gauges last;
  ASSERT_TRUE(GaugesReach([](const Gauges& g) { return g.waiting_calls == 1; }, kCallTimeout,
                          &last))
      << "the client's Send never waited: " << Describe(last);

  auto killed = Kill(client->process);
  uint64_t acknowledged = LastCount(client->process.ReadStdout(0ms), "sent");
  ASSERT_TRUE(peer.ReadToTheEnd());
  std::optional<std::string> out = peer.End(kCallTimeout);
  auto ended = Clock::now() - killed;
  ASSERT_TRUE(out.has_value()) << "the peer never saw its association end";
  EXPECT_NE(out->find("\neof\n"), std::string::npos)
      << "the association was not shut down gracefully: " << Tail(*out);
  EXPECT_LT(ended, kLease + 5s) << "the shutdown waited for the session shutdown timeout";
  std::vector<uint64_t> got = GotNumbers(*out, 's');
  EXPECT_TRUE(IsPrefix(got));
  EXPECT_GE(got.size(), acknowledged) << "a message acknowledged to the client was lost";
  std::printf("  peer saw the end %lld ms after SIGKILL; %llu messages acknowledged to the "
              "client, %zu received by the peer\n",
              Ms(ended), static_cast<unsigned long long>(acknowledged), got.size());
  EXPECT_TRUE((*server)->Stop(kCallTimeout).ok());
}

// ======================================================= service faults

// One application flooding its own peer (a Python listener reading all
// along) with the numbered sequence, on a thread: through one SendStream,
// or through Send calls one after the other. A Send call carries
// kPerCall messages, more than the kernel's buffers hold, so that it
// usually waits on the kernel.
constexpr int kPerCall = 512;

class Flood {
 public:
  Flood(const SctpgwServer& server, bool stream) : app_(server), stream_(stream) {
    EXPECT_TRUE(peer_.ReadToTheEnd());
    v1::Endpoint endpoint = app_.Open("127.0.0.1");
    v1::Association association;
    grpc::Status status =
        app_.Associate(endpoint.endpoint_id(), "127.0.0.1", peer_.port(), &association);
    EXPECT_TRUE(status.ok()) << status.error_message();
    association_ = association.association_id();
    thread_ = std::thread([this] { stream_ ? RunStream() : RunCalls(); });
  }
  ~Flood() {
    if (thread_.joinable()) thread_.join();
  }

  // Waits until `messages` have been acknowledged to the client.
  bool WaitForAcknowledged(uint64_t messages) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, kTimeout, [&] { return acknowledged_ >= messages || ended_; }) &&
           acknowledged_ >= messages;
  }
  // Starts no more Send calls (a SendStream goes on): the call in flight
  // is the last.
  void StopStarting() { stop_starting_ = true; }
  // Waits for the flood's end: how its last call ended.
  grpc::Status Join() {
    thread_.join();
    return end_;
  }
  uint64_t acknowledged() {
    std::lock_guard<std::mutex> lock(mu_);
    return acknowledged_;
  }
  Peer& peer() { return peer_; }
  const char* kind() const { return stream_ ? "SendStream" : "Send"; }

 private:
  void Acknowledge(uint64_t messages) {
    std::lock_guard<std::mutex> lock(mu_);
    acknowledged_ = std::max(acknowledged_, messages);
    changed_.notify_all();
  }
  void End(const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    end_ = status;
    ended_ = true;
    changed_.notify_all();
  }

  void RunStream() {
    grpc::ClientContext context;
    SetTimeout(&context, 4 * kCallTimeout);
    auto stream = app_.stub().SendStream(&context);
    std::thread acks([&] {
      v1::SendStreamResponse ack;
      while (stream->Read(&ack)) Acknowledge(ack.accepted_messages());
    });
    for (uint64_t first = 0; stream->Write(Numbered(app_.session(), association_, first));
         first += kPerRequest) {
    }
    acks.join();
    grpc::Status status = stream->Finish();
    // The error says how many requests were done (every one of kPerRequest).
    uint64_t completed = 0;
    if (absl::SimpleAtoi(ErrorMetadata(status)["completed_requests"], &completed)) {
      Acknowledge(completed * kPerRequest);
    }
    End(status);
  }

  void RunCalls() {
    for (uint64_t first = 0;; first += kPerCall) {
      if (stop_starting_) {
        End(grpc::Status::OK);
        return;
      }
      grpc::ClientContext context;
      SetTimeout(&context, kCallTimeout);
      v1::SendResponse response;
      grpc::Status status = app_.stub().Send(
          &context, Numbered(app_.session(), association_, first, kPerCall), &response);
      if (!status.ok()) {
        uint64_t accepted = 0;
        if (absl::SimpleAtoi(ErrorMetadata(status)["accepted_messages"], &accepted)) {
          Acknowledge(first + accepted);  // Told accepted, though the call failed.
        }
        End(status);
        return;
      }
      Acknowledge(first + kPerCall);
    }
  }

  Peer peer_;
  App app_;
  const bool stream_;
  uint64_t association_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_starting_{false};
  std::mutex mu_;
  std::condition_variable changed_;
  uint64_t acknowledged_ = 0;
  bool ended_ = false;
  grpc::Status end_;
};

// (d) SIGTERM while three applications flood their peers (two SendStreams,
// one Send loop): sctpgw exits 0 without waiting for the drain limit; the
// streams end UNAVAILABLE / SHUTTING_DOWN; the Send call in flight at
// SIGTERM ends OK or UNAVAILABLE / SHUTTING_DOWN (the loop starts none
// after it: calls made during the drain are CallsWhileDrainingGetShuttingDown's
// business); every peer gets a prefix of its sequence holding every message
// acknowledged, then SHUTDOWN (sctpgw closes its sockets gracefully and the
// kernel delivers what it had accepted).
TEST(ServiceFaultsLabTest, SigtermUnderLoadLosesNothingAcknowledged) {
  // Declared first, destroyed last: should the test stop early, sctpgw is
  // killed first and the floods end.
  std::vector<std::unique_ptr<Flood>> floods;
  auto server = SctpgwServer::Start({"--socket-buffer-bytes", "65536", "--max-message-bytes",
                                     "16384"});
  ASSERT_TRUE(server.ok()) << server.status();
  for (bool stream : {true, true, false}) floods.push_back(std::make_unique<Flood>(**server, stream));
  // Every flood under way: at least 4 requests acknowledged each.
  for (auto& flood : floods) {
    ASSERT_TRUE(flood->WaitForAcknowledged(4 * kPerRequest)) << flood->kind() << " made no progress";
  }

  for (auto& flood : floods) flood->StopStarting();
  auto start = Clock::now();
  absl::Status stopped = (*server)->Stop(kCallTimeout);
  auto stopping = Clock::now() - start;
  EXPECT_TRUE(stopped.ok()) << stopped;
  EXPECT_LT(stopping, 5s) << "stopping waited for the drain limit";
  std::printf("  sctpgw exited %lld ms after SIGTERM\n", Ms(stopping));

  for (auto& flood : floods) {
    grpc::Status end = flood->Join();
    std::string reason = ErrorReason(end);
    if (!end.ok() || std::string(flood->kind()) == "SendStream") {
      EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE)
          << flood->kind() << ": " << end.error_code() << " " << end.error_message();
      EXPECT_EQ(reason, "SHUTTING_DOWN") << flood->kind() << ": " << end.error_message();
    }
    std::optional<std::string> out = flood->peer().End(kTimeout);
    ASSERT_TRUE(out.has_value()) << "a peer never saw its association end";
    EXPECT_NE(out->find("\neof\n"), std::string::npos)
        << "the association was not shut down gracefully: " << Tail(*out);
    std::vector<uint64_t> got = GotNumbers(*out, 's');
    EXPECT_TRUE(IsPrefix(got)) << flood->kind();
    EXPECT_GE(got.size(), flood->acknowledged())
        << flood->kind() << ": a message acknowledged to the client was lost";
    std::printf("  %s: ended %s, %llu messages acknowledged, %zu received by the peer\n",
                flood->kind(), end.ok() ? "OK" : reason.empty() ? "(no reason)" : reason.c_str(),
                static_cast<unsigned long long>(flood->acknowledged()), got.size());
  }
}

// While sctpgw drains after SIGTERM (it has closed its core and waits up to
// --drain-seconds for running calls), calls that reach it get UNAVAILABLE /
// SHUTTING_DOWN, the documented "sctpgw is stopping", not an error that
// tells the application its session is gone. A ReceiveStream whose client
// never reads holds the drain open: its first response (512 KiB) cannot be
// written past the client's 64 KiB HTTP/2 window.
TEST(ServiceFaultsLabTest, CallsWhileDrainingGetShuttingDown) {
  auto server = SctpgwServer::Start({"--drain-seconds", "3"});
  ASSERT_TRUE(server.ok()) << server.status();
  App a(**server);
  App b(**server);
  App c(**server);
  Pair pair = Connect(a, b);
  for (int i = 0; i < 2; ++i) {
    std::vector<v1::OutboundMessage> batch(16, Message(0, 0, std::string(16384, 'x')));
    ASSERT_TRUE(b.Send(pair.client_assoc, batch).ok());
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetMaxReceiveMessageSize(64 << 20);
  auto slow = v1::GatewayService::NewStub(
      grpc::CreateCustomChannel((*server)->target(), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext slow_context;
  v1::ReceiveRequest request;
  request.set_session_id(a.session());
  request.set_association_id(pair.server_assoc);
  auto stream = slow->ReceiveStream(&slow_context, request);
  // The messages have been taken for the response being written.
  auto deadline = Clock::now() + kTimeout;
  uint64_t queued = 1;
  while (queued != 0 && Clock::now() < deadline) {
    v1::GetAssociationResponse info;
    ASSERT_TRUE(a.GetAssociation(pair.server_assoc, &info).ok());
    queued = info.association().queued_messages();
  }
  ASSERT_EQ(queued, 0u) << "sctpgw did not take the messages for the stream";

  absl::Status stopped;
  auto start = Clock::now();
  std::thread stopper([&] { stopped = (*server)->Stop(kCallTimeout); });
  // C's calls, one after the other, until one fails: it reached the drain.
  grpc::Status during;
  int calls = 0;
  do {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::ListEndpointsRequest list;
    list.set_session_id(c.session());
    v1::ListEndpointsResponse listed;
    during = c.stub().ListEndpoints(&context, list, &listed);
    ++calls;
  } while (during.ok() && Clock::now() < deadline);
  grpc::Status send = b.Send(pair.client_assoc, {Message(0, 0, "during the drain")});
  auto failed_after = Clock::now() - start;
  stopper.join();
  auto stopping = Clock::now() - start;
  slow_context.TryCancel();
  v1::ReceiveResponse response;
  while (stream->Read(&response)) {
  }
  (void)stream->Finish();
  std::printf("  first failing call %lld ms after SIGTERM (after %d calls), sctpgw exited after "
              "%lld ms\n",
              Ms(failed_after), calls, Ms(stopping));
  EXPECT_TRUE(stopped.ok()) << stopped;
  ASSERT_GE(stopping, 2500ms) << "the drain was not held open: nothing was tested";
  EXPECT_EQ(during.error_code(), grpc::StatusCode::UNAVAILABLE) << during.error_message();
  EXPECT_EQ(ErrorReason(during), "SHUTTING_DOWN") << during.error_message();
  EXPECT_EQ(send.error_code(), grpc::StatusCode::UNAVAILABLE) << send.error_message();
  EXPECT_EQ(ErrorReason(send), "SHUTTING_DOWN") << send.error_message();
}

// ---------------------------------------------------------------- restart

// Calls for the restart case, on a channel of the test's own that reconnects
// quickly (the default backoff reaches seconds).
struct Client {
  explicit Client(const std::string& target) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also takes it as the time
    // a connection attempt may take to its SETTINGS frame, and under a
    // loaded emulator 100 ms is not enough (the first call then fails with
    // "timed out before receiving SETTINGS frame").
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    stub = v1::GatewayService::NewStub(channel);
  }

  grpc::Status OpenSession() {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::OpenSessionResponse response;
    grpc::Status status = stub->OpenSession(&context, v1::OpenSessionRequest(), &response);
    session = response.session_id();
    return status;
  }
  // An endpoint and an association to 127.0.0.1:port.
  grpc::Status Associate(uint32_t port) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::OpenEndpointRequest request;
    request.set_session_id(session);
    request.add_local_addresses("127.0.0.1");
    v1::OpenEndpointResponse endpoint;
    grpc::Status status = stub->OpenEndpoint(&context, request, &endpoint);
    if (!status.ok()) return status;
    grpc::ClientContext associate_context;
    SetTimeout(&associate_context, kCallTimeout);
    v1::AssociateRequest associate;
    associate.set_session_id(session);
    associate.set_endpoint_id(endpoint.endpoint().endpoint_id());
    associate.add_peer_addresses("127.0.0.1");
    associate.set_peer_port(port);
    v1::AssociateResponse response;
    status = stub->Associate(&associate_context, associate, &response);
    association = response.association().association_id();
    return status;
  }
  grpc::Status Send(const std::string& text) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::SendRequest request;
    request.set_session_id(session);
    request.set_association_id(association);
    *request.add_messages() = Message(2, 9, text);
    v1::SendResponse response;
    return stub->Send(&context, request, &response);
  }
  grpc::Status List(std::chrono::milliseconds timeout = kCallTimeout) {
    grpc::ClientContext context;
    SetTimeout(&context, timeout);
    v1::ListAssociationsRequest request;
    request.set_session_id(session);
    v1::ListAssociationsResponse response;
    return stub->ListAssociations(&context, request, &response);
  }

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::GatewayService::Stub> stub;
  std::string session;
  uint64_t association = 0;
};

// (e) sctpgw killed with SIGKILL and started again on the same unix socket
// path: the stale socket file does not stop the restart (sctpgw replaces
// it), while sctpgw is down the client's calls fail UNAVAILABLE, afterwards
// its old session id is SESSION_NOT_FOUND and it recovers with a new
// session on the same channel. A second sctpgw on the live path is refused
// and leaves the first serving; a clean stop removes the socket file.
TEST(ServiceFaultsLabTest, RestartOnTheSameSocketAfterSigkill) {
  const std::string path = absl::StrCat("/tmp/sctpgw-faults-", getpid(), ".sock");
  unlink(path.c_str());
  auto first = SctpgwServer::Start({}, {}, path);
  ASSERT_TRUE(first.ok()) << first.status();
  Client client((*first)->target());
  {
    grpc::Status opened = client.OpenSession();
    ASSERT_TRUE(opened.ok()) << opened.error_code() << " " << opened.error_message();
  }
  auto [before, before_port] = ListeningPeer();
  grpc::Status status = client.Associate(before_port);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(before.WriteStdin("recv 1\n").ok());
  ASSERT_TRUE(client.Send("before").ok());
  ASSERT_TRUE(before.ReadStdoutUntil("got 2 9 before\ndone\n", kTimeout).ok());
  ASSERT_TRUE(before.WriteStdin(kReadToTheEnd).ok());

  struct stat stale {};
  first->reset();  // SIGKILL, and reaped.
  ASSERT_EQ(lstat(path.c_str(), &stale), 0) << "no stale socket file: nothing to test";
  ASSERT_TRUE(S_ISSOCK(stale.st_mode));
  // The kernel closes the dead service's sockets; with nothing unread on
  // them, that is a graceful SHUTDOWN.
  ASSERT_TRUE(before.Wait(kTimeout).ok()) << "the peer never saw the association end";
  EXPECT_NE(before.ReadStdout(0ms).find("\neof\n"), std::string::npos) << before.ReadStdout(0ms);

  // Down: UNAVAILABLE (the call fails fast, it does not wait for a server).
  auto start = Clock::now();
  status = client.List();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_LT(Clock::now() - start, 10s);

  auto second = SctpgwServer::Start({}, {}, path);
  ASSERT_TRUE(second.ok()) << "sctpgw did not restart over the stale socket: " << second.status();
  struct stat fresh {};
  ASSERT_EQ(lstat(path.c_str(), &fresh), 0);
  EXPECT_TRUE(S_ISSOCK(fresh.st_mode));
  EXPECT_NE(fresh.st_ino, stale.st_ino) << "the stale socket file was not replaced";
  EXPECT_EQ(fresh.st_mode & 0777, 0660u);

  // The client's channel reconnects by itself; its old session is gone.
  start = Clock::now();
  ASSERT_TRUE(client.channel->WaitForConnected(std::chrono::system_clock::now() + kTimeout))
      << "the client did not reconnect";
  std::printf("  client reconnected %lld ms after the restart\n", Ms(Clock::now() - start));
  status = client.List();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND");
  status = client.Send("into the void");
  EXPECT_EQ(ErrorReason(status), "SESSION_NOT_FOUND") << status.error_message();

  // It recovers: a new session, endpoint and association, and messages flow.
  {
    grpc::Status opened = client.OpenSession();
    ASSERT_TRUE(opened.ok()) << opened.error_code() << " " << opened.error_message();
  }
  auto [after, after_port] = ListeningPeer();
  status = client.Associate(after_port);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(after.WriteStdin("recv 1\n").ok());
  ASSERT_TRUE(client.Send("after the restart").ok());
  EXPECT_TRUE(after.ReadStdoutUntil("got 2 9 after the restart\ndone\n", kTimeout).ok())
      << after.ReadStdout(0ms);

  // A second sctpgw on the live path is refused; the first keeps serving.
  auto intruder = Subprocess::Start({SCTPGW_BINARY, "--listen", "unix:" + path, "--log-level",
                                     "off"});
  ASSERT_TRUE(intruder.ok()) << intruder.status();
  auto intruder_exit = intruder->Wait(kTimeout);
  ASSERT_TRUE(intruder_exit.ok()) << "a second sctpgw started on a live socket";
  EXPECT_FALSE(WIFEXITED(*intruder_exit) && WEXITSTATUS(*intruder_exit) == 0);
  EXPECT_TRUE(client.List().ok()) << "the live sctpgw stopped serving";

  ASSERT_TRUE(after.WriteStdin(kReadToTheEnd).ok());
  EXPECT_TRUE((*second)->Stop(kCallTimeout).ok());
  struct stat gone {};
  EXPECT_NE(lstat(path.c_str(), &gone), 0) << "a clean stop left the socket file behind";
  ASSERT_TRUE(after.Wait(kTimeout).ok());
  EXPECT_NE(after.ReadStdout(0ms).find("\neof\n"), std::string::npos) << after.ReadStdout(0ms);
}

}  // namespace
}  // namespace sctpgw
