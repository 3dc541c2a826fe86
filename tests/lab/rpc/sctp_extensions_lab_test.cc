// The SCTP extensions end to end, against a peer written with Python's
// kernel socket module (tests/lab/tools/sctp_extensions_peer.py), under
// real kernel SCTP: stream reconfiguration (RFC 6525) with both sides'
// views, stream schedulers and message interleaving (RFC 8260), and
// SCTP-AUTH (RFC 4895) keys, including a peer with the wrong key that
// cannot inject DATA. Each with its bad inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/process.h"
#include "tests/lab/support/sctpgw_server.h"

namespace sctpgw {
namespace {

using namespace std::chrono_literals;
using testing::App;
using testing::ErrorMetadata;
using testing::ErrorReason;
using testing::EventWatch;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Message;
using testing::SctpgwServer;
using testing::SetTimeout;
using testing::Subprocess;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

std::string ExtensionsPeerScript() {
  return std::string(SCTPGW_SOURCE_DIR) + "/tests/lab/tools/sctp_extensions_peer.py";
}

void SetSysctl(const std::string& name, int value) {
  std::ofstream(absl::StrCat("/proc/sys/net/sctp/", name)) << value << "\n";
}

// The Python peer, listening on 127.0.0.1 with `options`.
struct Peer {
  static Peer Listen(const std::vector<std::string>& options) {
    std::vector<std::string> argv = {"/usr/bin/python3", ExtensionsPeerScript(), "listen",
                                     "127.0.0.1"};
    argv.insert(argv.end(), options.begin(), options.end());
    auto process = Subprocess::Start(argv, /*keep_stdin=*/true);
    EXPECT_TRUE(process.ok()) << process.status();
    Peer peer{std::make_unique<Subprocess>(std::move(*process))};
    auto banner = peer.process->ReadStdoutUntil("\n", kCallTimeout);
    EXPECT_TRUE(banner.ok()) << banner.status();
    if (banner.ok()) peer.port = static_cast<uint32_t>(std::stoul(banner->substr(5)));
    return peer;
  }
  // Writes a command line to the peer.
  void Do(const std::string& line) { EXPECT_TRUE(process->WriteStdin(line + "\n").ok()); }
  bool Saw(const std::string& text, std::chrono::milliseconds timeout = kCallTimeout) {
    return process->ReadStdoutUntil(text, timeout).ok();
  }
  std::string Output() { return process->ReadStdout(0ms); }

  std::unique_ptr<Subprocess> process;
  uint32_t port = 0;
};

class SctpExtensionsLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSysctl("intl_enable", 0);
    SetSysctl("auth_enable", 0);
    SetSysctl("reconf_enable", 0);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop(kCallTimeout).ok());
    }
  }
  void StartServer(const std::vector<std::string>& args = {}) {
    auto server = SctpgwServer::Start(args);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    app_ = std::make_unique<App>(*server_);
  }
  // An endpoint opened with `request` (addresses and streams filled in)
  // and its association to `peer`; fails the test on error.
  uint64_t Associate(v1::OpenEndpointRequest request, const Peer& peer) {
    request.add_local_addresses("127.0.0.1");
    request.mutable_init()->set_outbound_streams(10);
    request.mutable_init()->set_max_inbound_streams(10);
    v1::Endpoint endpoint;
    grpc::Status status = app_->OpenEndpoint(request, &endpoint);
    EXPECT_TRUE(status.ok()) << status.error_message();
    endpoint_ = endpoint;
    v1::Association association;
    status = app_->Associate(endpoint.endpoint_id(), "127.0.0.1", peer.port, &association);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return association.association_id();
  }
  template <typename Request, typename Response, typename Call>
  grpc::Status Unary(Call call, Request request, Response* response) {
    request.set_session_id(app_->session());
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    return (app_->stub().*call)(&context, request, response);
  }
  grpc::Status ResetStreams(uint64_t association, v1::StreamResetDirection direction,
                            const std::vector<uint32_t>& streams) {
    v1::ResetStreamsRequest request;
    request.set_association_id(association);
    request.set_direction(direction);
    for (uint32_t stream : streams) request.add_streams(stream);
    v1::ResetStreamsResponse response;
    return Unary(&v1::GatewayService::Stub::ResetStreams, request, &response);
  }

  std::unique_ptr<SctpgwServer> server_;
  std::unique_ptr<App> app_;
  v1::Endpoint endpoint_;
};

