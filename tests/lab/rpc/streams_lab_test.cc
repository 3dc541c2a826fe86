// The streaming data path (SendStream, ReceiveStream) end to end: sctpgw,
// real kernel SCTP, an independent peer (Python's kernel socket module).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/process.h"
#include "tests/lab/support/sctpgw_server.h"

namespace sctpgw {
namespace {

using testing::ErrorMetadata;

using namespace std::chrono_literals;
using testing::App;
using testing::ErrorReason;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Message;
using testing::PeerScript;
using testing::SctpgwServer;
using testing::SetTimeout;
using testing::Subprocess;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

using StreamsLabTest = testing::ServerTest;


// A Python peer listening on 127.0.0.1; returns it and its port.
std::pair<Subprocess, uint32_t> ListeningPeer() {
  auto peer = Subprocess::Start({"/usr/bin/python3", PeerScript(), "listen", "127.0.0.1"},
                                /*keep_stdin=*/true);
  EXPECT_TRUE(peer.ok()) << peer.status();
  auto banner = peer->ReadStdoutUntil("\n", kCallTimeout);
  EXPECT_TRUE(banner.ok()) << banner.status();
  return {std::move(*peer), static_cast<uint32_t>(std::stoul(banner->substr(5)))};
}

// The "got STREAM PPID TEXT" lines the peer printed, as (stream, text).
std::vector<std::pair<int, std::string>> GotLines(const std::string& out) {
  std::vector<std::pair<int, std::string>> got;
  size_t at = 0;
  while ((at = out.find("got ", at)) != std::string::npos) {
    size_t end = out.find('\n', at);
    std::string line = out.substr(at + 4, end - at - 4);
    size_t space = line.find(' ');
    size_t text = line.find(' ', space + 1);
    got.emplace_back(std::stoi(line.substr(0, space)), line.substr(text + 1));
    at = end;
  }
  return got;
}

// 100 requests of 5 messages on three streams through one SendStream: the
// peer gets all 500, in order on each stream; the stream's totals say so.
TEST_F(StreamsLabTest, SendStreamDeliversEveryMessageInOrder) {
  App app(*server_);
  auto [peer, port] = ListeningPeer();
  v1::Endpoint endpoint = app.Open("127.0.0.1");
  v1::Association association;
  grpc::Status status = app.Associate(endpoint.endpoint_id(), "127.0.0.1", port, &association);
  ASSERT_TRUE(status.ok()) << status.error_message();
  constexpr int kRequests = 100, kPerRequest = 5;
  ASSERT_TRUE(peer.WriteStdin(absl::StrCat("recv ", kRequests * kPerRequest, "\n")).ok());

  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  auto stream = app.stub().SendStream(&context);
  for (int r = 0; r < kRequests; ++r) {
    v1::SendRequest request;
    request.set_session_id(app.session());
    request.set_association_id(association.association_id());
    for (int i = 0; i < kPerRequest; ++i) {
      int n = r * kPerRequest + i;
      *request.add_messages() = Message(n % 3, 60, absl::StrCat("m", n));
    }
    ASSERT_TRUE(stream->Write(request)) << "request " << r;
  }
  stream->WritesDone();
  v1::SendStreamResponse ack, last;
  uint64_t previous = 0;
  while (stream->Read(&ack)) {
    EXPECT_GT(ack.completed_requests(), previous);  // Progress only.
    previous = ack.completed_requests();
    last = ack;
  }
  status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(last.completed_requests(), uint64_t{kRequests});
  EXPECT_EQ(last.accepted_messages(), uint64_t{kRequests * kPerRequest});

  auto out = peer.ReadStdoutUntil("done", kTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  auto got = GotLines(*out);
  ASSERT_EQ(got.size(), size_t{kRequests * kPerRequest});
  std::map<int, int> next;  // Per stream: the next number expected.
  for (int s = 0; s < 3; ++s) next[s] = s;
  for (const auto& [stream_id, text] : got) {
    ASSERT_EQ(text, absl::StrCat("m", next[stream_id])) << "stream " << stream_id;
    next[stream_id] += 3;
  }
  peer.CloseStdin();
  EXPECT_TRUE(peer.Wait(kCallTimeout).ok());
}

// A bad request ends the stream with Send's error and how many requests were
// done before it; what came before is delivered, nothing after it is sent.
TEST_F(StreamsLabTest, SendStreamEndsAtTheFirstBadRequest) {
  App app(*server_);
  auto [peer, port] = ListeningPeer();
  v1::Endpoint endpoint = app.Open("127.0.0.1");
  v1::Association association;
  grpc::Status status = app.Associate(endpoint.endpoint_id(), "127.0.0.1", port, &association);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(peer.WriteStdin("recv 2\n").ok());

  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  auto stream = app.stub().SendStream(&context);
  v1::SendRequest request;
  request.set_session_id(app.session());
  request.set_association_id(association.association_id());
  *request.add_messages() = Message(1, 7, "first");
  *request.add_messages() = Message(2, 7, "second");
  ASSERT_TRUE(stream->Write(request));
  request.clear_messages();
  *request.add_messages() = Message(50, 7, "stream 50 of 10");
  stream->Write(request);  // May fail: the stream may already have ended.
  request.clear_messages();
  *request.add_messages() = Message(1, 7, "never sent");
  stream->Write(request);
  stream->WritesDone();
  v1::SendStreamResponse ack;
  while (stream->Read(&ack)) {
  }
  status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "STREAM_OUT_OF_RANGE");
  EXPECT_EQ(ErrorMetadata(status)["completed_requests"], "1");

  auto out = peer.ReadStdoutUntil("done", kTimeout);
  ASSERT_TRUE(out.ok()) << out.status();
  auto got = GotLines(*out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].second, "first");
  EXPECT_EQ(got[1].second, "second");
  // The association is still usable: the bad request only ended the stream.
  ASSERT_TRUE(peer.WriteStdin("recv 1\n").ok());
  status = app.Send(association.association_id(), {Message(3, 7, "after")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  out = peer.ReadStdoutUntil("got 3 7 after\n", kTimeout);
  EXPECT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->find("never sent"), std::string::npos);

  // Unknown association: NOT_FOUND, nothing completed.
  grpc::ClientContext unknown_context;
  SetTimeout(&unknown_context, kCallTimeout);
  auto unknown = app.stub().SendStream(&unknown_context);
  request.set_association_id(987654);
  unknown->Write(request);
  unknown->WritesDone();
  while (unknown->Read(&ack)) {
  }
  status = unknown->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["completed_requests"], "0");
  peer.CloseStdin();
  EXPECT_TRUE(peer.Wait(kCallTimeout).ok());
}

// A peer's 300 messages arrive through one ReceiveStream, in order with
// their streams and PPIDs; when the peer ends the association the stream
// ends OK after the last message.
TEST_F(StreamsLabTest, ReceiveStreamDeliversEverythingThenEnds) {
  App app(*server_);
  v1::Endpoint listener = app.Listen("127.0.0.1");
  auto peer = Subprocess::Start(
      {"/usr/bin/python3", PeerScript(), "connect", "127.0.0.1", absl::StrCat(listener.port())},
      /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  constexpr int kMessages = 300;
  ASSERT_TRUE(peer->WriteStdin("0 1 first\n").ok());
  std::vector<v1::InboundMessage> first;
  v1::ReceiveRequest request;
  request.set_endpoint_id(listener.endpoint_id());
  grpc::Status status = app.ReceiveFrom(request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(first.size(), 1u);
  const uint64_t association_id = first[0].association_id();

  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  request.Clear();
  request.set_session_id(app.session());
  request.set_association_id(association_id);
  auto stream = app.stub().ReceiveStream(&context, request);
  std::string lines;
  for (int n = 0; n < kMessages; ++n) lines += absl::StrCat(n % 4, " ", 100 + n, " n", n, "\n");
  ASSERT_TRUE(peer->WriteStdin(lines).ok());
  peer->CloseStdin();  // After its last message the peer shuts down gracefully.

  std::vector<v1::InboundMessage> got;
  v1::ReceiveResponse response;
  while (stream->Read(&response)) {
    EXPECT_GT(response.messages_size(), 0);
    for (const auto& message : response.messages()) got.push_back(message);
  }
  status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  ASSERT_EQ(got.size(), size_t{kMessages});
  for (int n = 0; n < kMessages; ++n) {
    EXPECT_EQ(got[n].payload(), absl::StrCat("n", n));
    EXPECT_EQ(got[n].stream(), uint32_t(n % 4));
    EXPECT_EQ(got[n].ppid(), uint32_t(100 + n));
    EXPECT_EQ(got[n].association_id(), association_id);
  }
  EXPECT_TRUE(peer->Wait(kCallTimeout).ok());
}

// ReceiveStream's bad input: unknown association NOT_FOUND, an out-of-range
// batch size INVALID_ARGUMENT naming the field.
TEST_F(StreamsLabTest, ReceiveStreamRefusesBadRequests) {
  App app(*server_);
  v1::ReceiveRequest request;
  request.set_session_id(app.session());
  request.set_association_id(424242);
  {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    auto stream = app.stub().ReceiveStream(&context, request);
    v1::ReceiveResponse response;
    EXPECT_FALSE(stream->Read(&response));
    grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
    EXPECT_EQ(ErrorReason(status), "ASSOCIATION_NOT_FOUND");
  }
  request.set_max_messages(5000);
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  auto stream = app.stub().ReceiveStream(&context, request);
  v1::ReceiveResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorMetadata(status)["field"], "max_messages");
}

// Streams cancelled mid-flow, while a send waits on a full association and
// while messages are being pushed: each ends CANCELLED, the association and
// the service keep working.
TEST_F(StreamsLabTest, CancelledStreamsLeaveTheAssociationWorking) {
  App a(*server_);
  App b(*server_);
  testing::Pair pair = testing::Connect(a, b);
  // A does not read: B's stream fills A's queue and the kernel's buffers,
  // then waits in sctpgw on a full association.
  grpc::ClientContext send_context;
  auto sender = b.stub().SendStream(&send_context);
  v1::SendRequest request;
  request.set_session_id(b.session());
  request.set_association_id(pair.client_assoc);
  for (int i = 0; i < 64; ++i) *request.add_messages() = Message(0, 0, std::string(16384, 'x'));
  std::thread writer([&] {
    while (sender->Write(request)) {
    }
  });
  // Wait until A's queue is full (sctpgw stopped reading A's socket), so
  // that B's requests back up behind the kernel.
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  uint64_t queued = 0;
  constexpr uint64_t kFull = (1u << 20) - 2 * 16384;  // The queue limit, less what one read may add.
  while (queued < kFull && std::chrono::steady_clock::now() < deadline) {
    v1::GetAssociationResponse info;
    ASSERT_TRUE(a.GetAssociation(pair.server_assoc, &info).ok());
    queued = info.association().queued_bytes();
  }
  ASSERT_GE(queued, kFull) << "A's queue did not fill";
  send_context.TryCancel();
  writer.join();
  v1::SendStreamResponse ack;
  while (sender->Read(&ack)) {
  }
  grpc::Status status = sender->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();

  // A's side: a stream pushing what queued up, cancelled after one response.
  grpc::ClientContext receive_context;
  v1::ReceiveRequest receive;
  receive.set_session_id(a.session());
  receive.set_association_id(pair.server_assoc);
  auto receiver = a.stub().ReceiveStream(&receive_context, receive);
  v1::ReceiveResponse response;
  ASSERT_TRUE(receiver->Read(&response)) << receiver->Finish().error_message();
  EXPECT_GT(response.messages_size(), 0);
  receive_context.TryCancel();
  while (receiver->Read(&response)) {
  }
  status = receiver->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();

  // The association still carries messages both ways.
  status = a.Send(pair.server_assoc, {Message(1, 9, "still here")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::InboundMessage> got = b.ReceiveN(pair.client_assoc, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "still here");
  v1::GetAssociationResponse info;
  ASSERT_TRUE(a.GetAssociation(pair.server_assoc, &info).ok());
  EXPECT_EQ(info.association().state(), v1::ASSOCIATION_STATE_ESTABLISHED);
}

// An open ReceiveStream keeps its session alive past the lease, as an event
// stream does: a 1 s lease outlives a 3 s stream on an idle association.
TEST_F(StreamsLabTest, ReceiveStreamKeepsItsSessionAlive) {
  App a(*server_, "", /*lease_ms=*/1000);
  App b(*server_);
  testing::Pair pair = testing::Connect(a, b);
  grpc::ClientContext context;
  SetTimeout(&context, 3s);
  v1::ReceiveRequest request;
  request.set_session_id(a.session());
  request.set_association_id(pair.server_assoc);
  auto stream = a.stub().ReceiveStream(&context, request);
  v1::ReceiveResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  v1::GetAssociationResponse info;
  status = a.GetAssociation(pair.server_assoc, &info);
  EXPECT_TRUE(status.ok()) << "the session expired under an open stream: " << status.error_message();
}

// SIGTERM with an idle SendStream and a waiting ReceiveStream open: both end
// at once with UNAVAILABLE (SHUTTING_DOWN) and sctpgw exits cleanly.
TEST(StreamsStopLabTest, SigtermEndsOpenStreams) {
  auto server = SctpgwServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  App a(**server);
  App b(**server);
  testing::Pair pair = testing::Connect(a, b);

  grpc::ClientContext send_context;
  auto sender = b.stub().SendStream(&send_context);
  v1::SendRequest request;
  request.set_session_id(b.session());
  request.set_association_id(pair.client_assoc);
  *request.add_messages() = Message(0, 0, "one");
  ASSERT_TRUE(sender->Write(request));
  v1::SendStreamResponse ack;
  ASSERT_TRUE(sender->Read(&ack));  // Done: the stream now waits on us.
  EXPECT_EQ(ack.completed_requests(), 1u);

  grpc::ClientContext receive_context;
  v1::ReceiveRequest receive;
  receive.set_session_id(a.session());
  receive.set_association_id(pair.server_assoc);
  auto receiver = a.stub().ReceiveStream(&receive_context, receive);
  v1::ReceiveResponse response;
  ASSERT_TRUE(receiver->Read(&response));
  ASSERT_EQ(response.messages_size(), 1);
  EXPECT_EQ(response.messages(0).payload(), "one");

  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*server)->Stop(kCallTimeout).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "stopping waited for the drain limit";
  EXPECT_FALSE(receiver->Read(&response));
  grpc::Status status = receiver->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_FALSE(sender->Read(&ack));
  status = sender->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

}  // namespace
}  // namespace sctpgw
