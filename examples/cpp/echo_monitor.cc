// Echo server with a monitor: echoes every message (stream and PPID kept)
// and prints a notice when an association comes up or ends and when one of
// its paths goes down or comes back.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_join.h"
#include "sctpgw/client.h"
#include "sctpgw/format.h"

namespace {

using sctpgw::client::Client;
using sctpgw::client::DescribeError;

class Monitor : public sctpgw::client::EventHandler {
 public:
  void set_client(Client* client) { client_ = client; }
  void OnMessage(const sctpgw::v1::InboundMessage& message) override {
    absl::Status status = client_->Send(message.association_id(), message.payload(),
                                        sctpgw::client::SendOptions::Like(message));
    if (!status.ok()) {
      std::cerr << "monitor: echo on association " << message.association_id() << ": "
                << DescribeError(status) << std::endl;
    }
  }
  void OnAssociationChange(const sctpgw::v1::Event& event,
                           const sctpgw::v1::AssociationChange& change) override {
    uint64_t id = event.association_id();
    switch (change.type()) {
      case sctpgw::v1::ASSOCIATION_CHANGE_TYPE_COMM_UP: {
        std::vector<std::string> peers;
        if (auto info = client_->GetAssociation(id); info.ok()) {
          for (const auto& path : info->paths()) peers.push_back(path.address().ip());
        }
        std::cout << "monitor: association " << id << " up, peer " << absl::StrJoin(peers, ",")
                  << std::endl;
        break;
      }
      case sctpgw::v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST:
      case sctpgw::v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP:
        std::cout << "monitor: association " << id << " ended ("
                  << sctpgw::client::DescribeEvent(event) << ")" << std::endl;
        break;
      case sctpgw::v1::ASSOCIATION_CHANGE_TYPE_RESTART:
        std::cout << "monitor: association " << id << " restarted by the peer" << std::endl;
        break;
      default:
        break;
    }
  }
  void OnPeerAddressChange(const sctpgw::v1::Event& event,
                           const sctpgw::v1::PeerAddressChange& change) override {
    const char* notice = nullptr;
    switch (change.type()) {
      case sctpgw::v1::PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE: notice = "DOWN"; break;
      case sctpgw::v1::PEER_ADDRESS_CHANGE_TYPE_AVAILABLE: notice = "UP"; break;
      case sctpgw::v1::PEER_ADDRESS_CHANGE_TYPE_POTENTIALLY_FAILED:
        notice = "POTENTIALLY FAILED";
        break;
      default: return;
    }
    std::cout << "monitor: path " << change.address().ip() << " of association "
              << event.association_id() << " is " << notice << std::endl;
  }
  void OnStreamStatus(const absl::Status& status) override {
    if (!status.ok()) std::cout << "monitor: event stream: " << DescribeError(status) << std::endl;
  }

 private:
  Client* client_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"echo server that reports association and path state"};
  sctpgw::client::ClientOptions options;
  options.client_name = "echo-monitor";
  std::vector<std::string> addresses;
  uint16_t port = 7;
  uint32_t heartbeat_ms = 0;
  app.add_option("--target", options.target, "sctpgw's gRPC address")->capture_default_str();
  app.add_option("--listen", addresses, "local addresses (several = multi-homed)")->required();
  app.add_option("--port", port, "SCTP port (0 = any)")->capture_default_str();
  app.add_option("--heartbeat-ms", heartbeat_ms,
                 "heartbeat interval; also shortens retransmission timers so a failed path is "
                 "noticed within seconds (0 = kernel defaults)");
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Monitor monitor;
  auto client = Client::Connect(options, &monitor);
  if (!client.ok()) {
    std::cerr << "monitor: " << DescribeError(client.status()) << "\n";
    return 1;
  }
  monitor.set_client(client->get());
  auto endpoint_options = sctpgw::client::EndpointOptions::Listening(addresses, port);
  if (heartbeat_ms != 0) {
    sctpgw::v1::PathParameters parameters;
    parameters.set_heartbeat_interval_ms(heartbeat_ms);
    parameters.set_rto_min_ms(100);
    parameters.set_rto_initial_ms(std::max<uint32_t>(100, heartbeat_ms));
    parameters.set_rto_max_ms(std::max<uint32_t>(400, heartbeat_ms * 2));
    parameters.set_path_max_retransmissions(2);
    parameters.set_association_max_retransmissions(20);
    endpoint_options.path_parameters = parameters;
  }
  auto endpoint = (*client)->OpenEndpoint(endpoint_options);
  if (!endpoint.ok()) {
    std::cerr << "monitor: " << DescribeError(endpoint.status()) << "\n";
    return 1;
  }
  std::cout << "monitor: listening on port " << endpoint->port() << std::endl;
  (*client)->StartReceiving(endpoint->endpoint_id());
  int signal = 0;
  sigwait(&signals, &signal);
  return 0;
}