// ---------------------------------------------------------------- RFC 6525

TEST_F(SctpExtensionsLabTest, StreamsAreResetAddedAndTheAssociationResetOnBothSides) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Peer peer = Peer::Listen({"--reconfig"});
  v1::OpenEndpointRequest request;
  request.mutable_stream_reconfiguration()->set_reset_streams(true);
  request.mutable_stream_reconfiguration()->set_reset_association(true);
  request.mutable_stream_reconfiguration()->set_add_streams(true);
  const uint64_t association = Associate(request, peer);
  ASSERT_NE(association, 0u);
  ASSERT_TRUE(peer.Saw("up\n"));
  EXPECT_TRUE(endpoint_.reset_streams() && endpoint_.reset_association() && endpoint_.add_streams());
  EventWatch events(app_->stub(), app_->WatchAll());

  // What the association says it allows.
  v1::GetAssociationResponse described;
  ASSERT_TRUE(app_->GetAssociation(association, &described).ok());
  EXPECT_TRUE(described.streams().reconfiguration().reset_streams());
  EXPECT_TRUE(described.streams().reconfiguration().add_streams());

  // sctpgw resets two of its outgoing streams: it hears OUTGOING_SSN (2)
  // for them, and the peer INCOMING_SSN (1).
  grpc::Status status = ResetStreams(association, v1::STREAM_RESET_DIRECTION_OUTGOING, {1, 2});
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto reset = events.WaitFor(
      [&](const v1::Event& e) { return e.association_id() == association && e.has_stream_reset(); },
      kCallTimeout);
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_EQ(reset->stream_reset().flags() & 0x0e, 0x02u) << "not OUTGOING_SSN alone (denied or failed?)";
  EXPECT_EQ(std::vector<uint32_t>(reset->stream_reset().streams().begin(),
                                  reset->stream_reset().streams().end()),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_TRUE(peer.Saw("note stream_reset 1 1,2\n")) << peer.Output();

  // The peer resets all of its outgoing streams: sctpgw hears INCOMING_SSN.
  peer.Do("reset out");
  EXPECT_TRUE(peer.Saw("ok\n")) << peer.Output();
  auto incoming = events.WaitFor(
      [&](const v1::Event& e) {
        return e.association_id() == association && e.has_stream_reset() &&
               (e.stream_reset().flags() & 0x01) != 0;
      },
      kCallTimeout);
  ASSERT_TRUE(incoming.ok()) << incoming.status();

  // Messages go on after the resets, both ways.
  ASSERT_TRUE(app_->Send(association, {Message(2, 9, "after the reset")}).ok());
  EXPECT_TRUE(peer.Saw("got 2 9 after the reset\n")) << peer.Output();
  peer.Do("send 3 4 from the peer");
  auto got = app_->ReceiveN(association, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "from the peer");
  EXPECT_EQ(got[0].stream(), 3u);

  // Five more outbound streams: a STREAM_CHANGE, the association's count
  // follows, the peer sees 15 inbound, and stream 14 carries a message.
  v1::AddStreamsRequest add;
  add.set_association_id(association);
  add.set_outbound(5);
  v1::AddStreamsResponse added;
  status = Unary(&v1::GatewayService::Stub::AddStreams, add, &added);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto change = events.WaitFor(
      [&](const v1::Event& e) { return e.association_id() == association && e.has_stream_change(); },
      kCallTimeout);
  ASSERT_TRUE(change.ok()) << change.status();
  // The event says what the kernel said: Linux gives the streams added.
  EXPECT_EQ(change->stream_change().outbound_streams(), 5u);
  EXPECT_EQ(change->stream_change().flags() & 0x0c, 0u) << "denied or failed";
  ASSERT_TRUE(app_->GetAssociation(association, &described).ok());
  EXPECT_EQ(described.association().outbound_streams(), 15u);
  peer.Do("streams");
  EXPECT_TRUE(peer.Saw("streams 15 10\n")) << peer.Output();
  ASSERT_TRUE(app_->Send(association, {Message(14, 1, "on a new stream")}).ok());
  EXPECT_TRUE(peer.Saw("got 14 1 on a new stream\n")) << peer.Output();

  // The whole association's TSNs: both sides hear ASSOC_RESET. The kernel
  // takes it only once everything sent is acknowledged (until then
  // RECONFIGURATION_PENDING): the kernel's count of unacknowledged chunks
  // says when.
  for (auto until = std::chrono::steady_clock::now() + kTimeout;
       std::chrono::steady_clock::now() < until;) {
    ASSERT_TRUE(app_->GetAssociation(association, &described).ok());
    if (described.status().unacked_chunks() == 0) break;
  }
  EXPECT_EQ(described.status().unacked_chunks(), 0u);
  v1::ResetAssociationRequest whole;
  whole.set_association_id(association);
  v1::ResetAssociationResponse whole_done;
  status = Unary(&v1::GatewayService::Stub::ResetAssociation, whole, &whole_done);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto assoc_reset = events.WaitFor(
      [&](const v1::Event& e) {
        return e.association_id() == association && e.has_association_reset();
      },
      kCallTimeout);
  ASSERT_TRUE(assoc_reset.ok()) << assoc_reset.status();
  EXPECT_EQ(assoc_reset->association_reset().flags() & 0x0c, 0u) << "denied or failed";
  EXPECT_TRUE(peer.Saw("note assoc_reset")) << peer.Output();
  ASSERT_TRUE(app_->Send(association, {Message(0, 2, "after the association reset")}).ok());
  EXPECT_TRUE(peer.Saw("got 0 2 after the association reset\n")) << peer.Output();

  // Bad input: a stream beyond the association's, no direction, nothing to
  // add.
  status = ResetStreams(association, v1::STREAM_RESET_DIRECTION_OUTGOING, {15});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "STREAM_OUT_OF_RANGE");
  status = ResetStreams(association, v1::STREAM_RESET_DIRECTION_UNSPECIFIED, {});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorMetadata(status)["field"], "direction");
  add.set_outbound(0);
  status = Unary(&v1::GatewayService::Stub::AddStreams, add, &added);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Reconfiguration the endpoint does not allow, or the peer does not offer.
