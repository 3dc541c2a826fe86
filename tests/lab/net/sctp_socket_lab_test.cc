// Kernel SCTP through the net layer: real sockets, real associations.
// Runs under a kernel with SCTP (the lab boots one when the host has none).
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "server/net/sctp_socket.h"
#include "tests/lab/support/netns.h"
#include "tests/lab/support/sctp_test_util.h"

namespace sctpgw::net {
namespace {

using namespace std::chrono_literals;
using sctpgw::testing::ReceiveMessage;
using sctpgw::testing::SendMessage;
using sctpgw::testing::WaitForCommUp;

constexpr auto kTimeout = 30s;  // Generous: the lab emulates its CPU.

// A one-to-many endpoint with RCVINFO, association events and 4 streams.
SctpSocket OpenEndpoint(int family) {
  auto socket = SctpSocket::Open(SysCalls::Real(), family, SctpSocket::Style::kOneToMany);
  EXPECT_TRUE(socket.ok()) << socket.status();
  EXPECT_TRUE(socket->EnableReceiveInfo().ok());
  EXPECT_TRUE(socket->SubscribeEvents({SCTP_ASSOC_CHANGE}).ok());
  EXPECT_TRUE(socket->SetInitParams({.num_ostreams = 4, .max_instreams = 4}).ok());
  EXPECT_TRUE(socket->SetNoDelay(true).ok());
  EXPECT_TRUE(socket->SetBufferSizes(1 << 20, 1 << 20).ok());
  return std::move(*socket);
}

// Associates a client endpoint bound to `client_ip` with a listening server
// bound to `server_ip`, then exchanges messages on two streams with distinct
// PPIDs in both directions, ordered and unordered, plus one message larger
// than a receive buffer, and checks every byte and every SCTP_RCVINFO field.
void ExchangeOverOneAssociation(int family, const std::string& server_ip,
                                const std::string& client_ip,
                                const sctpgw::testing::NetNamespace* server_ns,
                                const sctpgw::testing::NetNamespace* client_ns) {
  std::optional<SctpSocket> server;
  {
    std::optional<sctpgw::testing::ScopedNetns> in;
    if (server_ns != nullptr) in.emplace(*server_ns);
    server = OpenEndpoint(family);
    ASSERT_TRUE(server->Bind({*SocketAddress::Parse(server_ip, 0)}).ok());
    ASSERT_TRUE(server->Listen(16).ok());
  }
  auto port = server->LocalPort();
  ASSERT_TRUE(port.ok()) << port.status();
  ASSERT_NE(*port, 0);

  std::optional<SctpSocket> client;
  {
    std::optional<sctpgw::testing::ScopedNetns> in;
    if (client_ns != nullptr) in.emplace(*client_ns);
    client = OpenEndpoint(family);
    ASSERT_TRUE(client->Bind({*SocketAddress::Parse(client_ip, 0)}).ok());
  }
  auto connected = client->Connect({*SocketAddress::Parse(server_ip, *port)});
  ASSERT_TRUE(connected.ok()) << connected.status();
  auto client_assoc = WaitForCommUp(*client, kTimeout);
  ASSERT_TRUE(client_assoc.ok()) << client_assoc.status();
  auto server_assoc = WaitForCommUp(*server, kTimeout);
  ASSERT_TRUE(server_assoc.ok()) << server_assoc.status();

  auto peers = client->PeerAddresses(*client_assoc);
  ASSERT_TRUE(peers.ok()) << peers.status();
  ASSERT_EQ(peers->size(), 1u);
  EXPECT_EQ((*peers)[0].Ip(), server_ip);
  EXPECT_EQ((*peers)[0].port(), *port);

  // Client to server: stream 0 (PPID 18, S1AP) and stream 3 (PPID 60, NGAP).
  ASSERT_TRUE(SendMessage(*client, *client_assoc, 0, 18, "s1ap-setup").ok());
  ASSERT_TRUE(SendMessage(*client, *client_assoc, 3, 60, "ngap-setup").ok());
  ASSERT_TRUE(SendMessage(*client, *client_assoc, 3, 60, "ngap-unordered", true).ok());
  ASSERT_TRUE(SendMessage(*client, *client_assoc, 0, 18, "s1ap-second").ok());

  std::vector<sctpgw::testing::TestMessage> received;
  for (int i = 0; i < 4; ++i) {
    auto message = ReceiveMessage(*server, kTimeout);
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_EQ(message->assoc_id, *server_assoc);
    received.push_back(*message);
  }
  // Per stream, ordered messages keep their order; check by stream.
  std::vector<std::string> stream0, stream3;
  for (const auto& m : received) {
    if (m.stream == 0) {
      EXPECT_EQ(m.ppid, 18u);
      EXPECT_FALSE(m.unordered);
      stream0.push_back(m.payload);
    } else {
      ASSERT_EQ(m.stream, 3);
      EXPECT_EQ(m.ppid, 60u);
      EXPECT_EQ(m.unordered, m.payload == "ngap-unordered");
      stream3.push_back(m.payload);
    }
  }
  EXPECT_EQ(stream0, (std::vector<std::string>{"s1ap-setup", "s1ap-second"}));
  ASSERT_EQ(stream3.size(), 2u);
  EXPECT_NE(std::find(stream3.begin(), stream3.end(), "ngap-setup"), stream3.end());
  EXPECT_NE(std::find(stream3.begin(), stream3.end(), "ngap-unordered"), stream3.end());

  // Server to client, on the association the server learned from COMM_UP.
  ASSERT_TRUE(SendMessage(*server, *server_assoc, 2, 46, "diameter-answer").ok());
  auto answer = ReceiveMessage(*client, kTimeout);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->assoc_id, *client_assoc);
  EXPECT_EQ(answer->stream, 2);
  EXPECT_EQ(answer->ppid, 46u);
  EXPECT_EQ(answer->payload, "diameter-answer");

