// Hostile input and long use: every RPC fed malformed and foreign values gets
// its documented code and leaves the service healthy; an events stream that
// is never read costs the service one write and ends with a clear status; a
// soak of sessions that open, use and drop associations with faults leaves
// file descriptors, associations and memory where they started, with every
// message delivered exactly once and in order.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/sctpgw_server.h"

namespace sctpgw {
namespace {

using namespace std::chrono_literals;
using testing::App;
using testing::Connect;
using testing::ErrorReason;
using testing::EventWatch;
using testing::IsAssociationChange;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Message;
using testing::Pair;
using testing::SctpgwServer;
using testing::SetTimeout;
using Stub = v1::GatewayService::Stub;

using RobustnessLabTest = testing::ServerTest;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

// Loss on loopback (SCTP only: gRPC runs over a unix socket) until the end of
// the scope, whatever the test's outcome.
class LoopbackLoss {
 public:
  LoopbackLoss() { ok_ = testing::RunCommand("tc qdisc add dev lo root netem loss 100%").ok(); }
  ~LoopbackLoss() {
    if (ok_) (void)testing::RunCommand("tc qdisc del dev lo root");
  }
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

// One unary call through the generated stub with a deadline `timeout` from
// now (negative: already expired).
template <typename Request, typename Response>
grpc::Status Unary(Stub& stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, std::chrono::milliseconds timeout = kCallTimeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  Response response;
  return (stub.*method)(&context, request, &response);
}

// A server-streaming call read to its end: its final status.
template <typename Request, typename Response>
grpc::Status Streamed(Stub& stub,
                      std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(
                          grpc::ClientContext*, const Request&),
                      const Request& request) {
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  auto reader = (stub.*method)(&context, request);
  Response response;
  while (reader->Read(&response)) {
  }
  return reader->Finish();
}

grpc::Status SendStreamOnce(Stub& stub, const v1::SendRequest& request) {
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  auto stream = stub.SendStream(&context);
  stream->Write(request);
  stream->WritesDone();
  v1::SendStreamResponse response;
  while (stream->Read(&response)) {
  }
  return stream->Finish();
}

template <typename Request>
Request WithSession(const std::string& session) {
  Request request;
  request.set_session_id(session);
  return request;
}

std::map<std::string, std::string> ProcStatus(pid_t pid) {
  std::map<std::string, std::string> out;
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out[line.substr(0, colon)] = value;
  }
  return out;
}

size_t ResidentKiB(pid_t pid) {
  size_t kib = 0;
  std::string value = ProcStatus(pid)["VmRSS"];
  (void)absl::SimpleAtoi(value.substr(0, value.find(' ')), &kib);
  return kib;
}

size_t OpenFds(pid_t pid) {
  size_t count = 0;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

// Waits until `condition` holds, checking every 50 ms, up to `timeout`
// (there is no event for "the service let go of its sockets").
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

// sctpgw's Prometheus metrics as name{labels} -> value.
std::map<std::string, double> Scrape(const std::string& address) {
  std::map<std::string, double> out;
  auto scrape = testing::StartShell(
      absl::StrCat("/usr/bin/python3 -c 'import urllib.request,sys; sys.stdout.write("
                   "urllib.request.urlopen(\"http://",
                   address, "/metrics\", timeout=30).read().decode())'"),
      /*keep_stdin=*/false);
  if (!scrape.ok() || !scrape->Wait(kTimeout).ok()) return out;
  std::string body = scrape->ReadStdout(0ms);
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    double value = 0;
    if (space != std::string::npos && absl::SimpleAtod(line.substr(space + 1), &value)) {
      out[line.substr(0, space)] = value;
    }
  }
  return out;
}

double Sum(const std::map<std::string, double>& metrics, const std::string& name) {
  double sum = 0;
  for (const auto& [key, value] : metrics) {
    if (key == name || key.rfind(name + "{", 0) == 0) sum += value;
  }
  return sum;
}

bool Serving(const SctpgwServer& server) {
  auto channel = grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(&context, request, &response);
  return status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

TEST_F(RobustnessLabTest, EveryRpcRefusesBadInputWithItsCode) {
  App a(*server_);
  App b(*server_);
  App other(*server_);  // Owns nothing of the pair: its ids are foreign to it.
  Pair pair = Connect(a, b);
  Stub& stub = a.stub();
  const std::string unknown_session = std::string(32, 'f');
  const std::string mine = a.session();
  const std::string theirs = other.session();
  const uint64_t endpoint = pair.listener.endpoint_id();
  const uint64_t association = pair.server_assoc;

  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
    grpc::StatusCode code;
    std::string reason;
  };
  std::vector<Case> cases;
  auto add = [&](std::string name, std::function<grpc::Status()> call, grpc::StatusCode code,
                 std::string reason) {
    cases.push_back({std::move(name), std::move(call), code, std::move(reason)});
  };

  // Every RPC that takes a session: an unknown id, an empty one, and another
  // session's objects named from a session that does not own them.
  for (const std::string& session : {unknown_session, std::string()}) {
    const std::string label = session.empty() ? "empty session" : "unknown session";
    auto not_found = grpc::StatusCode::NOT_FOUND;
    add(label + ": CloseSession",
        [&stub, session] {
          return Unary(stub, &Stub::CloseSession, WithSession<v1::CloseSessionRequest>(session));
        },
        not_found, "SESSION_NOT_FOUND");
    add(label + ": OpenEndpoint",
        [&stub, session] {
          auto request = WithSession<v1::OpenEndpointRequest>(session);
          request.add_local_addresses("127.0.0.1");
          return Unary(stub, &Stub::OpenEndpoint, request);
        },
        not_found, "SESSION_NOT_FOUND");
    add(label + ": ListEndpoints",
        [&stub, session] {
          return Unary(stub, &Stub::ListEndpoints, WithSession<v1::ListEndpointsRequest>(session));
        },
        not_found, "SESSION_NOT_FOUND");
    add(label + ": Send",
        [&stub, session, association] {
          auto request = WithSession<v1::SendRequest>(session);
          request.set_association_id(association);
          *request.add_messages() = Message(0, 0, "x");
          return Unary(stub, &Stub::Send, request);
        },
        not_found, "SESSION_NOT_FOUND");
    add(label + ": SendStream",
        [&stub, session, association] {
          auto request = WithSession<v1::SendRequest>(session);
          request.set_association_id(association);
          *request.add_messages() = Message(0, 0, "x");
          return SendStreamOnce(stub, request);
        },
        not_found, "SESSION_NOT_FOUND");
    add(label + ": Receive",
        [&stub, session, association] {
          auto request = WithSession<v1::ReceiveRequest>(session);
          request.set_association_id(association);
          return Unary(stub, &Stub::Receive, request);
        },
        not_found, "SESSION_NOT_FOUND");
    add(label + ": ReceiveStream",
        [&stub, session, association] {
          auto request = WithSession<v1::ReceiveRequest>(session);
          request.set_association_id(association);
          return Streamed(stub, &Stub::ReceiveStream, request);
        },
        not_found, "SESSION_NOT_FOUND");
    add(label + ": ListAssociations",
        [&stub, session] {
          return Unary(stub, &Stub::ListAssociations,
                       WithSession<v1::ListAssociationsRequest>(session));
        },
        not_found, "SESSION_NOT_FOUND");
    add(label + ": WatchEvents",
        [&stub, session] {
          return Streamed(stub, &Stub::WatchEvents, WithSession<v1::WatchEventsRequest>(session));
        },
        not_found, "SESSION_NOT_FOUND");
  }

  auto foreign = grpc::StatusCode::NOT_FOUND;
  add("foreign endpoint: CloseEndpoint",
      [&] {
        auto request = WithSession<v1::CloseEndpointRequest>(theirs);
        request.set_endpoint_id(endpoint);
        return Unary(stub, &Stub::CloseEndpoint, request);
      },
      foreign, "ENDPOINT_NOT_FOUND");
  add("foreign endpoint: UpdateEndpointAddresses",
      [&] {
        auto request = WithSession<v1::UpdateEndpointAddressesRequest>(theirs);
        request.set_endpoint_id(endpoint);
        request.add_add_addresses("127.0.0.2");
        return Unary(stub, &Stub::UpdateEndpointAddresses, request);
      },
      foreign, "ENDPOINT_NOT_FOUND");
  add("foreign endpoint: Associate",
      [&] {
        auto request = WithSession<v1::AssociateRequest>(theirs);
        request.set_endpoint_id(endpoint);
        request.add_peer_addresses("127.0.0.1");
        request.set_peer_port(pair.listener.port());
        return Unary(stub, &Stub::Associate, request);
      },
      foreign, "ENDPOINT_NOT_FOUND");
  add("foreign endpoint: Receive",
      [&] {
        auto request = WithSession<v1::ReceiveRequest>(theirs);
        request.set_endpoint_id(endpoint);
        return Unary(stub, &Stub::Receive, request);
      },
      foreign, "ENDPOINT_NOT_FOUND");
  add("foreign endpoint: ListAssociations",
      [&] {
        auto request = WithSession<v1::ListAssociationsRequest>(theirs);
        request.set_endpoint_id(endpoint);
        return Unary(stub, &Stub::ListAssociations, request);
      },
      foreign, "ENDPOINT_NOT_FOUND");
  add("foreign association: Send",
      [&] {
        auto request = WithSession<v1::SendRequest>(theirs);
        request.set_association_id(association);
        *request.add_messages() = Message(0, 0, "x");
        return Unary(stub, &Stub::Send, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: SendStream",
      [&] {
        auto request = WithSession<v1::SendRequest>(theirs);
        request.set_association_id(association);
        *request.add_messages() = Message(0, 0, "x");
        return SendStreamOnce(stub, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: ReceiveStream",
      [&] {
        auto request = WithSession<v1::ReceiveRequest>(theirs);
        request.set_association_id(association);
        return Streamed(stub, &Stub::ReceiveStream, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: Shutdown",
      [&] {
        auto request = WithSession<v1::ShutdownRequest>(theirs);
        request.set_association_id(association);
        request.set_mode(v1::SHUTDOWN_MODE_ABORT);
        return Unary(stub, &Stub::Shutdown, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: GetAssociation",
      [&] {
        auto request = WithSession<v1::GetAssociationRequest>(theirs);
        request.set_association_id(association);
        return Unary(stub, &Stub::GetAssociation, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: SetPrimaryPath",
      [&] {
        auto request = WithSession<v1::SetPrimaryPathRequest>(theirs);
        request.set_association_id(association);
        request.set_peer_address("127.0.0.1");
        return Unary(stub, &Stub::SetPrimaryPath, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: RequestPeerPrimaryPath",
      [&] {
        auto request = WithSession<v1::RequestPeerPrimaryPathRequest>(theirs);
        request.set_association_id(association);
        request.set_local_address("127.0.0.1");
        return Unary(stub, &Stub::RequestPeerPrimaryPath, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: ConfigurePaths",
      [&] {
        auto request = WithSession<v1::ConfigurePathsRequest>(theirs);
        request.set_association_id(association);
        request.mutable_parameters()->set_rto_min_ms(100);
        return Unary(stub, &Stub::ConfigurePaths, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: ResetStreams",
      [&] {
        auto request = WithSession<v1::ResetStreamsRequest>(theirs);
        request.set_association_id(association);
        request.set_direction(v1::STREAM_RESET_DIRECTION_OUTGOING);
        return Unary(stub, &Stub::ResetStreams, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: ResetAssociation",
      [&] {
        auto request = WithSession<v1::ResetAssociationRequest>(theirs);
        request.set_association_id(association);
        return Unary(stub, &Stub::ResetAssociation, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: AddStreams",
      [&] {
        auto request = WithSession<v1::AddStreamsRequest>(theirs);
        request.set_association_id(association);
        request.set_outbound(1);
        return Unary(stub, &Stub::AddStreams, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: ConfigureStreams",
      [&] {
        auto request = WithSession<v1::ConfigureStreamsRequest>(theirs);
        request.set_association_id(association);
        request.set_scheduler(v1::STREAM_SCHEDULER_ROUND_ROBIN);
        return Unary(stub, &Stub::ConfigureStreams, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: ChangeAuthKey",
      [&] {
        auto request = WithSession<v1::ChangeAuthKeyRequest>(theirs);
        request.set_association_id(association);
        request.set_action(v1::AUTH_KEY_ACTION_DEACTIVATE);
        request.set_key_id(1);
        return Unary(stub, &Stub::ChangeAuthKey, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");
  add("foreign association: RequestHeartbeat",
      [&] {
        auto request = WithSession<v1::RequestHeartbeatRequest>(theirs);
        request.set_association_id(association);
        return Unary(stub, &Stub::RequestHeartbeat, request);
      },
      foreign, "ASSOCIATION_NOT_FOUND");

  // Values out of range, malformed, or absurd, from the owning session.
  auto invalid = grpc::StatusCode::INVALID_ARGUMENT;
  add("OpenEndpoint: 65 local addresses",
      [&] {
        auto request = WithSession<v1::OpenEndpointRequest>(mine);
        for (int i = 0; i < 65; ++i) request.add_local_addresses("127.0.0.1");
        return Unary(stub, &Stub::OpenEndpoint, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("OpenEndpoint: address with a zone and garbage",
      [&] {
        auto request = WithSession<v1::OpenEndpointRequest>(mine);
        request.add_local_addresses(std::string("127.0.0.1\0evil", 14));
        return Unary(stub, &Stub::OpenEndpoint, request);
      },
      invalid, "INVALID_ADDRESS");
  add("OpenEndpoint: port 4294967295",
      [&] {
        auto request = WithSession<v1::OpenEndpointRequest>(mine);
        request.add_local_addresses("127.0.0.1");
        request.set_port(0xffffffffu);
        return Unary(stub, &Stub::OpenEndpoint, request);
      },
      invalid, "INVALID_PORT");
  add("OpenEndpoint: 65536 outbound streams",
      [&] {
        auto request = WithSession<v1::OpenEndpointRequest>(mine);
        request.add_local_addresses("127.0.0.1");
        request.mutable_init()->set_outbound_streams(65536);
        return Unary(stub, &Stub::OpenEndpoint, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("OpenEndpoint: backlog 70000",
      [&] {
        auto request = WithSession<v1::OpenEndpointRequest>(mine);
        request.add_local_addresses("127.0.0.1");
        request.set_backlog(70000);
        return Unary(stub, &Stub::OpenEndpoint, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("OpenEndpoint: rto_min above rto_max",
      [&] {
        auto request = WithSession<v1::OpenEndpointRequest>(mine);
        request.add_local_addresses("127.0.0.1");
        request.mutable_path_parameters()->set_rto_min_ms(500);
        request.mutable_path_parameters()->set_rto_max_ms(100);
        return Unary(stub, &Stub::OpenEndpoint, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("UpdateEndpointAddresses: malformed address",
      [&] {
        auto request = WithSession<v1::UpdateEndpointAddressesRequest>(mine);
        request.set_endpoint_id(endpoint);
        request.add_add_addresses("::ffff:1.2.3");
        return Unary(stub, &Stub::UpdateEndpointAddresses, request);
      },
      invalid, "INVALID_ADDRESS");
  add("Associate: peer port 65536",
      [&] {
        auto request = WithSession<v1::AssociateRequest>(mine);
        request.set_endpoint_id(endpoint);
        request.add_peer_addresses("127.0.0.1");
        request.set_peer_port(65536);
        return Unary(stub, &Stub::Associate, request);
      },
      invalid, "INVALID_PORT");
  add("Associate: deadline already passed",
      [&] {
        v1::Endpoint spare = a.Open("127.0.0.1");
        auto request = WithSession<v1::AssociateRequest>(mine);
        request.set_endpoint_id(spare.endpoint_id());
        request.add_peer_addresses("127.0.0.1");
        request.set_peer_port(pair.listener.port());
        return Unary(stub, &Stub::Associate, request, -1000ms);
      },
      grpc::StatusCode::DEADLINE_EXCEEDED, "");
  add("Send: 1025 messages",
      [&] {
        auto request = WithSession<v1::SendRequest>(mine);
        request.set_association_id(association);
        for (int i = 0; i < 1025; ++i) *request.add_messages() = Message(0, 0, "x");
        return Unary(stub, &Stub::Send, request);
      },
      grpc::StatusCode::RESOURCE_EXHAUSTED, "LIMIT_EXCEEDED");
  add("Send: stream 4294967295",
      [&] {
        auto request = WithSession<v1::SendRequest>(mine);
        request.set_association_id(association);
        *request.add_messages() = Message(0xffffffffu, 0, "x");
        return Unary(stub, &Stub::Send, request);
      },
      invalid, "STREAM_OUT_OF_RANGE");
  add("Send: two PR-SCTP policies at once",
      [&] {
        auto request = WithSession<v1::SendRequest>(mine);
        request.set_association_id(association);
        v1::OutboundMessage message = Message(0, 0, "x");
        message.set_lifetime_ms(100);
        message.set_priority(1);
        *request.add_messages() = message;
        return Unary(stub, &Stub::Send, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("Send: peer_address not of the association",
      [&] {
        auto request = WithSession<v1::SendRequest>(mine);
        request.set_association_id(association);
        v1::OutboundMessage message = Message(0, 0, "x");
        message.set_peer_address("203.0.113.77");
        *request.add_messages() = message;
        return Unary(stub, &Stub::Send, request);
      },
      invalid, "INVALID_ADDRESS");
  add("RequestHeartbeat: malformed peer_address",
      [&] {
        auto request = WithSession<v1::RequestHeartbeatRequest>(mine);
        request.set_association_id(association);
        request.set_peer_address(std::string("127.0.0.1\0x", 11));
        return Unary(stub, &Stub::RequestHeartbeat, request);
      },
      invalid, "INVALID_ADDRESS");
  add("Send: association 0",
      [&] {
        auto request = WithSession<v1::SendRequest>(mine);
        *request.add_messages() = Message(0, 0, "x");
        return Unary(stub, &Stub::Send, request);
      },
      grpc::StatusCode::NOT_FOUND, "ASSOCIATION_NOT_FOUND");
  add("SendStream: empty payload",
      [&] {
        auto request = WithSession<v1::SendRequest>(mine);
        request.set_association_id(association);
        *request.add_messages() = Message(0, 0, "");
        return SendStreamOnce(stub, request);
      },
      invalid, "EMPTY_MESSAGE");
  add("Receive: max_bytes above 4 MiB",
      [&] {
        auto request = WithSession<v1::ReceiveRequest>(mine);
        request.set_association_id(association);
        request.set_max_bytes(4 * 1024 * 1024 + 1);
        return Unary(stub, &Stub::Receive, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("Receive: endpoint 0",
      [&] {
        auto request = WithSession<v1::ReceiveRequest>(mine);
        request.set_endpoint_id(0);
        return Unary(stub, &Stub::Receive, request);
      },
      grpc::StatusCode::NOT_FOUND, "ENDPOINT_NOT_FOUND");
  add("Receive: deadline already passed",
      [&] {
        auto request = WithSession<v1::ReceiveRequest>(mine);
        request.set_association_id(association);
        return Unary(stub, &Stub::Receive, request, -5000ms);
      },
      grpc::StatusCode::DEADLINE_EXCEEDED, "");
  add("ReceiveStream: max_messages 4294967295",
      [&] {
        auto request = WithSession<v1::ReceiveRequest>(mine);
        request.set_association_id(association);
        request.set_max_messages(0xffffffffu);
        return Streamed(stub, &Stub::ReceiveStream, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("Shutdown: abort reason of 257 bytes",
      [&] {
        auto request = WithSession<v1::ShutdownRequest>(mine);
        request.set_association_id(association);
        request.set_mode(v1::SHUTDOWN_MODE_ABORT);
        request.set_abort_reason(std::string(257, 'r'));
        return Unary(stub, &Stub::Shutdown, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("Shutdown: mode 99",
      [&] {
        auto request = WithSession<v1::ShutdownRequest>(mine);
        request.set_association_id(association);
        request.set_mode(static_cast<v1::ShutdownMode>(99));
        return Unary(stub, &Stub::Shutdown, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("ListEndpoints: page_size -1",
      [&] {
        auto request = WithSession<v1::ListEndpointsRequest>(mine);
        request.set_page_size(-1);
        return Unary(stub, &Stub::ListEndpoints, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("ListAssociations: page_size 1001",
      [&] {
        auto request = WithSession<v1::ListAssociationsRequest>(mine);
        request.set_page_size(1001);
        return Unary(stub, &Stub::ListAssociations, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("ListAssociations: forged page token",
      [&] {
        auto request = WithSession<v1::ListAssociationsRequest>(mine);
        request.set_page_token("-1");
        return Unary(stub, &Stub::ListAssociations, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("GetAssociation: association 0",
      [&] {
        auto request = WithSession<v1::GetAssociationRequest>(mine);
        return Unary(stub, &Stub::GetAssociation, request);
      },
      grpc::StatusCode::NOT_FOUND, "ASSOCIATION_NOT_FOUND");
  add("SetPrimaryPath: not an address",
      [&] {
        auto request = WithSession<v1::SetPrimaryPathRequest>(mine);
        request.set_association_id(association);
        request.set_peer_address("peer.example");
        return Unary(stub, &Stub::SetPrimaryPath, request);
      },
      invalid, "INVALID_ADDRESS");
  add("RequestPeerPrimaryPath: not an address",
      [&] {
        auto request = WithSession<v1::RequestPeerPrimaryPathRequest>(mine);
        request.set_association_id(association);
        request.set_local_address("");
        return Unary(stub, &Stub::RequestPeerPrimaryPath, request);
      },
      invalid, "INVALID_ADDRESS");
  add("ConfigurePaths: sack_delay_ms 501",
      [&] {
        auto request = WithSession<v1::ConfigurePathsRequest>(mine);
        request.set_association_id(association);
        request.mutable_parameters()->set_sack_delay_ms(501);
        return Unary(stub, &Stub::ConfigurePaths, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("ConfigurePaths: association-wide field for one path",
      [&] {
        auto request = WithSession<v1::ConfigurePathsRequest>(mine);
        request.set_association_id(association);
        request.set_peer_address("127.0.0.1");
        request.mutable_parameters()->set_association_max_retransmissions(3);
        return Unary(stub, &Stub::ConfigurePaths, request);
      },
      invalid, "INVALID_ARGUMENT");
  add("WatchEvents: progress interval above an hour",
      [&] {
        auto request = WithSession<v1::WatchEventsRequest>(mine);
        request.set_progress_interval_ms(3600001);
        return Streamed(stub, &Stub::WatchEvents, request);
      },
      invalid, "INVALID_ARGUMENT");

  for (const Case& c : cases) {
    grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), c.code) << c.name << ": " << status.error_message();
    if (!c.reason.empty()) {
      EXPECT_EQ(ErrorReason(status), c.reason) << c.name << ": " << status.error_message();
    }
  }
  std::printf("bad input: %zu cases over every RPC\n", cases.size());

  // A deadline a century away is accepted (capped inside, not overflowed).
  grpc::Status status = b.Send(pair.client_assoc, {Message(1, 7, "after the storm")},
                               std::chrono::hours(24 * 365 * 100));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::InboundMessage> got;
  v1::ReceiveRequest receive;
  receive.set_association_id(association);
  status = a.ReceiveFrom(receive, &got, std::chrono::hours(24 * 365 * 100));
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "after the storm");
  // Nothing else arrived: no bad request sent anything.
  got.clear();
  EXPECT_EQ(a.ReceiveFrom(receive, &got, 300ms).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(Serving(*server_));
  EXPECT_TRUE(server_->Running());
}

// A client that opens an events stream and never reads it. sctpgw keeps one
// write in flight for it, nothing more: once the stream has fallen behind
// the kept history it is ended with RESOURCE_EXHAUSTED/SUBSCRIBER_TOO_SLOW,
// which the client sees after the events already on their way. Meanwhile
// other applications are served.
TEST(RobustnessEventsLabTest, UnreadEventStreamIsBoundedAndEnded) {
  auto server = SctpgwServer::Start({"--event-history", "16"});
  ASSERT_TRUE(server.ok()) << server.status();
  App a(**server);
  App b(**server);
  Pair pair = Connect(a, b);
  App c(**server);
  App d(**server);

  // The stuck stream, on a connection of its own whose HTTP/2 window stays
  // at 64 KiB (no BDP growth): opened, acknowledged once, then not read.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, -1);
  auto stuck_stub = v1::GatewayService::NewStub(grpc::CreateCustomChannel(
      (*server)->target(), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext stuck_context;
  SetTimeout(&stuck_context, std::chrono::milliseconds(300000));
  auto stuck = stuck_stub->WatchEvents(&stuck_context, d.WatchAll());
  v1::WatchEventsResponse first;
  ASSERT_TRUE(stuck->Read(&first));
  ASSERT_TRUE(first.has_ack());
  const size_t rss_before = ResidentKiB((*server)->pid());

  // Events with large payloads for d: messages that cannot be delivered come
  // back whole in SEND_FAILED events. 100% loss on loopback holds them
  // unsent; the ABORT returns them.
  constexpr int kRounds = 6;
  constexpr int kMessages = 4;  // 4 x 200 KiB fit in the 1 MiB send buffer.
  const std::string payload(200 * 1024, 'e');
  EventWatch watch(d.stub(), d.WatchAll());  // d's other stream, read.
  size_t event_bytes = 0;
  for (int round = 0; round < kRounds; ++round) {
    Pair lossy = Connect(c, d);
    {
      LoopbackLoss loss;
      ASSERT_TRUE(loss.ok());
      for (int i = 0; i < kMessages; ++i) {
        grpc::Status sent = d.Send(lossy.client_assoc, {Message(0, 0, payload)});
        ASSERT_TRUE(sent.ok()) << sent.error_message();
      }
      ASSERT_TRUE(d.Shutdown(lossy.client_assoc, v1::SHUTDOWN_MODE_ABORT, "unread").ok());
      ASSERT_TRUE(watch
                      .WaitFor(IsAssociationChange(lossy.client_assoc,
                                                   v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST),
                               kCallTimeout)
                      .ok());
    }
    // The other applications are served while the stuck stream waits.
    ASSERT_TRUE(b.Send(pair.client_assoc, {Message(0, 0, absl::StrCat("round ", round))}).ok());
    auto got = a.ReceiveN(pair.server_assoc, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].payload(), absl::StrCat("round ", round));
    event_bytes += kMessages * payload.size();
  }
  // The read stream gets every undelivered byte back. (Linux reports an
  // unsent message that was fragmented once per fragment, each event with
  // its part of the payload; the last SEND_FAILED events of an ABORT may
  // follow its COMM_LOST, so wait for them.)
  size_t returned_bytes = 0;
  auto all_returned = watch.WaitFor(
      [&](const v1::Event& event) {
        if (event.has_send_failed()) returned_bytes += event.send_failed().payload().size();
        return returned_bytes >= event_bytes;
      },
      kCallTimeout);
  EXPECT_TRUE(all_returned.ok()) << all_returned.status();
  EXPECT_EQ(returned_bytes, event_bytes);
  const size_t rss_after = ResidentKiB((*server)->pid());
  std::printf("unread events stream: %zu KiB of events produced; sctpgw VmRSS %zu -> %zu KiB\n",
              event_bytes / 1024, rss_before, rss_after);

  // Now the client reads: what was already on its way, in order, then the
  // status.
  v1::WatchEventsResponse response;
  uint64_t last = 0;
  size_t read = 0;
  while (stuck->Read(&response)) {
    for (const v1::Event& event : response.events().events()) {
      EXPECT_GT(event.sequence(), last);
      last = event.sequence();
      ++read;
    }
  }
  grpc::Status end = stuck->Finish();
  std::printf("unread events stream: %zu events were on their way, then: %s\n", read,
              end.error_message().c_str());
  EXPECT_LT(read, static_cast<size_t>(kRounds * kMessages));
  EXPECT_EQ(end.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << end.error_message();
  EXPECT_EQ(ErrorReason(end), "SUBSCRIBER_TOO_SLOW") << end.error_message();
  EXPECT_TRUE(Serving(**server));
  EXPECT_TRUE((*server)->Stop(kCallTimeout).ok());
}

// Many sessions open associations, exchange numbered messages and end them
// in every way an application or a fault can, for SCTPGW_SOAK_SECONDS (60 by
// default; CMake's SCTPGW_SOAK_SECONDS sets it for CTest). Every message is
// checked exactly once and in order; at the end sctpgw's descriptors return
// to their baseline, no association is left, and its resident memory has not
// grown beyond what its allocator keeps.
TEST(RobustnessSoakLabTest, SoakLeavesNothingBehind) {
  int seconds = 60;
  if (const char* env = std::getenv("SCTPGW_SOAK_SECONDS")) {
    ASSERT_TRUE(absl::SimpleAtoi(env, &seconds)) << env;
  }
  // In sanitizer builds AddressSanitizer keeps freed memory in a quarantine
  // (256 MiB by default) that would read as growth; a small one for sctpgw.
  std::string asan = std::getenv("ASAN_OPTIONS") != nullptr ? std::getenv("ASAN_OPTIONS") : "";
  setenv("ASAN_OPTIONS", (asan + (asan.empty() ? "" : ":") + "quarantine_size_mb=16").c_str(), 1);
  const std::string metrics = "127.0.0.1:9466";
  auto server = SctpgwServer::Start(
      {"--session-shutdown-timeout-ms", "2000", "--metrics-listen", metrics, "--event-history",
       "256"});
  ASSERT_TRUE(server.ok()) << server.status();
  const pid_t pid = (*server)->pid();
  // The checker's session and connection stay for the whole test; the
  // descriptors sctpgw holds with it alone are the baseline.
  App checker(**server);
  EventWatch checker_events(checker.stub(), checker.WatchAll());  // Keeps its session alive.
  ASSERT_TRUE(WaitUntil([&] { return Sum(Scrape(metrics), "sctpgw_sessions") == 1; }, kTimeout));
  const size_t fd_baseline = OpenFds(pid);

  enum Fault { kGraceful, kAbort, kCloseSession, kAbandonSession, kCancelledCall, kFaults };
  const char* kFaultNames[] = {"graceful shutdown", "abort", "session closed",
                               "session abandoned (lease ran out)", "call cancelled"};
  std::atomic<size_t> messages_checked{0};
  std::atomic<size_t> rounds{0};
  std::vector<std::atomic<size_t>> faults(kFaults);
  std::atomic<bool> failed{false};

  // One round: a pair of sessions, an association, numbered messages on
  // three streams both ways, then one fault ends it.
  auto round = [&](std::mt19937& random) {
    App a(**server, "", 2000);
    App b(**server, "", 2000);
    Pair pair = Connect(a, b);
    if (pair.client_assoc == 0 || pair.server_assoc == 0) {
      failed = true;
      return;
    }
    const int count = 20 + static_cast<int>(random() % 40);
    std::vector<v1::OutboundMessage> batch;
    for (int i = 0; i < count; ++i) {
      batch.push_back(Message(static_cast<uint32_t>(i % 3), 1, absl::StrCat(i % 3, ":", i)));
    }
    if (!b.Send(pair.client_assoc, batch).ok() || !a.Send(pair.server_assoc, batch).ok()) {
      failed = true;
      return;
    }
    for (auto [app, id] : {std::pair{&a, pair.server_assoc}, std::pair{&b, pair.client_assoc}}) {
      auto got = app->ReceiveN(id, static_cast<size_t>(count));
      std::map<uint32_t, int> next;  // Per stream: the last number seen.
      for (const auto& m : got) {
        int number = std::stoi(m.payload().substr(m.payload().find(':') + 1));
        auto [it, fresh] = next.emplace(m.stream(), number);
        if (!fresh && number <= it->second) failed = true;  // Duplicate or reordered.
        it->second = number;
      }
      if (got.size() != static_cast<size_t>(count)) failed = true;
      messages_checked += got.size();
    }
    Fault fault = static_cast<Fault>(random() % kFaults);
    switch (fault) {
      case kGraceful:
        if (!b.Shutdown(pair.client_assoc, v1::SHUTDOWN_MODE_GRACEFUL).ok()) failed = true;
        break;
      case kAbort:
        if (!a.Shutdown(pair.server_assoc, v1::SHUTDOWN_MODE_ABORT, "soak").ok()) failed = true;
        break;
      case kCloseSession: {
        grpc::ClientContext context;
        SetTimeout(&context, kCallTimeout);
        v1::CloseSessionResponse response;
        if (!b.stub().CloseSession(&context, WithSession<v1::CloseSessionRequest>(b.session()),
                                   &response)
                 .ok()) {
          failed = true;
        }
        break;
      }
      case kAbandonSession:
        break;  // Both leases run out; sctpgw shuts the association down.
      case kCancelledCall: {
        // A Receive left waiting, then cancelled by its deadline.
        v1::ReceiveRequest request;
        request.set_association_id(pair.server_assoc);
        std::vector<v1::InboundMessage> out;
        if (a.ReceiveFrom(request, &out, 200ms).error_code() !=
            grpc::StatusCode::DEADLINE_EXCEEDED) {
          failed = true;
        }
        break;
      }
      case kFaults:
        break;
    }
    ++faults[fault];
    ++rounds;
  };

  // Warm-up rounds set the baseline: the allocator's and gRPC's one-time
  // costs are paid, and the event history (256 here) is full, by then.
  std::mt19937 warm(1);
  for (int i = 0; i < 30 && !failed; ++i) round(warm);
  ASSERT_FALSE(failed);
  const size_t rss_baseline = ResidentKiB(pid);

  constexpr int kWorkers = 3;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      std::mt19937 random(static_cast<unsigned>(w + 2));
      while (std::chrono::steady_clock::now() < end && !failed) round(random);
    });
  }
  for (auto& worker : workers) worker.join();
  ASSERT_FALSE(failed) << "a message was lost, duplicated or reordered, or a call failed";

  // Every session is closed or abandoned; once the leases and shutdowns
  // have run their course sctpgw holds what it held before the first round:
  // the checker's session, no endpoint, no association, no more descriptors.
  std::map<std::string, double> now;
  EXPECT_TRUE(WaitUntil(
      [&] {
        now = Scrape(metrics);
        return Sum(now, "sctpgw_sessions") == 1 && Sum(now, "sctpgw_endpoints") == 0 &&
               Sum(now, "sctpgw_associations") == 0;
      },
      kTimeout))
      << "sessions " << Sum(now, "sctpgw_sessions") << ", endpoints "
      << Sum(now, "sctpgw_endpoints") << ", associations " << Sum(now, "sctpgw_associations");
  size_t fds = 0;
  EXPECT_TRUE(WaitUntil([&] { return (fds = OpenFds(pid)) <= fd_baseline; }, kTimeout))
      << "descriptors: " << fds << " now, " << fd_baseline << " at the baseline";
  const size_t rss_end = ResidentKiB(pid);
  std::string summary;
  for (int f = 0; f < kFaults; ++f) absl::StrAppend(&summary, ", ", faults[f].load(), " ", kFaultNames[f]);
  std::printf("soak: %d s, %zu rounds, %zu messages checked%s; fds %zu -> %zu; VmRSS %zu -> %zu KiB\n",
              seconds, rounds.load(), messages_checked.load(), summary.c_str(), fd_baseline,
              fds, rss_baseline, rss_end);
  // Freed memory is kept by the allocator (and by AddressSanitizer's
  // quarantine), so a bound, not equality.
  EXPECT_LT(rss_end, rss_baseline + 64 * 1024) << "resident memory grew";
  EXPECT_TRUE(Serving(**server));
  EXPECT_TRUE((*server)->Stop(kCallTimeout).ok());
}

}  // namespace
}  // namespace sctpgw