TEST_F(SctpExtensionsLabTest, ReconfigurationRefusedWithoutTheEndpointsOrThePeersSupport) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Peer plain = Peer::Listen({});
  v1::OpenEndpointRequest request;
  request.mutable_stream_reconfiguration()->set_reset_streams(true);
  const uint64_t association = Associate(request, plain);
  ASSERT_NE(association, 0u);
  grpc::Status status = ResetStreams(association, v1::STREAM_RESET_DIRECTION_OUTGOING, {});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "STREAM_RECONFIGURATION_UNAVAILABLE") << status.error_message();
  // Adding streams was not allowed on this endpoint.
  v1::AddStreamsRequest add;
  add.set_association_id(association);
  add.set_outbound(1);
  v1::AddStreamsResponse added;
  status = Unary(&v1::GatewayService::Stub::AddStreams, add, &added);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "STREAM_RECONFIGURATION_UNAVAILABLE");
}

// ---------------------------------------------------------------- RFC 8260

TEST_F(SctpExtensionsLabTest, StreamSchedulersAndTheirValuesAreSetAndReadBack) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Peer peer = Peer::Listen({});
  v1::OpenEndpointRequest request;
  request.set_stream_scheduler(v1::STREAM_SCHEDULER_ROUND_ROBIN);
  const uint64_t association = Associate(request, peer);
  ASSERT_NE(association, 0u);
  EXPECT_EQ(endpoint_.stream_scheduler(), v1::STREAM_SCHEDULER_ROUND_ROBIN);
  v1::GetAssociationResponse described;
  ASSERT_TRUE(app_->GetAssociation(association, &described).ok());
  EXPECT_EQ(described.streams().scheduler(), v1::STREAM_SCHEDULER_ROUND_ROBIN);

  v1::ConfigureStreamsRequest configure;
  configure.set_association_id(association);
  configure.set_scheduler(v1::STREAM_SCHEDULER_PRIORITY);
  for (auto [stream, value] : {std::pair{1u, 5u}, {2u, 1u}}) {
    v1::StreamValue* v = configure.add_values();
    v->set_stream(stream);
    v->set_value(value);
  }
  v1::ConfigureStreamsResponse configured;
  grpc::Status status = Unary(&v1::GatewayService::Stub::ConfigureStreams, configure, &configured);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(configured.scheduler(), v1::STREAM_SCHEDULER_PRIORITY);
  ASSERT_EQ(configured.values_size(), 2);
  EXPECT_EQ(configured.values(0).value(), 5u);
  EXPECT_EQ(configured.values(1).value(), 1u);
  ASSERT_TRUE(app_->Send(association, {Message(1, 1, "low"), Message(2, 1, "high")}).ok());
  EXPECT_TRUE(peer.Saw("got 1 1 low\n")) << peer.Output();
  EXPECT_TRUE(peer.Saw("got 2 1 high\n")) << peer.Output();

  // What this kernel lacks (fair capacity and WFQ came with Linux 6.4), a
  // stream beyond the association's, a value out of range.
  configure.clear_values();
  configure.set_scheduler(v1::STREAM_SCHEDULER_FAIR_CAPACITY);
  status = Unary(&v1::GatewayService::Stub::ConfigureStreams, configure, &configured);
  if (status.ok()) {
    std::printf("[ note ] this kernel offers the fair capacity scheduler\n");
  } else {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
    EXPECT_EQ(ErrorReason(status), "SCHEDULER_UNSUPPORTED");
  }
  configure.set_scheduler(v1::STREAM_SCHEDULER_UNSPECIFIED);
  v1::StreamValue* beyond = configure.add_values();
  beyond->set_stream(10);
  beyond->set_value(1);
  status = Unary(&v1::GatewayService::Stub::ConfigureStreams, configure, &configured);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorReason(status), "STREAM_OUT_OF_RANGE");
  beyond->set_stream(1);
  beyond->set_value(70000);
  status = Unary(&v1::GatewayService::Stub::ConfigureStreams, configure, &configured);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorMetadata(status)["field"], "values[0].value");
}

