// An sctpgw application for lab tests that kill it (SIGKILL) in the middle of
// a call: it opens a session with the lease asked for, an endpoint and (but
// for `associate`) an association to an independent peer listening on
// 127.0.0.1:PEER, prints "ready SESSION ID", then does one thing until it is
// killed, printing progress lines that the test waits on.
//
//   fault_client TARGET MODE PEER LEASE_MS
//
//   receive        one Receive on the association, waiting for a message
//                  that never comes (deadline 120 s).
//   send           Send calls of 32 numbered messages each ("s<N>:" padded
//                  to 100 bytes, stream 0, PPID 7) until one waits on a full
//                  association; "sent N" after each (N: messages accepted).
//   sendstream     the same messages through one SendStream without end;
//                  "acked N" for each acknowledgement (N: accepted_messages).
//   receivestream  waits for a line on stdin, then opens one ReceiveStream
//                  on the association (16 messages to a response at most);
//                  "got PAYLOAD" for each message.
//   associate      PEER is ADDRESS:PORT of a peer that never answers: an
//                  endpoint on 0.0.0.0 (ID is the endpoint's), then one
//                  Associate to it (deadline 120 s).
//
// Every mode but receivestream keeps an event stream of its session open,
// as applications should (docs/api.md), so that the session lives exactly as
// long as the process plus its lease. receivestream opens none: there the
// ReceiveStream alone keeps the session alive.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "sctpgw/v1/gateway_service.grpc.pb.h"

namespace {

using sctpgw::v1::GatewayService;

constexpr int kPerRequest = 32;
constexpr size_t kMessageBytes = 100;

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

int Fail(const char* what, const grpc::Status& status) {
  std::printf("error %s %d %s\n", what, static_cast<int>(status.error_code()),
              status.error_message().c_str());
  std::fflush(stdout);
  return 1;
}

void Line(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Message number `n` of the numbered sequence.
std::string Payload(uint64_t n) {
  std::string payload = "s" + std::to_string(n) + ":";
  payload.resize(kMessageBytes, 'x');
  return payload;
}

// A request of kPerRequest numbered messages starting at `first`.
sctpgw::v1::SendRequest Numbered(const std::string& session, uint64_t association,
                                 uint64_t first) {
  sctpgw::v1::SendRequest request;
  request.set_session_id(session);
  request.set_association_id(association);
  for (int i = 0; i < kPerRequest; ++i) {
    sctpgw::v1::OutboundMessage* message = request.add_messages();
    message->set_stream(0);
    message->set_ppid(7);
    message->set_payload(Payload(first + i));
  }
  return request;
}

// Reads the session's event stream for as long as the process lives.
void HoldSession(GatewayService::Stub* stub, const std::string& session) {
  std::thread([stub, session] {
    grpc::ClientContext context;
    sctpgw::v1::WatchEventsRequest request;
    request.set_session_id(session);
    request.set_only_new(true);
    auto reader = stub->WatchEvents(&context, request);
    sctpgw::v1::WatchEventsResponse response;
    while (reader->Read(&response)) {
    }
    Fail("WatchEvents", reader->Finish());
  }).detach();
}

int Receive(GatewayService::Stub& stub, const std::string& session, uint64_t association) {
  grpc::ClientContext context;
  context.set_deadline(In(120));
  sctpgw::v1::ReceiveRequest request;
  request.set_session_id(session);
  request.set_association_id(association);
  sctpgw::v1::ReceiveResponse response;
  return Fail("Receive", stub.Receive(&context, request, &response));
}

int Send(GatewayService::Stub& stub, const std::string& session, uint64_t association) {
  for (uint64_t sent = 0;; sent += kPerRequest) {
    grpc::ClientContext context;
    context.set_deadline(In(120));
    sctpgw::v1::SendResponse response;
    grpc::Status status = stub.Send(&context, Numbered(session, association, sent), &response);
    if (!status.ok()) return Fail("Send", status);
    Line("sent " + std::to_string(sent + kPerRequest));
  }
}

int SendStream(GatewayService::Stub& stub, const std::string& session, uint64_t association) {
  grpc::ClientContext context;
  auto stream = stub.SendStream(&context);
  std::thread acks([&] {
    sctpgw::v1::SendStreamResponse ack;
    while (stream->Read(&ack)) Line("acked " + std::to_string(ack.accepted_messages()));
  });
  for (uint64_t first = 0; stream->Write(Numbered(session, association, first));
       first += kPerRequest) {
  }
  acks.join();
  return Fail("SendStream", stream->Finish());
}

int ReceiveStream(GatewayService::Stub& stub, const std::string& session, uint64_t association) {
  char go[64];
  if (std::fgets(go, sizeof(go), stdin) == nullptr) return 2;
  grpc::ClientContext context;
  sctpgw::v1::ReceiveRequest request;
  request.set_session_id(session);
  request.set_association_id(association);
  request.set_max_messages(16);
  auto stream = stub.ReceiveStream(&context, request);
  sctpgw::v1::ReceiveResponse response;
  while (stream->Read(&response)) {
    std::string lines;
    for (const auto& message : response.messages()) lines += "got " + message.payload() + "\n";
    std::fputs(lines.c_str(), stdout);
    std::fflush(stdout);
  }
  return Fail("ReceiveStream", stream->Finish());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: fault_client TARGET MODE PEER LEASE_MS\n");
    return 2;
  }
  const std::string mode = argv[2];
  const std::string peer = argv[3];
  auto stub =
      GatewayService::NewStub(grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials()));

