// SCTP over UDP (RFC 6951) against an SCTP implementation that is not the
// Linux kernel's: the userland stack usrsctp (Debian's libusrsctp-examples),
// which speaks SCTP only over UDP. Both directions, stream and PPID checked;
// an endpoint that asks for UDP where the namespace has no local UDP port,
// and a port out of range.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/process.h"
#include "tests/lab/support/sctpgw_server.h"

namespace sctpgw {
namespace {

using testing::App;
using testing::kCallTimeout;
using testing::Message;
using testing::SctpgwServer;
using testing::StartShell;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

// The kernel's local UDP port (sctpgw's sctp.udp_port) and usrsctp's.
constexpr int kKernelUdpPort = 9899;
constexpr int kUsrsctpUdpPort = 11111;
constexpr char kUsrsctp[] = "/usr/lib/usrsctp/";

int KernelUdpPort() {
  std::ifstream in("/proc/sys/net/sctp/udp_port");
  int port = -1;
  in >> port;
  return port;
}

class UdpEncapsulationLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Each test starts from a namespace without SCTP over UDP.
    std::ofstream("/proc/sys/net/sctp/udp_port") << 0 << "\n";
    ASSERT_EQ(KernelUdpPort(), 0);
  }
  void StartServer(std::vector<std::string> args) {
    auto server = SctpgwServer::Start(args);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::unique_ptr<SctpgwServer> server_;
};

// sctpgw -> usrsctp's echo server (SCTP port 7 over UDP port 11111), which
// sends every message back on its stream with its PPID.
TEST_F(UdpEncapsulationLabTest, ReachesAUserlandStackOverUdp) {
  StartServer({"--udp-port", absl::StrCat(kKernelUdpPort)});
  EXPECT_EQ(KernelUdpPort(), kKernelUdpPort);  // sctpgw set it.
  // Line-buffered, so that its log of each message arrives as it happens.
  auto echo = StartShell(absl::StrCat("stdbuf -oL ", kUsrsctp, "echo_server ", kUsrsctpUdpPort,
                                      " ", kKernelUdpPort),
                         false);
  ASSERT_TRUE(echo.ok()) << echo.status();
  App a(*server_);
  v1::OpenEndpointRequest request;
  request.add_local_addresses("127.0.0.1");
  request.mutable_init()->set_outbound_streams(10);
  request.mutable_init()->set_max_inbound_streams(10);
  request.set_udp_encapsulation_port(kUsrsctpUdpPort);
  v1::Endpoint endpoint;
  grpc::Status status = a.OpenEndpoint(request, &endpoint);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(endpoint.udp_encapsulation_port(), static_cast<uint32_t>(kUsrsctpUdpPort));
  v1::Association association;
  // usrsctp's server starts listening a moment after it starts: retry the
  // association until it answers.
  for (int attempt = 0; attempt < 20; ++attempt) {
    status = a.Associate(endpoint.endpoint_id(), "127.0.0.1", 7, &association);
    if (status.ok()) break;
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = a.Send(association.association_id(),
                  {Message(3, 42, "over UDP to usrsctp"), Message(0, 7, "and back")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::InboundMessage> got = a.ReceiveN(association.association_id(), 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].payload(), "over UDP to usrsctp");
  EXPECT_EQ(got[0].stream(), 3u);
  EXPECT_EQ(got[0].ppid(), 42u);
  EXPECT_EQ(got[1].payload(), "and back");
  EXPECT_EQ(got[1].stream(), 0u);
  EXPECT_EQ(got[1].ppid(), 7u);
  // The peer saw them as sent (its own log of each message).
  EXPECT_TRUE(echo->ReadStdoutUntil("on stream 3", kCallTimeout).ok());

  v1::GetAssociationResponse detail;
  status = a.GetAssociation(association.association_id(), &detail);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(detail.status().udp_encapsulation_port(), static_cast<uint32_t>(kUsrsctpUdpPort));
  status = a.Shutdown(association.association_id(), v1::SHUTDOWN_MODE_GRACEFUL);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// usrsctp's client -> an sctpgw listening endpoint: the association arrives
// over UDP and is answered over UDP with no setting on the endpoint.
TEST_F(UdpEncapsulationLabTest, AcceptsAUserlandStackOverUdp) {
  StartServer({"--udp-port", absl::StrCat(kKernelUdpPort)});
  App a(*server_);
  v1::Endpoint listener = a.Listen("127.0.0.1");
  // client remote_addr remote_port local_port local_encaps_port remote_encaps_port
  auto client = StartShell(absl::StrCat(kUsrsctp, "client 127.0.0.1 ", listener.port(), " 0 ",
                                        kUsrsctpUdpPort, " ", kKernelUdpPort),
                           /*keep_stdin=*/true);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(client->WriteStdin("ping from usrsctp\n").ok());
  std::vector<v1::InboundMessage> got;
  v1::ReceiveRequest request;
  request.set_endpoint_id(listener.endpoint_id());
  grpc::Status status = a.ReceiveFrom(request, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "ping from usrsctp\n");
  EXPECT_EQ(got[0].stream(), 0u);  // usrsctp's client sends without SNDINFO.
  EXPECT_EQ(got[0].ppid(), 0u);
  v1::GetAssociationResponse detail;
  status = a.GetAssociation(got[0].association_id(), &detail);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(detail.status().udp_encapsulation_port(), static_cast<uint32_t>(kUsrsctpUdpPort));
  status = a.Send(got[0].association_id(), {Message(0, 0, "pong from sctpgw\n")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(client->ReadStdoutUntil("pong from sctpgw\n", kCallTimeout).ok());
}

// Without a local UDP port the kernel would send plain SCTP: refused, with
// the reason and the field. And a port out of range.
TEST_F(UdpEncapsulationLabTest, BadRequestsAreRefusedWithTheReason) {
  StartServer({});
  App a(*server_);
  v1::OpenEndpointRequest request;
  request.add_local_addresses("127.0.0.1");
  request.set_udp_encapsulation_port(kUsrsctpUdpPort);
  grpc::Status status = a.OpenEndpoint(request, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(testing::ErrorReason(status), "UDP_ENCAPSULATION_UNAVAILABLE");
  EXPECT_NE(status.error_message().find("net.sctp.udp_port is 0"), std::string::npos)
      << status.error_message();
  request.set_udp_encapsulation_port(70000);
  status = a.OpenEndpoint(request, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::ErrorMetadata(status)["field"], "udp_encapsulation_port");
}

// A port another UDP socket holds: sctpgw does not start, and says why.
TEST_F(UdpEncapsulationLabTest, AServiceThatCannotSetItsPortDoesNotStart) {
  auto holder = StartShell(absl::StrCat("socat -u UDP4-RECV:", kKernelUdpPort, " -"), false);
  ASSERT_TRUE(holder.ok()) << holder.status();
  auto sctpgw = StartShell(absl::StrCat(SCTPGW_BINARY, " --listen unix:/tmp/udp-refused.sock",
                                        " --udp-port ", kKernelUdpPort),
                           false);
  ASSERT_TRUE(sctpgw.ok()) << sctpgw.status();
  auto exit_status = sctpgw->Wait(kCallTimeout);
  ASSERT_TRUE(exit_status.ok()) << exit_status.status();
  EXPECT_TRUE(WIFEXITED(*exit_status));
  EXPECT_EQ(WEXITSTATUS(*exit_status), 2);
  EXPECT_NE(sctpgw->ReadStdout(kCallTimeout).find("sctp.udp_port"), std::string::npos);
}

}  // namespace
}  // namespace sctpgw