// Interleaving needs the kernel's net.sctp.intl_enable: without sctpgw's
// sctp.interleaving (and the sysctl at 0) an endpoint that asks for it is
// refused with the reason.
TEST_F(SctpExtensionsLabTest, InterleavingWithoutTheKernelSettingIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  v1::OpenEndpointRequest request;
  request.add_local_addresses("127.0.0.1");
  request.set_interleaving(true);
  grpc::Status status = app_->OpenEndpoint(request, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "INTERLEAVING_UNAVAILABLE");
  EXPECT_EQ(ErrorMetadata(status)["field"], "interleaving");
}

// Small messages on one stream while large ones go out on another, with
// and without interleaving: the small ones' latency (sent by the
// application to read by the peer, CLOCK_MONOTONIC on both sides of one
// machine). Large messages arrive whole, and the peer's large messages to
// sctpgw (pieces of several streams in turn) arrive whole too.
TEST_F(SctpExtensionsLabTest, InterleavingLetsSmallMessagesPassALargeOne) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--interleaving", "--max-message-bytes", "1048576"}));
  std::ifstream intl("/proc/sys/net/sctp/intl_enable");
  int intl_enable = 0;
  intl >> intl_enable;
  EXPECT_EQ(intl_enable, 1) << "sctpgw did not set net.sctp.intl_enable";

  struct Run {
    const char* name;
    bool interleaving;
    std::vector<double> latencies_ms;
  };
  std::vector<Run> runs = {{"without interleaving", false, {}}, {"with interleaving", true, {}}};
  constexpr int kLarge = 6;             // 1 MiB each.
  constexpr int kSmallEvery = 4;        // ms
  for (Run& run : runs) {
    Peer peer = Peer::Listen(run.interleaving ? std::vector<std::string>{"--interleave"}
                                              : std::vector<std::string>{});
    v1::OpenEndpointRequest request;
    request.set_interleaving(run.interleaving);
    request.set_stream_scheduler(v1::STREAM_SCHEDULER_ROUND_ROBIN);
    const uint64_t association = Associate(request, peer);
    ASSERT_NE(association, 0u);
    v1::GetAssociationResponse described;
    ASSERT_TRUE(app_->GetAssociation(association, &described).ok());
    EXPECT_EQ(described.streams().interleaving(), run.interleaving);

    // The large messages from a second thread, one Send each; small ones
    // from this one, one every kSmallEvery ms (a paced load, as a
    // signalling link has), until the peer has every large one.
    std::thread large([&] {
      App sender(*server_, app_->session());
      for (int i = 0; i < kLarge; ++i) {
        grpc::Status sent = sender.Send(association, {Message(1, 1, std::string(1 << 20, 'L'))});
        EXPECT_TRUE(sent.ok()) << sent.error_message();
      }
    });
    auto large_arrived = [&] {
      std::string out = peer.Output();
      int bigs = 0;
      for (size_t at = 0; (at = out.find("big 1 1 1048576\n", at)) != std::string::npos; ++at) {
        ++bigs;
      }
      return bigs == kLarge;
    };
    int small = 0;
    for (auto until = std::chrono::steady_clock::now() + kTimeout;
         std::chrono::steady_clock::now() < until && !large_arrived(); ++small) {
      std::string stamp = absl::StrCat(
          "t=", std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count());
      ASSERT_TRUE(app_->Send(association, {Message(2, 2, stamp)}).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(kSmallEvery));  // The pace.
    }
    large.join();
    ASSERT_TRUE(large_arrived()) << peer.Output();
    // Stream 2 is ordered: once its last message is in, every one is.
    ASSERT_TRUE(app_->Send(association, {Message(2, 2, "end of the run")}).ok());
    ASSERT_TRUE(peer.Saw("got 2 2 end of the run\n")) << peer.Output();
    const std::string out = peer.Output();
    for (size_t at = 0; (at = out.find("late 2 ", at)) != std::string::npos;) {
      at += 7;
      double ms = 0;
      EXPECT_TRUE(absl::SimpleAtod(out.substr(at, out.find('\n', at) - at), &ms));
      run.latencies_ms.push_back(ms);
    }
    EXPECT_EQ(run.latencies_ms.size(), static_cast<size_t>(small)) << out;

    // The peer's large messages and small ones to sctpgw, interleaved by its
    // kernel where both offer it: every one arrives whole.
    for (int i = 0; i < 3; ++i) {
      peer.Do(absl::StrCat("send 1 7 ", std::string(200000 + i, 'P')));
      peer.Do(absl::StrCat("send 2 8 small ", i));
    }
    auto got = app_->ReceiveN(association, 6);
    ASSERT_EQ(got.size(), 6u);
    int large_seen = 0, small_seen = 0;
    for (const v1::InboundMessage& m : got) {
      if (m.stream() == 1) {
        EXPECT_EQ(m.payload(), std::string(200000 + large_seen, 'P'));
        ++large_seen;
      } else {
        EXPECT_EQ(m.payload(), absl::StrCat("small ", small_seen));
        ++small_seen;
      }
    }
    EXPECT_EQ(large_seen, 3);
    EXPECT_TRUE(app_->Shutdown(association, v1::SHUTDOWN_MODE_GRACEFUL).ok());
  }
  for (Run& run : runs) {
    std::sort(run.latencies_ms.begin(), run.latencies_ms.end());
    auto at = [&](double q) {
      return run.latencies_ms.empty()
                 ? 0.0
                 : run.latencies_ms[std::min(run.latencies_ms.size() - 1,
                                             static_cast<size_t>(q * run.latencies_ms.size()))];
    };
    std::printf("[ figures ] small messages behind %d x 1 MiB, %s: %zu messages, latency p50 "
                "%.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                kLarge, run.name, run.latencies_ms.size(), at(0.5), at(0.9), at(0.99), at(1.0));
  }
  // What interleaving is for: the small messages' tail no longer waits
  // for whole large messages.
  ASSERT_FALSE(runs[0].latencies_ms.empty());
  ASSERT_FALSE(runs[1].latencies_ms.empty());
  EXPECT_LT(runs[1].latencies_ms[runs[1].latencies_ms.size() * 9 / 10],
            runs[0].latencies_ms[runs[0].latencies_ms.size() * 9 / 10]);
}

