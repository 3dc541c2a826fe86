// Echo server and client over sctpgw, keeping each message's stream and PPID.
//
//   sctpgw-echo server --listen 192.0.2.1 --port 7
//   sctpgw-echo client --peer 192.0.2.1 --port 7 --stream 2 --ppid 46 hello
#include <csignal>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sctpgw/client.h"
#include "sctpgw/format.h"

namespace {

using sctpgw::client::Client;
using sctpgw::client::DescribeError;

// Sends every message back on its association, stream and PPID. Runs on the
// library's thread.
class EchoHandler : public sctpgw::client::EventHandler {
 public:
  explicit EchoHandler(bool verbose) : verbose_(verbose) {}
  void set_client(Client* client) { client_ = client; }
  void OnMessage(const sctpgw::v1::InboundMessage& message) override {
    absl::Status status = client_->Send(message.association_id(), message.payload(),
                                        sctpgw::client::SendOptions::Like(message));
    if (!status.ok()) {
      std::cerr << "echo: association " << message.association_id() << ": "
                << DescribeError(status) << std::endl;
    } else if (verbose_) {
      std::cout << "echo: association " << message.association_id() << " stream "
                << message.stream() << " ppid " << message.ppid() << " bytes "
                << message.payload().size() << std::endl;
    }
  }
  void OnAssociationChange(const sctpgw::v1::Event& event,
                           const sctpgw::v1::AssociationChange& change) override {
    (void)change;
    if (verbose_) std::cout << "echo: " << sctpgw::client::DescribeEvent(event) << std::endl;
  }

 private:
  bool verbose_;
  Client* client_ = nullptr;
};

int Server(sctpgw::client::ClientOptions options, const std::vector<std::string>& addresses,
           uint16_t port, bool verbose) {
  EchoHandler handler(verbose);
  auto client = Client::Connect(options, &handler);
  if (!client.ok()) {
    std::cerr << "echo: " << DescribeError(client.status()) << "\n";
    return 1;
  }
  handler.set_client(client->get());
  auto endpoint = (*client)->OpenEndpoint(sctpgw::client::EndpointOptions::Listening(addresses, port));
  if (!endpoint.ok()) {
    std::cerr << "echo: " << DescribeError(endpoint.status()) << "\n";
    return 1;
  }
  std::cout << "echo: listening on port " << endpoint->port() << std::endl;
  (*client)->StartReceiving(endpoint->endpoint_id());
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal = 0;
  sigwait(&signals, &signal);
  return 0;
}

int Send(sctpgw::client::ClientOptions options, const std::vector<std::string>& locals,
         const std::vector<std::string>& peers, uint16_t port,
         const sctpgw::client::SendOptions& send, int count, const std::string& text) {
  options.watch_events = false;
  auto client = Client::Connect(options);
  if (!client.ok()) {
    std::cerr << "echo: " << DescribeError(client.status()) << "\n";
    return 1;
  }
  auto endpoint = (*client)->OpenEndpoint(sctpgw::client::EndpointOptions::Outgoing(locals));
  if (!endpoint.ok()) {
    std::cerr << "echo: " << DescribeError(endpoint.status()) << "\n";
    return 1;
  }
  auto association = (*client)->Associate(endpoint->endpoint_id(), peers, port);
  if (!association.ok()) {
    std::cerr << "echo: " << DescribeError(association.status()) << "\n";
    return 1;
  }
  uint64_t id = association->association_id();
  for (int i = 0; i < count; ++i) {
    absl::Status status = (*client)->Send(id, text, send);
    if (!status.ok()) {
      std::cerr << "echo: " << DescribeError(status) << "\n";
      return 1;
    }
  }
  int replies = 0;
  auto deadline = std::chrono::steady_clock::now() + options.call_timeout;
  while (replies < count && std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto messages = (*client)->Receive(id, left);
    if (!messages.ok()) {
      std::cerr << "echo: " << DescribeError(messages.status()) << "\n";
      return 1;
    }
    for (const sctpgw::v1::InboundMessage& m : *messages) {
      std::cout << "reply stream " << m.stream() << " ppid " << m.ppid() << ": " << m.payload()
                << std::endl;
      ++replies;
    }
  }
  if (replies < count) {
    std::cerr << "echo: " << replies << " of " << count << " replies arrived in time\n";
    return 1;
  }
  absl::Status status = (*client)->Shutdown(id);
  if (!status.ok()) {
    std::cerr << "echo: " << DescribeError(status) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"echo server and client over sctpgw"};
  app.require_subcommand(1);
  sctpgw::client::ClientOptions options;
  options.client_name = "echo";
  int timeout_ms = 10000;
  app.add_option("--target", options.target, "sctpgw's gRPC address")->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "deadline of each call, ms")->capture_default_str();

  auto* server = app.add_subcommand("server", "echo every message back");
  std::vector<std::string> listen;
  uint16_t listen_port = 7;
  bool verbose = false;
  server->add_option("--listen", listen, "local addresses")->required();
  server->add_option("--port", listen_port, "SCTP port (0 = any)")->capture_default_str();
  server->add_flag("--verbose", verbose, "print each message and association change");

  auto* client = app.add_subcommand("client", "send a message and print the replies");
  std::vector<std::string> peers;
  std::vector<std::string> locals{"0.0.0.0"};
  uint16_t peer_port = 7;
  sctpgw::client::SendOptions send;
  int count = 1;
  std::string text;
  client->add_option("--peer", peers, "peer addresses")->required();
  client->add_option("--port", peer_port, "peer port")->capture_default_str();
  client->add_option("--local", locals, "local addresses")->capture_default_str();
  client->add_option("--stream", send.stream, "stream id")->capture_default_str();
  client->add_option("--ppid", send.ppid, "payload protocol identifier")->capture_default_str();
  client->add_option("--count", count, "send the message this many times")->capture_default_str();
  client->add_option("text", text, "the message")->required();
  CLI11_PARSE(app, argc, argv);
  options.call_timeout = std::chrono::milliseconds(timeout_ms);

  if (server->parsed()) {
    // Signals are taken by sigwait() in the main thread only.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return Server(options, listen, listen_port, verbose);
  }
  return Send(options, locals, peers, peer_port, send, count, text);
}
