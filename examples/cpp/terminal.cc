// An interactive SCTP terminal over sctpgw: each line typed is sent as one
// message, what arrives is printed. Commands: /stream N, /ppid N, /status,
// /quit (or end of input). Messages and events are dispatched from this
// program's own poll() loop, next to the keyboard.
#include <poll.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "sctpgw/client.h"
#include "sctpgw/format.h"

namespace {

using sctpgw::client::Client;
using sctpgw::client::DescribeError;

class Printer : public sctpgw::client::EventHandler {
 public:
  void OnMessage(const sctpgw::v1::InboundMessage& message) override {
    std::cout << "< [stream " << message.stream() << " ppid " << message.ppid() << "] "
              << message.payload() << std::endl;
  }
  void OnAssociationChange(const sctpgw::v1::Event& event,
                           const sctpgw::v1::AssociationChange& change) override {
    Print(event);
    if (change.type() == sctpgw::v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST ||
        change.type() == sctpgw::v1::ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP) {
      ended = true;
    }
  }
  void OnPeerAddressChange(const sctpgw::v1::Event& event,
                           const sctpgw::v1::PeerAddressChange&) override {
    Print(event);
  }
  void OnShutdown(const sctpgw::v1::Event& event, const sctpgw::v1::ShutdownEvent&) override {
    Print(event);
  }
  void OnSendFailed(const sctpgw::v1::Event& event, const sctpgw::v1::SendFailed&) override {
    Print(event);
  }
  void Print(const sctpgw::v1::Event& event) {
    std::cout << "* " << sctpgw::client::DescribeEvent(event) << std::endl;
  }
  bool ended = false;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"interactive SCTP terminal over sctpgw"};
  sctpgw::client::ClientOptions options;
  options.client_name = "terminal";
  options.delivery = sctpgw::client::EventDelivery::kDispatch;
  std::vector<std::string> peers;
  std::vector<std::string> locals{"0.0.0.0"};
  uint16_t port = 0;
  app.add_option("--target", options.target, "sctpgw's gRPC address")->capture_default_str();
  app.add_option("--peer", peers, "peer addresses")->required();
  app.add_option("--port", port, "peer port")->required();
  app.add_option("--local", locals, "local addresses")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Printer printer;
  auto client = Client::Connect(options, &printer);
  if (!client.ok()) {
    std::cerr << "terminal: " << DescribeError(client.status()) << "\n";
    return 1;
  }
  auto endpoint = (*client)->OpenEndpoint(sctpgw::client::EndpointOptions::Outgoing(locals));
  if (!endpoint.ok()) {
    std::cerr << "terminal: " << DescribeError(endpoint.status()) << "\n";
    return 1;
  }
  auto association = (*client)->Associate(endpoint->endpoint_id(), peers, port);
  if (!association.ok()) {
    std::cerr << "terminal: " << DescribeError(association.status()) << "\n";
    return 1;
  }
  uint64_t id = association->association_id();
  (*client)->StartReceiving(endpoint->endpoint_id(), id);
  std::cout << "connected: association " << id << "; type lines to send, /stream N, /ppid N, "
            << "/status, /quit" << std::endl;

  sctpgw::client::SendOptions send;
  std::string buffer;
  bool input_open = true;
  while (input_open && !printer.ended) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {(*client)->event_fd(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents & POLLIN) (*client)->Dispatch();
    if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
    char chunk[4096];
    ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n <= 0) {
      input_open = false;
      break;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      uint32_t value = 0;
      if (line == "/quit") {
        input_open = false;
        break;
      } else if (line.rfind("/stream ", 0) == 0 && absl::SimpleAtoi(line.substr(8), &value)) {
        send.stream = value;
        std::cout << "* sending on stream " << value << std::endl;
      } else if (line.rfind("/ppid ", 0) == 0 && absl::SimpleAtoi(line.substr(6), &value)) {
        send.ppid = value;
        std::cout << "* sending with ppid " << value << std::endl;
      } else if (line == "/status") {
        auto info = (*client)->GetAssociation(id);
        if (!info.ok()) {
          std::cout << "! " << DescribeError(info.status()) << std::endl;
          continue;
        }
        for (const sctpgw::v1::PeerPath& path : info->paths()) {
          std::cout << "* path " << path.address().ip() << " "
                    << sctpgw::client::PathStateName(path.state()) << " srtt " << path.srtt_ms()
                    << " ms" << std::endl;
        }
      } else if (!line.empty() && line[0] == '/') {
        std::cout << "! unknown command; /stream N, /ppid N, /status, /quit" << std::endl;
      } else {
        absl::Status status = (*client)->Send(id, line, send);
        if (!status.ok()) std::cout << "! " << DescribeError(status) << std::endl;
      }
    }
  }
  if (!printer.ended) {
    absl::Status status = (*client)->Shutdown(id);
    if (!status.ok()) std::cerr << "terminal: " << DescribeError(status) << "\n";
  }
  (*client)->StopReceiving();
  (*client)->Dispatch();
  std::cout << "bye" << std::endl;
  return 0;
}