// ---------------------------------------------------------------- RFC 4895

v1::AuthOptions AuthWith(uint32_t key_id, const std::string& secret) {
  v1::AuthOptions auth;
  auth.set_enabled(true);
  auth.add_chunk_types(0);  // DATA.
  v1::AuthKey* key = auth.add_keys();
  key->set_key_id(key_id);
  key->set_secret(secret);
  auth.set_active_key_id(key_id);
  return auth;
}

TEST_F(SctpExtensionsLabTest, AuthenticatedDataFlowsAndKeysChange) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Peer peer = Peer::Listen({"--auth-key", "1:shared-secret", "--auth-chunk", "0"});
  v1::OpenEndpointRequest request;
  *request.mutable_auth() = AuthWith(1, "shared-secret");
  const uint64_t association = Associate(request, peer);
  ASSERT_NE(association, 0u);
  EXPECT_TRUE(endpoint_.auth());
  EXPECT_EQ(std::vector<uint32_t>(endpoint_.auth_key_ids().begin(), endpoint_.auth_key_ids().end()),
            (std::vector<uint32_t>{1}));
  v1::GetAssociationResponse described;
  ASSERT_TRUE(app_->GetAssociation(association, &described).ok());
  EXPECT_TRUE(described.auth().peer_supports_auth());
  EXPECT_EQ(described.auth().active_key_id(), 1u);
  auto has_data = [](const auto& chunks) {
    return std::find(chunks.begin(), chunks.end(), 0u) != chunks.end();
  };
  EXPECT_TRUE(has_data(described.auth().local_chunk_types()));
  EXPECT_TRUE(has_data(described.auth().peer_chunk_types()));
  // The secret is nowhere in what a read call returns.
  EXPECT_EQ(described.DebugString().find("shared-secret"), std::string::npos);

  ASSERT_TRUE(app_->Send(association, {Message(1, 3, "authenticated")}).ok());
  EXPECT_TRUE(peer.Saw("got 1 3 authenticated\n")) << peer.Output();
  peer.Do("send 2 4 authenticated too");
  auto got = app_->ReceiveN(association, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "authenticated too");

  // A second key, made active on the association: the peer knows it too
  // (it was given it out of band), so data flows on.
  auto change = [&](v1::AuthKeyAction action, uint32_t key, const std::string& secret,
                    bool on_endpoint = false) {
    v1::ChangeAuthKeyRequest r;
    if (on_endpoint) {
      r.set_endpoint_id(endpoint_.endpoint_id());
    } else {
      r.set_association_id(association);
    }
    r.set_action(action);
    r.set_key_id(key);
    r.set_secret(secret);
    v1::ChangeAuthKeyResponse done;
    return Unary(&v1::GatewayService::Stub::ChangeAuthKey, r, &done);
  };
  grpc::Status status = change(v1::AUTH_KEY_ACTION_ADD, 2, "next-secret", /*on_endpoint=*/true);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The active key cannot go; an unknown key is NOT_FOUND.
  status = change(v1::AUTH_KEY_ACTION_DELETE, 1, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "AUTH_KEY_ACTIVE");
  status = change(v1::AUTH_KEY_ACTION_ACTIVATE, 9, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "AUTH_KEY_NOT_FOUND");
  // Bad input: a secret too long, an action missing, both targets.
  status = change(v1::AUTH_KEY_ACTION_ADD, 3, std::string(129, 'x'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().find("xxxx"), std::string::npos) << "a secret was echoed";
  status = change(v1::AUTH_KEY_ACTION_UNSPECIFIED, 3, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::OpenEndpointRequest bad;
  bad.add_local_addresses("127.0.0.1");
  bad.mutable_auth()->add_chunk_types(1);  // INIT: never authenticated.
  status = app_->OpenEndpoint(bad, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorMetadata(status)["field"], "auth.chunk_types[0]");
  // Key 1 stays active: the association still carries data.
  ASSERT_TRUE(app_->Send(association, {Message(1, 5, "still authenticated")}).ok());
  EXPECT_TRUE(peer.Saw("got 1 5 still authenticated\n")) << peer.Output();
}

// A peer whose key differs: its DATA fails authentication and is dropped
// by sctpgw's kernel; nothing reaches the application. The same peer with
// the right key delivers.
TEST_F(SctpExtensionsLabTest, APeerWithTheWrongKeyCannotInjectData) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  v1::OpenEndpointRequest request;
  request.add_local_addresses("127.0.0.1");
  request.set_listen(true);
  *request.mutable_auth() = AuthWith(1, "the-right-secret");
  v1::Endpoint endpoint;
  ASSERT_TRUE(app_->OpenEndpoint(request, &endpoint).ok());
  v1::WatchEventsRequest watch = app_->WatchEndpoint(endpoint.endpoint_id());
  EventWatch events(app_->stub(), watch);

  auto connect = [&](const std::string& secret) {
    auto process = Subprocess::Start(
        {"/usr/bin/python3", ExtensionsPeerScript(), "connect", "127.0.0.1",
         absl::StrCat(endpoint.port()), "--auth-key", "1:" + secret, "--auth-chunk", "0"},
        /*keep_stdin=*/true);
    EXPECT_TRUE(process.ok()) << process.status();
    return std::make_unique<Subprocess>(std::move(*process));
  };
  auto intruder = connect("a-wrong-secret");
  ASSERT_TRUE(intruder->ReadStdoutUntil("up\n", kCallTimeout).ok());
  auto up = events.WaitFor(testing::IsCommUpOnEndpoint(endpoint.endpoint_id()), kCallTimeout);
  ASSERT_TRUE(up.ok()) << up.status();
  const uint64_t intruded = up->association_id();
  ASSERT_TRUE(intruder->WriteStdin("send 1 1 injected\n").ok());
  // The right peer, on a second association: its message arrives; by then
  // the intruder's (sent first) would have too.
  auto honest = connect("the-right-secret");
  ASSERT_TRUE(honest->ReadStdoutUntil("up\n", kCallTimeout).ok());
  auto second = events.WaitFor(
      [&](const v1::Event& e) {
        return e.has_association_change() && e.association_id() != intruded &&
               e.association_change().type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP;
      },
      kCallTimeout);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(honest->WriteStdin("send 1 1 honest\n").ok());
  auto got = app_->ReceiveN(second->association_id(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "honest");
  // The intruder's association holds nothing: its DATA never authenticated.
  v1::GetAssociationResponse described;
  ASSERT_TRUE(app_->GetAssociation(intruded, &described).ok());
  EXPECT_EQ(described.association().queued_messages(), 0u);
  std::vector<v1::InboundMessage> none;
  v1::ReceiveRequest receive;
  receive.set_association_id(intruded);
  grpc::Status status = app_->ReceiveFrom(receive, &none, 2s);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_TRUE(none.empty()) << none[0].payload();
}

}  // namespace
}  // namespace sctpgw