  // A message larger than the 64 KiB read buffer arrives in pieces and is
  // reassembled whole.
  std::string big(200 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(SendMessage(*client, *client_assoc, 1, 99, big).ok());
  auto whole = ReceiveMessage(*server, kTimeout);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->stream, 1);
  EXPECT_EQ(whole->ppid, 99u);
  EXPECT_EQ(whole->payload.size(), big.size());
  EXPECT_TRUE(whole->payload == big);
}

TEST(SctpSocketLabTest, LoopbackIpv4TwoStreamsAndLargeMessage) {
  ExchangeOverOneAssociation(AF_INET, "127.0.0.1", "127.0.0.1", nullptr, nullptr);
}

TEST(SctpSocketLabTest, LoopbackIpv6) {
  ExchangeOverOneAssociation(AF_INET6, "::1", "::1", nullptr, nullptr);
}

TEST(SctpSocketLabTest, ConnectToAPortWithNoListenerFails) {
  SctpSocket listener = OpenEndpoint(AF_INET);
  ASSERT_TRUE(listener.Bind({*SocketAddress::Parse("127.0.0.1", 0)}).ok());
  auto unused_port = listener.LocalPort();
  ASSERT_TRUE(unused_port.ok());
  listener.Close();  // Nobody listens on that port any more.

  SctpSocket client = OpenEndpoint(AF_INET);
  auto connected = client.Connect({*SocketAddress::Parse("127.0.0.1", *unused_port)});
  // The kernel either refuses at once or reports CANT_STR_ASSOC; never COMM_UP.
  if (connected.ok()) {
    auto up = WaitForCommUp(client, 10s);
    EXPECT_FALSE(up.ok());
  }
}

class SctpNetnsLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "network namespaces need root";
    }
    std::string prefix = "sgw" + std::to_string(getpid());
    auto a = sctpgw::testing::NetNamespace::Create(prefix + "a");
    ASSERT_TRUE(a.ok()) << a.status();
    host_a_.emplace(std::move(*a));
    auto b = sctpgw::testing::NetNamespace::Create(prefix + "b");
    ASSERT_TRUE(b.ok()) << b.status();
    host_b_.emplace(std::move(*b));
    // Documentation prefixes (RFC 5737, RFC 3849): never real hosts.
    ASSERT_TRUE(sctpgw::testing::ConnectWithVeth(*host_a_, "veth0", {"198.51.100.1/24", "2001:db8:1::1/64"},
                                                 *host_b_, "veth0", {"198.51.100.2/24", "2001:db8:1::2/64"})
                    .ok());
  }

  std::optional<sctpgw::testing::NetNamespace> host_a_;
  std::optional<sctpgw::testing::NetNamespace> host_b_;
};

TEST_F(SctpNetnsLabTest, TwoHostsOverVethIpv4) {
  ExchangeOverOneAssociation(AF_INET, "198.51.100.1", "198.51.100.2", &*host_a_, &*host_b_);
}

TEST_F(SctpNetnsLabTest, TwoHostsOverVethIpv6) {
  ExchangeOverOneAssociation(AF_INET6, "2001:db8:1::1", "2001:db8:1::2", &*host_a_, &*host_b_);
}

TEST_F(SctpNetnsLabTest, HostsAreIsolated) {
  // Host B's loopback is its own: an endpoint on host A's 127.0.0.1 is not
  // reachable from host B's 127.0.0.1.
  std::optional<SctpSocket> server;
  {
    sctpgw::testing::ScopedNetns in(*host_a_);
    ASSERT_TRUE(in.status().ok()) << in.status();
    server = OpenEndpoint(AF_INET);
    ASSERT_TRUE(server->Bind({*SocketAddress::Parse("127.0.0.1", 0)}).ok());
    ASSERT_TRUE(server->Listen(4).ok());
  }
  auto port = server->LocalPort();
  ASSERT_TRUE(port.ok());
  std::optional<SctpSocket> client;
  {
    sctpgw::testing::ScopedNetns in(*host_b_);
    client = OpenEndpoint(AF_INET);
  }
  auto connected = client->Connect({*SocketAddress::Parse("127.0.0.1", *port)});
  if (connected.ok()) {
    EXPECT_FALSE(WaitForCommUp(*client, 10s).ok());
  }
}

}  // namespace
}  // namespace sctpgw::net