  grpc::ClientContext open_context;
  open_context.set_deadline(In(30));
  sctpgw::v1::OpenSessionRequest open;
  open.set_requested_lease_ms(static_cast<uint32_t>(std::stoul(argv[4])));
  open.set_client_name("fault_client");
  sctpgw::v1::OpenSessionResponse opened;
  grpc::Status status = stub->OpenSession(&open_context, open, &opened);
  if (!status.ok()) return Fail("OpenSession", status);
  const std::string session = opened.session_id();
  if (mode != "receivestream") HoldSession(stub.get(), session);

  grpc::ClientContext endpoint_context;
  endpoint_context.set_deadline(In(30));
  sctpgw::v1::OpenEndpointRequest endpoint_request;
  endpoint_request.set_session_id(session);
  endpoint_request.add_local_addresses(mode == "associate" ? "0.0.0.0" : "127.0.0.1");
  sctpgw::v1::OpenEndpointResponse endpoint;
  status = stub->OpenEndpoint(&endpoint_context, endpoint_request, &endpoint);
  if (!status.ok()) return Fail("OpenEndpoint", status);

  sctpgw::v1::AssociateRequest associate;
  associate.set_session_id(session);
  associate.set_endpoint_id(endpoint.endpoint().endpoint_id());
  if (mode == "associate") {
    size_t colon = peer.rfind(':');
    associate.add_peer_addresses(peer.substr(0, colon));
    associate.set_peer_port(static_cast<uint32_t>(std::stoul(peer.substr(colon + 1))));
    Line("ready " + session + " " + std::to_string(endpoint.endpoint().endpoint_id()));
    grpc::ClientContext context;
    context.set_deadline(In(120));
    sctpgw::v1::AssociateResponse response;
    return Fail("Associate", stub->Associate(&context, associate, &response));
  }
  associate.add_peer_addresses("127.0.0.1");
  associate.set_peer_port(static_cast<uint32_t>(std::stoul(peer)));
  grpc::ClientContext associate_context;
  associate_context.set_deadline(In(30));
  sctpgw::v1::AssociateResponse association;
  status = stub->Associate(&associate_context, associate, &association);
  if (!status.ok()) return Fail("Associate", status);
  const uint64_t id = association.association().association_id();
  Line("ready " + session + " " + std::to_string(id));

  if (mode == "receive") return Receive(*stub, session, id);
  if (mode == "send") return Send(*stub, session, id);
  if (mode == "sendstream") return SendStream(*stub, session, id);
  if (mode == "receivestream") return ReceiveStream(*stub, session, id);
  std::fprintf(stderr, "fault_client: unknown mode %s\n", mode.c_str());
  return 2;
}
