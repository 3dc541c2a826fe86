// The small program of docs/clients.md in C++: opens a session, watches its
// events, associates with an SCTP peer, sends one message, receives the
// answer and ends. Usage: sctpgw-hello [TARGET [PEER_PORT]] (defaults
// unix:/run/sctpgw/sctpgw.sock and 7, an echo service on 127.0.0.1).
#include <cstdio>
#include <string>

#include "sctpgw/client.h"
#include "sctpgw/format.h"

namespace client = sctpgw::client;

// Events arrive on a library thread, in order, exactly once.
class PrintEvents : public client::EventHandler {
 public:
  void OnAssociationChange(const sctpgw::v1::Event& event,
                           const sctpgw::v1::AssociationChange&) override {
    std::printf("event %s\n", client::DescribeEvent(event).c_str());
  }
};

// Prints the error as "CODE REASON: message [metadata]"; the exit status.
int Fail(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", client::DescribeError(status).c_str());
  return 1;
}

int main(int argc, char** argv) {
  client::ClientOptions options;
  options.target = argc > 1 ? argv[1] : "unix:/run/sctpgw/sctpgw.sock";
  uint16_t port = static_cast<uint16_t>(argc > 2 ? std::stoi(argv[2]) : 7);
  options.client_name = "demo";
  PrintEvents handler;
  // Returns once the event stream is acknowledged: no event is missed.
  auto session = client::Client::Connect(options, &handler);
  if (!session.ok()) return Fail(session.status());
  client::Client& gateway = **session;

  auto endpoint = gateway.OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"}));
  if (!endpoint.ok()) return Fail(endpoint.status());
  auto association = gateway.Associate(endpoint->endpoint_id(), {"127.0.0.1"}, port, /*streams=*/4);
  // e.g. "UNAVAILABLE ASSOCIATE_FAILED: ... [sctp_error=...]"
  if (!association.ok()) return Fail(association.status());
  uint64_t id = association->association_id();
  client::SendOptions send;
  send.stream = 1;
  send.ppid = 46;
  if (absl::Status sent = gateway.Send(id, "hello", send); !sent.ok()) return Fail(sent);
  auto messages = gateway.Receive(id, std::chrono::seconds(5));  // Empty if nothing came in time.
  if (messages.ok()) {
    for (const auto& m : *messages) {
      std::printf("stream %u ppid %u: %s\n", m.stream(), m.ppid(), m.payload().c_str());
    }
  }
  (void)gateway.Shutdown(id);
  return 0;  // The Client's destructor closes the session.
}
