// GatewayService end to end: the sctpgw binary, real kernel SCTP, gRPC
// clients acting as applications. Runs under the lab.
#include <gtest/gtest.h>
#include <sched.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/netns.h"
#include "tests/lab/support/process.h"
#include "tests/lab/support/sctpgw_server.h"

namespace sctpgw {
namespace {

using namespace std::chrono_literals;
using testing::ErrorReason;
using testing::EventWatch;
using testing::IsAssociationChange;
using testing::IsCommUpOnEndpoint;
using testing::SctpgwServer;
using testing::SetTimeout;
using testing::App;
using testing::Connect;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Message;
using testing::Pair;
using testing::PeerScript;
using testing::StartShell;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

using GatewayLabTest = testing::ServerTest;

// Two applications through one sctpgw: A listens, B associates; messages on
// several streams and PPIDs, ordered and unordered, and one of 256 KiB, both
// ways; events in order; graceful shutdown seen by both.
TEST_F(GatewayLabTest, TwoApplicationsExchangeMessagesAndShutDown) {
  App a(*server_);
  App b(*server_);
  v1::Endpoint listener = a.Listen("127.0.0.1");
  ASSERT_NE(listener.port(), 0u);
  EventWatch a_events(a.stub(), a.WatchEndpoint(listener.endpoint_id()));
  v1::Endpoint client = b.Open("127.0.0.1");
  EventWatch b_events(b.stub(), b.WatchEndpoint(client.endpoint_id()));

  v1::Association b_assoc;
  grpc::Status status = b.Associate(client.endpoint_id(), "127.0.0.1", listener.port(), &b_assoc);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(b_assoc.state(), v1::ASSOCIATION_STATE_ESTABLISHED);
  EXPECT_EQ(b_assoc.outbound_streams(), 10u);
  EXPECT_EQ(b_assoc.inbound_streams(), 10u);
  ASSERT_FALSE(b_assoc.peer_addresses().empty());
  EXPECT_EQ(b_assoc.peer_addresses(0).ip(), "127.0.0.1");
  EXPECT_EQ(b_assoc.peer_addresses(0).port(), listener.port());
  EXPECT_FALSE(b_assoc.local_addresses().empty());

  auto up = a_events.WaitFor(IsCommUpOnEndpoint(listener.endpoint_id()), kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();
  uint64_t a_assoc = up->association_id();
  ASSERT_NE(a_assoc, 0u);
  EXPECT_EQ(up->association_change().inbound_streams(), 10u);

  // B -> A: four streams, distinct PPIDs, one unordered, one 256 KiB.
  std::string big(256 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 1024);
  std::vector<v1::OutboundMessage> to_a = {
      Message(0, 18, "S1AP setup"), Message(1, 60, "NGAP one"),
      Message(2, 46, "Diameter CER", /*unordered=*/true), Message(3, 3, big),
      Message(1, 60, "NGAP two")};
  status = b.Send(b_assoc.association_id(), to_a);
  ASSERT_TRUE(status.ok()) << status.error_message();

  std::vector<v1::InboundMessage> got = a.ReceiveN(a_assoc, to_a.size());
  ASSERT_EQ(got.size(), to_a.size());
  // Per-stream order is kept; across streams order may differ.
  std::map<uint32_t, std::vector<const v1::InboundMessage*>> by_stream;
  for (const auto& m : got) {
    EXPECT_EQ(m.association_id(), a_assoc);
    by_stream[m.stream()].push_back(&m);
  }
  ASSERT_EQ(by_stream[0].size(), 1u);
  EXPECT_EQ(by_stream[0][0]->payload(), "S1AP setup");
  EXPECT_EQ(by_stream[0][0]->ppid(), 18u);
  ASSERT_EQ(by_stream[1].size(), 2u);
  EXPECT_EQ(by_stream[1][0]->payload(), "NGAP one");
  EXPECT_EQ(by_stream[1][1]->payload(), "NGAP two");
  EXPECT_EQ(by_stream[1][1]->ppid(), 60u);
  EXPECT_LT(by_stream[1][0]->ssn(), by_stream[1][1]->ssn());
  ASSERT_EQ(by_stream[2].size(), 1u);
  EXPECT_TRUE(by_stream[2][0]->unordered());
  EXPECT_EQ(by_stream[2][0]->ppid(), 46u);
  ASSERT_EQ(by_stream[3].size(), 1u);
  EXPECT_EQ(by_stream[3][0]->payload().size(), big.size());
  EXPECT_TRUE(by_stream[3][0]->payload() == big) << "the 256 KiB message arrived altered";

  // A -> B, received through B's endpoint (any association).
  status = a.Send(a_assoc, {Message(5, 99, "answer"), Message(9, 100, big)});
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::InboundMessage> back;
  while (back.size() < 2) {
    v1::ReceiveRequest request;
    request.set_endpoint_id(client.endpoint_id());
    status = b.ReceiveFrom(request, &back);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(back[0].association_id(), b_assoc.association_id());
  EXPECT_EQ(back[0].payload(), "answer");
  EXPECT_EQ(back[0].stream(), 5u);
  EXPECT_EQ(back[0].ppid(), 99u);
  EXPECT_TRUE(back[1].payload() == big);

  // Kernel status of the association.
  v1::GetAssociationResponse info;
  status = b.GetAssociation(b_assoc.association_id(), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.status().state(), v1::KERNEL_ASSOCIATION_STATE_ESTABLISHED);
  EXPECT_EQ(info.status().outbound_streams(), 10u);
  EXPECT_EQ(info.status().primary().address().ip(), "127.0.0.1");

  // Graceful shutdown from B: SHUTDOWN_COMP on both sides.
  status = b.Shutdown(b_assoc.association_id(), v1::SHUTDOWN_MODE_GRACEFUL);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto b_done = b_events.WaitFor(
      IsAssociationChange(b_assoc.association_id(), v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP),
      kTimeout);
  ASSERT_TRUE(b_done.ok()) << b_done.status();
  auto a_done = a_events.WaitFor(
      IsAssociationChange(a_assoc, v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP), kTimeout);
  ASSERT_TRUE(a_done.ok()) << a_done.status();
  auto a_shutdown = a_events.WaitFor(
      [&](const v1::Event& e) { return e.association_id() == a_assoc && e.has_shutdown(); },
      kTimeout);
  EXPECT_TRUE(a_shutdown.ok()) << "A saw no SHUTDOWN event";

  // Events in order: increasing sequence numbers, COMM_UP first.
  for (EventWatch* watch : {&a_events, &b_events}) {
    std::vector<v1::Event> events = watch->events();
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events.front().association_change().type(), v1::ASSOCIATION_CHANGE_TYPE_COMM_UP);
    for (size_t i = 1; i < events.size(); ++i) {
      EXPECT_GT(events[i].sequence(), events[i - 1].sequence());
    }
    // The stream began with an acknowledgement.
    std::vector<v1::WatchEventsResponse> responses = watch->responses();
    ASSERT_FALSE(responses.empty());
    EXPECT_TRUE(responses.front().has_ack());
  }
  // Nothing is left behind.
  EXPECT_TRUE(a.Associations().empty());
}


// Python's kernel socket (an SCTP stack user this project did not write)
// associates to a listening sctpgw endpoint; stream and PPID survive both
// ways; its graceful close ends the association with SHUTDOWN_COMP.
TEST_F(GatewayLabTest, PythonPeerAssociatesToSctpgw) {
  App a(*server_);
  v1::Endpoint listener = a.Listen("127.0.0.1");
  EventWatch events(a.stub(), a.WatchEndpoint(listener.endpoint_id()));
  auto peer = testing::Subprocess::Start(
      {"/usr/bin/python3", PeerScript(), "connect", "127.0.0.1", absl::StrCat(listener.port())},
      /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("1 46 hello from python\n7 60 second message\nrecv 2\n").ok());

  std::vector<v1::InboundMessage> got;
  while (got.size() < 2) {
    v1::ReceiveRequest request;
    request.set_endpoint_id(listener.endpoint_id());
    grpc::Status status = a.ReceiveFrom(request, &got);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(got[0].stream(), 1u);
  EXPECT_EQ(got[0].ppid(), 46u);
  EXPECT_EQ(got[0].payload(), "hello from python");
  EXPECT_EQ(got[1].stream(), 7u);
  EXPECT_EQ(got[1].ppid(), 60u);
  EXPECT_EQ(got[1].payload(), "second message");

  uint64_t assoc = got[0].association_id();
  grpc::Status status = a.Send(assoc, {Message(3, 7, "reply one"), Message(9, 8, "reply two")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto out = peer->ReadStdoutUntil("done", kCallTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_NE(out->find("got 3 7 reply one\n"), std::string::npos) << *out;
  EXPECT_NE(out->find("got 9 8 reply two\n"), std::string::npos) << *out;

  peer->CloseStdin();  // The peer closes: SHUTDOWN.
  auto done = events.WaitFor(IsAssociationChange(assoc, v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP),
                             kTimeout);
  EXPECT_TRUE(done.ok()) << done.status();
  auto exit_status = peer->Wait(kCallTimeout);
  ASSERT_TRUE(exit_status.ok());
  EXPECT_EQ(*exit_status, 0);
  EXPECT_TRUE(a.Associations().empty());
}

// sctpgw associates to a Python listener; messages both ways; sctpgw's
// graceful shutdown completes.
TEST_F(GatewayLabTest, SctpgwAssociatesToPythonListener) {
  App a(*server_);
  auto peer = testing::Subprocess::Start(
      {"/usr/bin/python3", PeerScript(), "listen", "127.0.0.1"}, /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  auto banner = peer->ReadStdoutUntil("\n", kCallTimeout);
  ASSERT_TRUE(banner.ok()) << banner.status();
  uint32_t port = static_cast<uint32_t>(std::stoul(banner->substr(5)));

  v1::Endpoint endpoint = a.Open("127.0.0.1");
  EventWatch events(a.stub(), a.WatchEndpoint(endpoint.endpoint_id()));
  v1::Association association;
  grpc::Status status = a.Associate(endpoint.endpoint_id(), "127.0.0.1", port, &association);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(association.outbound_streams(), 10u);

  ASSERT_TRUE(peer->WriteStdin("recv 1\n5 77 pong from python\n").ok());
  status = a.Send(association.association_id(), {Message(4, 1234567, "ping from sctpgw")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto out = peer->ReadStdoutUntil("done", kCallTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_NE(out->find("got 4 1234567 ping from sctpgw\n"), std::string::npos) << *out;

  std::vector<v1::InboundMessage> got = a.ReceiveN(association.association_id(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].stream(), 5u);
  EXPECT_EQ(got[0].ppid(), 77u);
  EXPECT_EQ(got[0].payload(), "pong from python");

  status = a.Shutdown(association.association_id(), v1::SHUTDOWN_MODE_GRACEFUL);
  EXPECT_TRUE(status.ok()) << status.error_message();
  peer->CloseStdin();
  auto exit_status = peer->Wait(kCallTimeout);
  ASSERT_TRUE(exit_status.ok());
  EXPECT_EQ(*exit_status, 0);
}

// socat (SCTP-LISTEN with PIPE echoes, SCTP-CONNECT from stdin) on both
// sides of sctpgw.
TEST_F(GatewayLabTest, InteroperatesWithSocat) {
  App a(*server_);
  // sctpgw -> socat echo server.
  auto echo = StartShell("socat -d -d SCTP-LISTEN:36412,bind=127.0.0.1,reuseaddr PIPE", false);
  ASSERT_TRUE(echo.ok()) << echo.status();
  ASSERT_TRUE(echo->ReadStdoutUntil("listening on", kCallTimeout).ok());
  v1::Endpoint endpoint = a.Open("127.0.0.1");
  v1::Association association;
  grpc::Status status = a.Associate(endpoint.endpoint_id(), "127.0.0.1", 36412, &association);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = a.Send(association.association_id(), {Message(0, 0, "echo me, socat")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::InboundMessage> got = a.ReceiveN(association.association_id(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "echo me, socat");
  status = a.Shutdown(association.association_id(), v1::SHUTDOWN_MODE_GRACEFUL);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // socat client -> sctpgw listener.
  v1::Endpoint listener = a.Listen("127.0.0.1");
  auto client = StartShell(
      absl::StrCat("socat STDIO SCTP-CONNECT:127.0.0.1:", listener.port()), /*keep_stdin=*/true);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(client->WriteStdin("ping from socat\n").ok());
  got.clear();
  v1::ReceiveRequest request;
  request.set_endpoint_id(listener.endpoint_id());
  status = a.ReceiveFrom(request, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "ping from socat\n");
  status = a.Send(got[0].association_id(), {Message(0, 0, "pong from sctpgw\n")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(client->ReadStdoutUntil("pong from sctpgw\n", kCallTimeout).ok());
  client->CloseStdin();
  EXPECT_TRUE(client->Wait(kCallTimeout).ok());
}

// ncat --sctp (nmap's netcat) on both sides of sctpgw.
TEST_F(GatewayLabTest, InteroperatesWithNcat) {
  App a(*server_);
  auto echo = StartShell("ncat -v --sctp -l 127.0.0.1 36413 --exec /bin/cat", false);
  ASSERT_TRUE(echo.ok()) << echo.status();
  ASSERT_TRUE(echo->ReadStdoutUntil("Listening on", kCallTimeout).ok());
  v1::Endpoint endpoint = a.Open("127.0.0.1");
  v1::Association association;
  grpc::Status status = a.Associate(endpoint.endpoint_id(), "127.0.0.1", 36413, &association);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = a.Send(association.association_id(), {Message(0, 0, "echo me, ncat\n")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::InboundMessage> got = a.ReceiveN(association.association_id(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "echo me, ncat\n");

  v1::Endpoint listener = a.Listen("127.0.0.1");
  auto client = StartShell(absl::StrCat("ncat --sctp 127.0.0.1 ", listener.port()),
                           /*keep_stdin=*/true);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(client->WriteStdin("ping from ncat\n").ok());
  got.clear();
  v1::ReceiveRequest request;
  request.set_endpoint_id(listener.endpoint_id());
  status = a.ReceiveFrom(request, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "ping from ncat\n");
  status = a.Send(got[0].association_id(), {Message(0, 0, "pong from sctpgw\n")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(client->ReadStdoutUntil("pong from sctpgw\n", kCallTimeout).ok());
}

// Nothing listens on the port: the peer's ABORT answers the INIT, and
// Associate fails at once with UNAVAILABLE, leaving nothing behind.
TEST_F(GatewayLabTest, AssociateToClosedPortFails) {
  App a(*server_);
  v1::Endpoint endpoint = a.Open("127.0.0.1");
  auto start = std::chrono::steady_clock::now();
  grpc::Status status = a.Associate(endpoint.endpoint_id(), "127.0.0.1", 9, nullptr);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "ASSOCIATE_FAILED");
  EXPECT_LT(elapsed, 10s);
  EXPECT_TRUE(a.Associations().empty());
}

// A blackhole route: the kernel refuses at once (ENETUNREACH), and
// Associate fails with UNAVAILABLE without waiting for its deadline.
TEST_F(GatewayLabTest, AssociateThroughBlackholeRouteFailsAtOnce) {
  ASSERT_TRUE(testing::RunCommand("ip route add blackhole 203.0.113.0/24").ok());
  App a(*server_);
  v1::Endpoint endpoint = a.Open("0.0.0.0");
  grpc::Status status = a.Associate(endpoint.endpoint_id(), "203.0.113.7", 3868, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "ASSOCIATE_FAILED");
  EXPECT_TRUE(a.Associations().empty());
  ASSERT_TRUE(testing::RunCommand("ip route del blackhole 203.0.113.0/24").ok());
}

// The path silently drops every packet (the next hop never answers):
// Associate ends with DEADLINE_EXCEEDED at its deadline and the half-open
// association is aborted and gone.
TEST_F(GatewayLabTest, AssociateIntoSilenceEndsAtDeadline) {
  ASSERT_TRUE(testing::RunCommand(
                  "ip link add sink0 type veth peer name sink1 && ip link set sink0 up && "
                  "ip link set sink1 up && ip addr add 198.51.100.1/24 dev sink0 && "
                  "ip neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev sink0 && "
                  "ip route add 203.0.113.0/24 via 198.51.100.2")
                  .ok());
  App a(*server_);
  v1::Endpoint endpoint = a.Open("0.0.0.0");
  auto start = std::chrono::steady_clock::now();
  grpc::Status status = a.Associate(endpoint.endpoint_id(), "203.0.113.7", 3868, nullptr, 3000ms);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_GE(elapsed, 2500ms);
  EXPECT_LT(elapsed, 8s);
  // The core aborts the attempt when the deadline comes, before answering.
  EXPECT_TRUE(a.Associations().empty());
  ASSERT_TRUE(testing::RunCommand("ip link del sink0").ok());
}

// A Receive that times out loses nothing: a message sent afterwards is
// received by the next call.
TEST_F(GatewayLabTest, ReceiveDeadlineLosesNothing) {
  App a(*server_);
  App b(*server_);
  Pair pair = Connect(a, b);
  v1::ReceiveRequest request;
  request.set_association_id(pair.server_assoc);
  std::vector<v1::InboundMessage> got;
  auto start = std::chrono::steady_clock::now();
  grpc::Status status = a.ReceiveFrom(request, &got, 500ms);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 400ms);
  EXPECT_TRUE(got.empty());

  status = b.Send(pair.client_assoc, {Message(0, 1, "after the deadline")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  got = a.ReceiveN(pair.server_assoc, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "after the deadline");
}

// Association 1's reader stops reading while its peer keeps sending:
// association 2 is not slowed, the peer is pushed back by SCTP flow control
// (its sends stall), sctpgw's memory stays bounded, and once read, every
// message of association 1 arrives in order.
TEST(GatewayFlowControlLabTest, SlowReaderIsolatedAndBounded) {
  auto server = SctpgwServer::Start({"--association-queue-bytes", "65536"});
  ASSERT_TRUE(server.ok()) << server.status();
  App a(**server);
  App b(**server);
  Pair one = Connect(a, b);
  Pair two = Connect(a, b);

  auto round_trip = [&]() {
    auto start = std::chrono::steady_clock::now();
    grpc::Status status = b.Send(two.client_assoc, {Message(0, 0, "ping")});
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<v1::InboundMessage> got = a.ReceiveN(two.server_assoc, 1);
    EXPECT_EQ(got.size(), 1u);
    return std::chrono::steady_clock::now() - start;
  };
  auto baseline = round_trip();
  auto rss_before = testing::ResidentBytes((*server)->pid());
  ASSERT_TRUE(rss_before.ok());

  // Flood association 1 with numbered 4 KiB messages until flow control
  // stops the sender (a Send that cannot complete within 2 s).
  constexpr size_t kMessageBytes = 4096;
  constexpr size_t kMaxMessages = 64 * 1024 * 1024 / kMessageBytes;
  size_t sent = 0;
  bool pushed_back = false;
  while (sent < kMaxMessages) {
    std::vector<v1::OutboundMessage> batch;
    for (int i = 0; i < 16; ++i) {
      std::string payload = absl::StrCat(sent + batch.size(), ":");
      payload.resize(kMessageBytes, 'x');
      batch.push_back(Message(1, 0, payload));
    }
    grpc::ClientContext context;
    SetTimeout(&context, 2000ms);
    v1::SendRequest request;
    request.set_session_id(b.session());
    request.set_association_id(one.client_assoc);
    for (const auto& m : batch) *request.add_messages() = m;
    v1::SendResponse response;
    grpc::Status status = b.stub().Send(&context, request, &response);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      // Part of the batch may have been accepted: sctpgw says how much
      // (unless the client's own deadline fired first).
      google::rpc::Status details;
      google::rpc::ErrorInfo info;
      if (details.ParseFromString(status.error_details()) && details.details_size() > 0 &&
          details.details(0).UnpackTo(&info)) {
        auto accepted = info.metadata().find("accepted_messages");
        if (accepted != info.metadata().end()) sent += std::stoul(accepted->second);
      }
      pushed_back = true;
      break;
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    sent += batch.size();
  }
  ASSERT_TRUE(pushed_back) << "64 MiB went into an association nobody reads";

  auto during = round_trip();
  auto rss_after = testing::ResidentBytes((*server)->pid());
  ASSERT_TRUE(rss_after.ok());
  std::printf("slow reader: %zu messages (%zu KiB) in flight before push-back; round trip on "
              "another association %lld ms before, %lld ms during; sctpgw RSS %zu -> %zu KiB\n",
              sent, sent * kMessageBytes / 1024,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(baseline).count()),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(during).count()),
              *rss_before / 1024, *rss_after / 1024);
  EXPECT_LT(during, baseline + 2s) << "association 2 was slowed by association 1's reader";
  EXPECT_LT(*rss_after, *rss_before + 32 * 1024 * 1024) << "sctpgw buffered without bound";
  v1::GetAssociationResponse info;
  ASSERT_TRUE(a.GetAssociation(one.server_assoc, &info).ok());
  EXPECT_LE(info.association().queued_bytes(), 65536u + 32 * kMessageBytes);

  // Now read association 1 until it stays empty: every accepted message, in
  // order, once (the last batch may have been partly accepted).
  std::vector<v1::InboundMessage> got;
  for (;;) {
    v1::ReceiveRequest request;
    request.set_association_id(one.server_assoc);
    request.set_max_messages(1024);
    grpc::Status status = a.ReceiveFrom(request, &got, 3000ms);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) break;
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_GE(got.size(), sent);
  ASSERT_LE(got.size(), sent + 16);
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].payload().substr(0, got[i].payload().find(':')), absl::StrCat(i));
    ASSERT_EQ(got[i].payload().size(), kMessageBytes);
  }
  EXPECT_TRUE((*server)->Stop(kCallTimeout).ok());
}

// Every invalid input gets its code and reason; the service stays up.
TEST_F(GatewayLabTest, InvalidInputsGetTheirCodes) {
  App a(*server_);
  App b(*server_);
  Pair pair = Connect(a, b);

  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
    grpc::StatusCode code;
    std::string reason;
  };
  auto open = [&](std::vector<std::string> ips, uint32_t port) {
    v1::OpenEndpointRequest request;
    for (const auto& ip : ips) request.add_local_addresses(ip);
    request.set_port(port);
    return a.OpenEndpoint(request, nullptr);
  };
  std::vector<Case> cases = {
      {"no local address", [&] { return open({}, 0); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_ADDRESS"},
      {"malformed address", [&] { return open({"999.1.2.3"}, 0); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ADDRESS"},
      {"host name", [&] { return open({"localhost"}, 0); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_ADDRESS"},
      {"port 65536", [&] { return open({"127.0.0.1"}, 65536); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PORT"},
      {"address not on this host", [&] { return open({"192.0.2.1"}, 0); },
       grpc::StatusCode::FAILED_PRECONDITION, "ADDRESS_NOT_AVAILABLE"},
      {"port in use", [&] { return open({"127.0.0.1"}, pair.listener.port()); },
       grpc::StatusCode::ALREADY_EXISTS, "ADDRESS_IN_USE"},
      {"associate: unknown endpoint",
       [&] { return a.Associate(987654, "127.0.0.1", 1, nullptr); }, grpc::StatusCode::NOT_FOUND,
       "ENDPOINT_NOT_FOUND"},
      {"associate: peer port 0",
       [&] { return a.Associate(pair.listener.endpoint_id(), "127.0.0.1", 0, nullptr); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PORT"},
      {"associate: bad peer address",
       [&] { return a.Associate(pair.listener.endpoint_id(), "1.2.3", 1, nullptr); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ADDRESS"},
      {"send: unknown association", [&] { return b.Send(424242, {Message(0, 0, "x")}); },
       grpc::StatusCode::NOT_FOUND, "ASSOCIATION_NOT_FOUND"},
      {"send: stream beyond the negotiated count",
       [&] { return b.Send(pair.client_assoc, {Message(10, 0, "x")}); },
       grpc::StatusCode::INVALID_ARGUMENT, "STREAM_OUT_OF_RANGE"},
      {"send: stream beyond 16 bits",
       [&] { return b.Send(pair.client_assoc, {Message(65536, 0, "x")}); },
       grpc::StatusCode::INVALID_ARGUMENT, "STREAM_OUT_OF_RANGE"},
      {"send: empty payload", [&] { return b.Send(pair.client_assoc, {Message(0, 0, "")}); },
       grpc::StatusCode::INVALID_ARGUMENT, "EMPTY_MESSAGE"},
      {"send: no messages", [&] { return b.Send(pair.client_assoc, {}); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {"send: message above the maximum",
       [&] {
         return b.Send(pair.client_assoc,
                       {Message(0, 0, "valid"), Message(0, 0, std::string(256 * 1024 + 1, 'x'))});
       },
       grpc::StatusCode::INVALID_ARGUMENT, "MESSAGE_TOO_LARGE"},
      {"receive: no target",
       [&] {
         std::vector<v1::InboundMessage> out;
         return a.ReceiveFrom(v1::ReceiveRequest(), &out);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {"receive: max_messages too large",
       [&] {
         v1::ReceiveRequest request;
         request.set_association_id(pair.server_assoc);
         request.set_max_messages(100000);
         std::vector<v1::InboundMessage> out;
         return a.ReceiveFrom(request, &out);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {"receive: unknown association",
       [&] {
         v1::ReceiveRequest request;
         request.set_association_id(31337);
         std::vector<v1::InboundMessage> out;
         return a.ReceiveFrom(request, &out);
       },
       grpc::StatusCode::NOT_FOUND, "ASSOCIATION_NOT_FOUND"},
      {"shutdown: mode unspecified",
       [&] { return a.Shutdown(pair.server_assoc, v1::SHUTDOWN_MODE_UNSPECIFIED); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {"shutdown: unknown association",
       [&] { return a.Shutdown(77777, v1::SHUTDOWN_MODE_GRACEFUL); }, grpc::StatusCode::NOT_FOUND,
       "ASSOCIATION_NOT_FOUND"},
      {"close: unknown endpoint",
       [&] {
         grpc::ClientContext context;
         SetTimeout(&context, kCallTimeout);
         v1::CloseEndpointRequest request;
         request.set_session_id(a.session());
         request.set_endpoint_id(55555);
         v1::CloseEndpointResponse response;
         return a.stub().CloseEndpoint(&context, request, &response);
       },
       grpc::StatusCode::NOT_FOUND, "ENDPOINT_NOT_FOUND"},
      {"watch: progress interval below 1 s",
       [&] {
         grpc::ClientContext context;
         SetTimeout(&context, kCallTimeout);
         v1::WatchEventsRequest request = a.WatchAll();
         request.set_progress_interval_ms(10);
         auto reader = a.stub().WatchEvents(&context, request);
         v1::WatchEventsResponse response;
         while (reader->Read(&response)) {
         }
         return reader->Finish();
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
  };
  for (const Case& c : cases) {
    grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), c.code) << c.name << ": " << status.error_message();
    EXPECT_EQ(ErrorReason(status), c.reason) << c.name << ": " << status.error_message();
  }
  // Nothing was half-sent: the batch with one oversized message sent nothing.
  v1::ReceiveRequest request;
  request.set_association_id(pair.server_assoc);
  std::vector<v1::InboundMessage> got;
  EXPECT_EQ(a.ReceiveFrom(request, &got, 500ms).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(got.empty());
  // And the service still works.
  grpc::Status status = b.Send(pair.client_assoc, {Message(0, 0, "still here")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  got = a.ReceiveN(pair.server_assoc, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "still here");
  EXPECT_TRUE(server_->Running());
}

// An ABORT with a reason ends the association on both sides with COMM_LOST.
TEST_F(GatewayLabTest, AbortEndsBothSides) {
  App a(*server_);
  App b(*server_);
  Pair pair = Connect(a, b);
  EventWatch a_events(a.stub(), a.WatchEndpoint(pair.listener.endpoint_id()));
  EventWatch b_events(b.stub(), b.WatchEndpoint(pair.client.endpoint_id()));
  grpc::Status status = b.Shutdown(pair.client_assoc, v1::SHUTDOWN_MODE_ABORT, "going away");
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The aborting side sees COMM_LOST too.
  auto own = b_events.WaitFor(
      IsAssociationChange(pair.client_assoc, v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST), kTimeout);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->detail(), "aborted by the application: going away");
  auto lost = a_events.WaitFor(
      IsAssociationChange(pair.server_assoc, v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST), kTimeout);
  ASSERT_TRUE(lost.ok()) << lost.status();
  // The ABORT carried the reason as a user-initiated abort cause.
  EXPECT_NE(lost->association_change().info().find("going away"), std::string::npos);
  status = b.Send(pair.client_assoc, {Message(0, 0, "too late")});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "ASSOCIATION_CLOSED");
}

// Cancelling an Associate that waits (the peer never answers) aborts the
// half-open association: nothing is left behind.
TEST_F(GatewayLabTest, CancelledAssociateLeavesNothing) {
  ASSERT_TRUE(testing::RunCommand(
                  "ip link add sink2 type veth peer name sink3 && ip link set sink2 up && "
                  "ip link set sink3 up && ip addr add 198.51.100.11/24 dev sink2 && "
                  "ip neigh add 198.51.100.12 lladdr 02:00:00:00:00:12 dev sink2 && "
                  "ip route add 203.0.113.0/24 via 198.51.100.12")
                  .ok());
  App a(*server_);
  v1::Endpoint endpoint = a.Open("0.0.0.0");
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  v1::AssociateRequest request;
  request.set_session_id(a.session());
  request.set_endpoint_id(endpoint.endpoint_id());
  request.add_peer_addresses("203.0.113.8");
  request.set_peer_port(3868);
  v1::AssociateResponse response;
  grpc::Status status;
  std::thread call([&] { status = a.stub().Associate(&context, request, &response); });
  // Wait until the attempt is under way, then cancel it.
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  bool connecting = false;
  while (!connecting && std::chrono::steady_clock::now() < deadline) {
    for (const auto& association : a.Associations()) {
      connecting = connecting || association.state() == v1::ASSOCIATION_STATE_CONNECTING;
    }
  }
  ASSERT_TRUE(connecting);
  context.TryCancel();
  call.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  deadline = std::chrono::steady_clock::now() + kTimeout;
  while (!a.Associations().empty() && std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_TRUE(a.Associations().empty());
  ASSERT_TRUE(testing::RunCommand("ip link del sink2").ok());
}

// A message larger than the configured maximum arrives in parts by
// default (socket_options_lab_test); an endpoint opened with
// OVERSIZED_MESSAGES_ABORT has sctpgw abort the association instead,
// saying why, and serve the others on.
TEST(GatewayLimitsLabTest, OversizedIncomingMessageAbortsItsAssociationWhenAskedTo) {
  auto server = SctpgwServer::Start({"--max-message-bytes", "1000"});
  ASSERT_TRUE(server.ok()) << server.status();
  App a(**server);
  v1::OpenEndpointRequest request;
  request.add_local_addresses("127.0.0.1");
  request.set_listen(true);
  request.set_oversized_messages(v1::OVERSIZED_MESSAGES_ABORT);
  v1::Endpoint listener;
  ASSERT_TRUE(a.OpenEndpoint(request, &listener).ok());
  EventWatch events(a.stub(), a.WatchEndpoint(listener.endpoint_id()));
  auto peer = testing::Subprocess::Start(
      {"/usr/bin/python3", PeerScript(), "connect", "127.0.0.1", absl::StrCat(listener.port())},
      /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("0 1 fits\n0 1 " + std::string(5000, 'x') + "\n").ok());
  auto up = events.WaitFor(IsCommUpOnEndpoint(listener.endpoint_id()), kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();
  auto lost = events.WaitFor(
      IsAssociationChange(up->association_id(), v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST), kTimeout);
  ASSERT_TRUE(lost.ok()) << lost.status();
  EXPECT_NE(lost->detail().find("maximum message size"), std::string::npos) << lost->detail();
  // The message that fitted is still there to read; nothing was cut.
  std::vector<v1::InboundMessage> got = a.ReceiveN(up->association_id(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "fits");
  peer->CloseStdin();
  EXPECT_TRUE((*server)->Stop(kCallTimeout).ok());
}

// A message that cannot be delivered comes back in a SEND_FAILED event with
// its stream, PPID, context and payload: the path to the peer (a Python
// listener in another network namespace) drops everything, then the
// association is aborted with the message still unacknowledged.
TEST_F(GatewayLabTest, UndeliveredMessageComesBackInSendFailed) {
  auto peer_ns = testing::NetNamespace::Create(absl::StrCat("sctpgw-peer-", getpid()));
  ASSERT_TRUE(peer_ns.ok()) << peer_ns.status();
  ASSERT_TRUE(peer_ns->AddLink("gw0", "198.51.100.1/24", "pr0", "198.51.100.2/24").ok());
  auto peer = testing::Subprocess::Start({"ip", "netns", "exec", peer_ns->name(),
                                          "/usr/bin/python3", PeerScript(), "listen",
                                          "198.51.100.2"},
                                         /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  auto banner = peer->ReadStdoutUntil("\n", kCallTimeout);
  ASSERT_TRUE(banner.ok()) << banner.status();
  uint32_t port = static_cast<uint32_t>(std::stoul(banner->substr(5)));

  App a(*server_);
  v1::Endpoint endpoint = a.Open("198.51.100.1");
  EventWatch events(a.stub(), a.WatchEndpoint(endpoint.endpoint_id()));
  v1::Association association;
  grpc::Status status = a.Associate(endpoint.endpoint_id(), "198.51.100.2", port, &association);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_TRUE(testing::RunCommand("tc qdisc add dev gw0 root netem loss 100%").ok());
  v1::OutboundMessage message = Message(2, 9, "lost in transit");
  message.set_context(4242);
  status = a.Send(association.association_id(), {message});
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = a.Shutdown(association.association_id(), v1::SHUTDOWN_MODE_ABORT, "path down");
  ASSERT_TRUE(status.ok()) << status.error_message();

  auto failed = events.WaitFor(
      [&](const v1::Event& e) {
        return e.association_id() == association.association_id() && e.has_send_failed();
      },
      kTimeout);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->send_failed().context(), 4242u);
  EXPECT_EQ(failed->send_failed().stream(), 2u);
  EXPECT_EQ(failed->send_failed().ppid(), 9u);
  EXPECT_EQ(failed->send_failed().payload(), "lost in transit");
  // It came after the association's end, in order.
  auto lost = events.WaitFor(
      IsAssociationChange(association.association_id(), v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST),
      kTimeout);
  ASSERT_TRUE(lost.ok());
  EXPECT_LT(lost->sequence(), failed->sequence());
  ASSERT_TRUE(testing::RunCommand("ip link del gw0").ok());
}

// IPv6: an endpoint bound to both loopbacks accepts an association over ::1.
TEST_F(GatewayLabTest, Ipv6AndSeveralLocalAddresses) {
  App a(*server_);
  App b(*server_);
  v1::OpenEndpointRequest request;
  request.add_local_addresses("::1");
  request.add_local_addresses("127.0.0.1");
  request.set_listen(true);
  v1::Endpoint listener;
  grpc::Status status = a.OpenEndpoint(request, &listener);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(listener.local_addresses_size(), 2);
  EventWatch events(a.stub(), a.WatchEndpoint(listener.endpoint_id()));
  v1::Endpoint client = b.Open("::1");
  v1::Association association;
  status = b.Associate(client.endpoint_id(), "::1", listener.port(), &association);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(association.peer_addresses().empty());
  EXPECT_EQ(association.peer_addresses(0).ip(), "::1");
  auto up = events.WaitFor(IsCommUpOnEndpoint(listener.endpoint_id()), kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();
  status = b.Send(association.association_id(), {Message(0, 5, "over IPv6")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::InboundMessage> got = a.ReceiveN(up->association_id(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "over IPv6");
}

// A subscriber resuming from the last sequence it saw gets every later event
// exactly once; one asking for history no longer kept gets OUT_OF_RANGE.
TEST(GatewayEventsLabTest, ResumeAndCompaction) {
  auto server = SctpgwServer::Start({"--event-history", "16"});
  ASSERT_TRUE(server.ok()) << server.status();
  App a(**server);
  App b(**server);
  // A second stream of A's session stays open throughout: the reference.
  EventWatch reference(a.stub(), a.WatchAll());
  Pair first = Connect(a, b);
  uint64_t last_seen;
  {
    EventWatch watch(a.stub(), a.WatchAll());
    auto up = watch.WaitFor(IsCommUpOnEndpoint(first.listener.endpoint_id()), kTimeout);
    ASSERT_TRUE(up.ok()) << up.status();
    std::vector<v1::Event> events = watch.events();
    last_seen = events.back().sequence();
  }
  // While this client is away: a second association and its end.
  Pair second = Connect(a, b);
  ASSERT_TRUE(b.Shutdown(second.client_assoc, v1::SHUTDOWN_MODE_GRACEFUL).ok());
  v1::WatchEventsRequest resume = a.WatchAll();
  resume.set_after_sequence(last_seen);
  EventWatch resumed(a.stub(), resume);
  auto is_comp =
      IsAssociationChange(second.server_assoc, v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP);
  ASSERT_TRUE(resumed.WaitFor(is_comp, kTimeout).ok());
  ASSERT_TRUE(reference.WaitFor(is_comp, kTimeout).ok());
  // Exactly the session's events after last_seen: nothing missed, nothing
  // repeated, nothing of B's session (sequences are service-wide, so a
  // session's stream has gaps where other sessions' events are).
  std::vector<uint64_t> expected;
  for (const v1::Event& event : reference.events()) {
    if (event.sequence() > last_seen) expected.push_back(event.sequence());
  }
  std::vector<uint64_t> got;
  for (const v1::Event& event : resumed.events()) got.push_back(event.sequence());
  got.resize(std::min(got.size(), expected.size()));
  EXPECT_EQ(got, expected);
  EXPECT_FALSE(expected.empty());

  // Push the first events out of the 16 kept.
  for (int i = 0; i < 4; ++i) {
    Pair more = Connect(a, b);
    ASSERT_TRUE(b.Shutdown(more.client_assoc, v1::SHUTDOWN_MODE_GRACEFUL).ok());
  }
  v1::WatchEventsRequest stale = a.WatchAll();
  stale.set_after_sequence(1);
  EventWatch compacted(a.stub(), stale);
  auto end = compacted.WaitForEnd(kCallTimeout);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(ErrorReason(*end), "HISTORY_COMPACTED");
  EXPECT_TRUE((*server)->Stop(kCallTimeout).ok());
}

// An idle event stream gets progress messages.
TEST_F(GatewayLabTest, IdleEventStreamGetsProgress) {
  App a(*server_);
  v1::WatchEventsRequest request = a.WatchAll();
  request.set_progress_interval_ms(1000);
  EventWatch watch(a.stub(), request);
  auto progress = watch.WaitForResponse(
      [](const v1::WatchEventsResponse& r) { return r.has_progress(); }, kCallTimeout);
  ASSERT_TRUE(progress.ok()) << progress.status();
  EXPECT_TRUE(progress->progress().has_time());
  EXPECT_TRUE(watch.responses().front().has_ack());
}

// SIGTERM: waiting calls and event streams end at once with UNAVAILABLE
// (SHUTTING_DOWN), and sctpgw exits cleanly.
TEST(GatewayStopLabTest, SigtermEndsWaitingCallsAndStreams) {
  auto server = SctpgwServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  App a(**server);
  App b(**server);
  Pair pair = Connect(a, b);
  EventWatch watch(a.stub(), a.WatchAll());
  ASSERT_TRUE(watch.WaitForResponse([](const v1::WatchEventsResponse& r) { return r.has_ack(); },
                                    kCallTimeout)
                  .ok());
  grpc::Status receive_status;
  std::thread receiver([&] {
    v1::ReceiveRequest request;
    request.set_association_id(pair.server_assoc);
    std::vector<v1::InboundMessage> got;
    receive_status = a.ReceiveFrom(request, &got);
  });
  // Stop the service once the receive waits in it.
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  bool waiting = false;
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    v1::GetAssociationResponse info;
    ASSERT_TRUE(a.GetAssociation(pair.server_assoc, &info).ok());
    waiting = info.association().waiting_receives() == 1;
  }
  ASSERT_TRUE(waiting);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*server)->Stop(kCallTimeout).ok());
  receiver.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "stopping waited for the drain limit";
  EXPECT_EQ(receive_status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << receive_status.error_message();
  auto end = watch.WaitForEnd(kCallTimeout);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE);
}
// Prometheus metrics over HTTP count what happened: two associations up,
// one message each way, the COMM_UP events, kernel SCTP available.
TEST(GatewayMetricsLabTest, MetricsCountAssociationsMessagesAndEvents) {
  auto server = SctpgwServer::Start({"--metrics-listen", "127.0.0.1:9464"});
  ASSERT_TRUE(server.ok()) << server.status();
  testing::App a(**server), b(**server);
  testing::Pair pair = testing::Connect(a, b);
  ASSERT_TRUE(b.Send(pair.client_assoc, {testing::Message(0, 0, "hello metrics")}).ok());
  ASSERT_EQ(a.ReceiveN(pair.server_assoc, 1).size(), 1u);
  auto scrape = StartShell(
      "/usr/bin/python3 -c 'import urllib.request,sys; "
      "r=urllib.request.urlopen(\"http://127.0.0.1:9464/metrics\", timeout=30); "
      "print(r.headers[\"Content-Type\"]); sys.stdout.write(r.read().decode())'",
      /*keep_stdin=*/false);
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  ASSERT_TRUE(scrape->Wait(kTimeout).ok());
  std::string body = scrape->ReadStdout(0ms);
  for (const char* line : {"text/plain; version=0.0.4",
                           "\nsctpgw_kernel_sctp_available 1\n",
                           "\nsctpgw_sessions 2\n",
                           "\nsctpgw_endpoints 2\n",
                           "\nsctpgw_associations{state=\"established\"} 2\n",
                           "\nsctpgw_sent_messages_total 1\n",
                           "\nsctpgw_sent_bytes_total 13\n",
                           "\nsctpgw_received_messages_total 1\n",
                           "\nsctpgw_events_total{type=\"assoc_change\",state=\"comm_up\"} 2\n"}) {
    EXPECT_NE(body.find(line), std::string::npos) << "missing " << line << " in\n" << body;
  }
  EXPECT_TRUE((*server)->Stop(kCallTimeout).ok());
}

}  // namespace
}  // namespace sctpgw
