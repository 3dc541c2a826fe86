// A minimal sctpgw application for lab tests that kill it: opens a session,
// an endpoint and an association to 127.0.0.1:PORT, prints "ready", then
// holds the session's event stream open until it is killed.
//
//   session_holder TARGET PORT LEASE_MS
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "sctpgw/v1/gateway_service.grpc.pb.h"

namespace {

template <typename Request>
void SetSession(Request* request, const std::string& session) {
  request->set_session_id(session);
}

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

int Fail(const char* what, const grpc::Status& status) {
  std::fprintf(stderr, "session_holder: %s: %s\n", what, status.error_message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: session_holder TARGET PORT LEASE_MS\n");
    return 2;
  }
  auto stub = sctpgw::v1::GatewayService::NewStub(
      grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials()));

  grpc::ClientContext open_context;
  open_context.set_deadline(In(30));
  sctpgw::v1::OpenSessionRequest open;
  open.set_requested_lease_ms(static_cast<uint32_t>(std::stoul(argv[3])));
  open.set_client_name("session_holder");
  sctpgw::v1::OpenSessionResponse session;
  grpc::Status status = stub->OpenSession(&open_context, open, &session);
  if (!status.ok()) return Fail("OpenSession", status);

  grpc::ClientContext endpoint_context;
  endpoint_context.set_deadline(In(30));
  sctpgw::v1::OpenEndpointRequest endpoint_request;
  SetSession(&endpoint_request, session.session_id());
  endpoint_request.add_local_addresses("127.0.0.1");
  sctpgw::v1::OpenEndpointResponse endpoint;
  status = stub->OpenEndpoint(&endpoint_context, endpoint_request, &endpoint);
  if (!status.ok()) return Fail("OpenEndpoint", status);

  grpc::ClientContext associate_context;
  associate_context.set_deadline(In(30));
  sctpgw::v1::AssociateRequest associate;
  SetSession(&associate, session.session_id());
  associate.set_endpoint_id(endpoint.endpoint().endpoint_id());
  associate.add_peer_addresses("127.0.0.1");
  associate.set_peer_port(static_cast<uint32_t>(std::stoul(argv[2])));
  sctpgw::v1::AssociateResponse association;
  status = stub->Associate(&associate_context, associate, &association);
  if (!status.ok()) return Fail("Associate", status);

  std::printf("ready %s %llu\n", session.session_id().c_str(),
              static_cast<unsigned long long>(association.association().association_id()));
  std::fflush(stdout);

  grpc::ClientContext watch_context;
  sctpgw::v1::WatchEventsRequest watch;
  SetSession(&watch, session.session_id());
  auto reader = stub->WatchEvents(&watch_context, watch);
  sctpgw::v1::WatchEventsResponse response;
  while (reader->Read(&response)) {
  }
  return Fail("WatchEvents", reader->Finish());
}
