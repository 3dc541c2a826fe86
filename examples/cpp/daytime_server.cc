// daytime server over sctpgw: answers every SCTP client that associates with
// the current date and time (RFC 867 style), then shuts the association
// down. Events are dispatched from this program's own poll() loop.
#include <poll.h>

#include <csignal>
#include <ctime>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sctpgw/client.h"
#include "sctpgw/format.h"

namespace {

using sctpgw::client::Client;

volatile std::sig_atomic_t g_stop = 0;

std::string Now() {
  std::time_t now = std::time(nullptr);
  char text[64];
  std::strftime(text, sizeof(text), "%a %b %d %H:%M:%S %Y\r\n", std::localtime(&now));
  return text;
}

// Serves each new association from inside Dispatch(): the time, then a
// graceful shutdown that does not block the loop (ShutdownAsync); its
// outcome comes back through Dispatch() too, so other associations are
// served meanwhile.
class DaytimeHandler : public sctpgw::client::EventHandler {
 public:
  void set_client(Client* client) { client_ = client; }
  void OnAssociationChange(const sctpgw::v1::Event& event,
                           const sctpgw::v1::AssociationChange& change) override {
    if (change.type() != sctpgw::v1::ASSOCIATION_CHANGE_TYPE_COMM_UP) return;
    uint64_t id = event.association_id();
    absl::Status status = client_->Send(id, Now());
    if (!status.ok()) {
      Report(id, status);
      return;
    }
    client_->ShutdownAsync(id);
  }
  void OnShutdownComplete(uint64_t, uint64_t association_id, const absl::Status& status) override {
    Report(association_id, status);
  }
  static void Report(uint64_t id, const absl::Status& status) {
    if (status.ok()) {
      std::cout << "daytime: served association " << id << std::endl;
    } else {
      std::cerr << "daytime: association " << id << ": "
                << sctpgw::client::DescribeError(status) << std::endl;
    }
  }
  void OnStreamStatus(const absl::Status& status) override {
    if (status.code() == absl::StatusCode::kNotFound) g_stop = 1;  // Session gone.
  }

 private:
  Client* client_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"daytime server over sctpgw"};
  sctpgw::client::ClientOptions options;
  options.client_name = "daytime-server";
  options.delivery = sctpgw::client::EventDelivery::kDispatch;
  std::vector<std::string> addresses;
  uint16_t port = 13;
  app.add_option("--target", options.target, "sctpgw's gRPC address")->capture_default_str();
  app.add_option("--listen", addresses, "local addresses to listen on")->required();
  app.add_option("--port", port, "SCTP port (0 = any)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  DaytimeHandler handler;
  auto client = Client::Connect(options, &handler);
  if (!client.ok()) {
    std::cerr << "daytime: " << sctpgw::client::DescribeError(client.status()) << "\n";
    return 1;
  }
  handler.set_client(client->get());
  auto endpoint = (*client)->OpenEndpoint(sctpgw::client::EndpointOptions::Listening(addresses, port));
  if (!endpoint.ok()) {
    std::cerr << "daytime: " << sctpgw::client::DescribeError(endpoint.status()) << "\n";
    return 1;
  }
  std::cout << "daytime: listening on port " << endpoint->port() << std::endl;
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  while (!g_stop) {
    pollfd fd{(*client)->event_fd(), POLLIN, 0};
    if (poll(&fd, 1, -1) > 0) (*client)->Dispatch();
  }
  return 0;
}
