// Multi-homing end to end: an association over two links between two
// network namespaces, every path visible, failover without losing a message,
// the primary path and the timers under control. Runs under the lab.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "tests/lab/support/gateway_app.h"

namespace sctpgw {
namespace {

using namespace std::chrono_literals;
using testing::App;
using testing::ErrorReason;
using testing::EventWatch;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::Message;
using testing::PeerScript;
using testing::SctpgwServer;
using testing::SetTimeout;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

// This namespace and a peer namespace joined by two links on two subnets:
// link 1 198.51.100.1 <-> .2, link 2 203.0.113.1 <-> .2 and
// 2001:db8:2::1 <-> ::2.
class MultihomingLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = testing::NetNamespace::Create(absl::StrCat("sctpgw-mh-", getpid()));
    ASSERT_TRUE(ns.ok()) << ns.status();
    peer_ns_.emplace(std::move(*ns));
    ASSERT_TRUE(peer_ns_->AddLink("mh1a", "198.51.100.1/24", "mh1b", "198.51.100.2/24").ok());
    ASSERT_TRUE(peer_ns_->AddLink("mh2a", "203.0.113.1/24", "mh2b", "203.0.113.2/24").ok());
    ASSERT_TRUE(testing::RunCommand("ip -6 addr add 2001:db8:2::1/64 dev mh2a nodad").ok());
    ASSERT_TRUE(peer_ns_->Exec("ip -6 addr add 2001:db8:2::2/64 dev mh2b nodad").ok());
    auto server = SctpgwServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop(kCallTimeout).ok());
    }
    (void)testing::RunCommand("ip link del mh1a 2>/dev/null; ip link del mh2a 2>/dev/null");
  }

  // A Python peer in the other namespace bound to the wildcard address, so
  // that it offers both of its addresses; returns its port.
  uint32_t StartPeer(const std::string& script) {
    auto peer = testing::Subprocess::Start({"ip", "netns", "exec", peer_ns_->name(),
                                            "/usr/bin/python3", PeerScript(), "listen",
                                            "0.0.0.0"},
                                           /*keep_stdin=*/true);
    EXPECT_TRUE(peer.ok()) << peer.status();
    peer_.emplace(std::move(*peer));
    auto banner = peer_->ReadStdoutUntil("\n", kCallTimeout);
    EXPECT_TRUE(banner.ok()) << banner.status();
    EXPECT_TRUE(peer_->WriteStdin(script).ok());
    return static_cast<uint32_t>(std::stoul(banner->substr(5)));
  }

  // A second sctpgw on the peer host.
  std::unique_ptr<SctpgwServer> StartPeerGateway() {
    auto server = SctpgwServer::Start({}, {"ip", "netns", "exec", peer_ns_->name()});
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  // Opens an endpoint on `open.local_addresses` and associates from it to
  // `peers` at `port`.
  v1::Association AssociateFrom(App& app, v1::OpenEndpointRequest open,
                                const std::vector<std::string>& peers, uint32_t port) {
    v1::Endpoint endpoint;
    grpc::Status status = app.OpenEndpoint(open, &endpoint);
    EXPECT_TRUE(status.ok()) << status.error_message();
    endpoint_id_ = endpoint.endpoint_id();
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::AssociateRequest request;
    request.set_session_id(app.session());
    request.set_endpoint_id(endpoint.endpoint_id());
    for (const std::string& ip : peers) request.add_peer_addresses(ip);
    request.set_peer_port(port);
    v1::AssociateResponse response;
    status = app.stub().Associate(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.association();
  }

  // Associates from an endpoint bound to both local IPv4 addresses to both
  // of the peer's.
  v1::Association Associate(App& app, uint32_t port, const v1::PathParameters& parameters,
                            bool address_reconfiguration = false) {
    v1::OpenEndpointRequest open;
    open.add_local_addresses("198.51.100.1");
    open.add_local_addresses("203.0.113.1");
    *open.mutable_path_parameters() = parameters;
    open.set_address_reconfiguration(address_reconfiguration);
    return AssociateFrom(app, open, {"198.51.100.2", "203.0.113.2"}, port);
  }

  std::optional<testing::NetNamespace> peer_ns_;
  std::unique_ptr<SctpgwServer> server_;
  std::optional<testing::Subprocess> peer_;
  uint64_t endpoint_id_ = 0;
};

v1::PathParameters Aggressive() {
  v1::PathParameters p;
  p.set_rto_initial_ms(200);
  p.set_rto_min_ms(100);
  p.set_rto_max_ms(400);
  p.set_heartbeat_interval_ms(200);
  p.set_path_max_retransmissions(2);
  p.set_association_max_retransmissions(20);
  return p;
}

// The peer addresses of an association's paths.
std::set<std::string> PathIps(App& app, uint64_t association_id) {
  v1::GetAssociationResponse info;
  grpc::Status status = app.GetAssociation(association_id, &info);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> ips;
  for (const v1::PeerPath& path : info.paths()) ips.insert(path.address().ip());
  return ips;
}

std::function<bool(const v1::Event&)> IsPathChange(uint64_t association_id, const std::string& ip,
                                                   v1::PeerAddressChangeType type) {
  return [=](const v1::Event& event) {
    return event.association_id() == association_id && event.has_peer_address_change() &&
           event.peer_address_change().address().ip() == ip &&
           event.peer_address_change().type() == type;
  };
}

// Both paths are visible with their state; parameters set at open time are
// in force and can be changed later; invalid values name the field.
TEST_F(MultihomingLabTest, EveryPathVisibleAndParametersControllable) {
  App app(*server_);
  uint32_t port = StartPeer("recv 1\n");
  v1::Association association = Associate(app, port, Aggressive(),
                                           /*address_reconfiguration=*/true);
  ASSERT_EQ(association.peer_addresses_size(), 2);

  v1::GetAssociationResponse info;
  ASSERT_TRUE(app.GetAssociation(association.association_id(), &info).ok());
  ASSERT_EQ(info.paths_size(), 2);
  std::set<std::string> ips;
  for (const v1::PeerPath& path : info.paths()) {
    ips.insert(path.address().ip());
    EXPECT_NE(path.state(), v1::PATH_STATE_INACTIVE);
    EXPECT_GT(path.mtu(), 0u);
  }
  EXPECT_EQ(ips, (std::set<std::string>{"198.51.100.2", "203.0.113.2"}));
  EXPECT_EQ(info.status().primary().address().ip(), "198.51.100.2");
  EXPECT_EQ(info.association().local_addresses_size(), 2);
  EXPECT_EQ(info.path_parameters().rto_initial_ms(), 200u);
  EXPECT_EQ(info.path_parameters().rto_max_ms(), 400u);
  EXPECT_EQ(info.path_parameters().path_max_retransmissions(), 2u);
  EXPECT_EQ(info.path_parameters().association_max_retransmissions(), 20u);

  // Change them on the live association and read them back.
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  v1::ConfigurePathsRequest configure;
  configure.set_session_id(app.session());
  configure.set_association_id(association.association_id());
  configure.mutable_parameters()->set_heartbeat_interval_ms(700);
  configure.mutable_parameters()->set_potentially_failed_threshold(1);
  configure.mutable_parameters()->set_sack_delay_ms(20);
  v1::ConfigurePathsResponse configured;
  grpc::Status status = app.stub().ConfigurePaths(&context, configure, &configured);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(configured.parameters().heartbeat_interval_ms(), 700u);
  EXPECT_EQ(configured.parameters().potentially_failed_threshold(), 1u);
  EXPECT_EQ(configured.parameters().sack_delay_ms(), 20u);
  EXPECT_EQ(configured.parameters().rto_initial_ms(), 200u) << "an unset field changed";

  // Invalid values: INVALID_ARGUMENT naming the field; nothing changes.
  grpc::ClientContext bad_context;
  SetTimeout(&bad_context, kCallTimeout);
  v1::ConfigurePathsRequest bad = configure;
  bad.mutable_parameters()->Clear();
  bad.mutable_parameters()->set_sack_delay_ms(5000);
  status = app.stub().ConfigurePaths(&bad_context, bad, &configured);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("parameters.sack_delay_ms"), std::string::npos);

  // Primary path: only one of the peer's addresses.
  grpc::ClientContext primary_context;
  SetTimeout(&primary_context, kCallTimeout);
  v1::SetPrimaryPathRequest primary;
  primary.set_session_id(app.session());
  primary.set_association_id(association.association_id());
  primary.set_peer_address("192.0.2.99");
  v1::SetPrimaryPathResponse primary_response;
  status = app.stub().SetPrimaryPath(&primary_context, primary, &primary_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorReason(status), "INVALID_ADDRESS");

  // One path on its own: heartbeats off and more retransmissions for
  // 203.0.113.2; the other path keeps the association's settings.
  v1::PathParameters one_path;
  one_path.set_heartbeat_enabled(false);
  one_path.set_path_max_retransmissions(7);
  v1::ConfigurePathsResponse path_configured;
  status = app.ConfigurePaths(association.association_id(), one_path, "203.0.113.2",
                              &path_configured);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(path_configured.path().address().ip(), "203.0.113.2");
  EXPECT_FALSE(path_configured.path().heartbeat_enabled());
  EXPECT_EQ(path_configured.path().path_max_retransmissions(), 7u);
  ASSERT_TRUE(app.GetAssociation(association.association_id(), &info).ok());
  for (const v1::PeerPath& path : info.paths()) {
    bool own = path.address().ip() == "203.0.113.2";
    EXPECT_EQ(path.heartbeat_enabled(), !own) << path.address().ip();
    EXPECT_EQ(path.path_max_retransmissions(), own ? 7u : 2u) << path.address().ip();
    EXPECT_EQ(path.heartbeat_interval_ms(), 700u) << path.address().ip();
  }
  // Association-wide fields cannot be set for one path; unknown paths.
  v1::PathParameters wide;
  wide.set_rto_min_ms(100);
  status = app.ConfigurePaths(association.association_id(), wide, "203.0.113.2",
                              &path_configured);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("parameters.rto_min_ms"), std::string::npos);
  EXPECT_EQ(ErrorReason(app.ConfigurePaths(association.association_id(), one_path,
                                           "192.0.2.99", &path_configured)),
            "INVALID_ADDRESS");

  // This endpoint offers ASCONF, the Python peer (net.sctp defaults) does not.
  status = app.RequestPeerPrimaryPath(association.association_id(), "203.0.113.1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "RECONFIGURATION_UNSUPPORTED");
  ASSERT_TRUE(app.Send(association.association_id(), {Message(0, 0, "bye")}).ok());
}

// Numbered messages flow while the primary link goes silent: the
// unreachable event arrives, traffic moves to the other path, and every
// message arrives once, in order. Link back: the path is available again,
// and making it primary moves traffic back.
TEST_F(MultihomingLabTest, FailoverLosesNothing) {
  App app(*server_);
  constexpr int kMessages = 400;
  uint32_t port = StartPeer(absl::StrCat("recv ", kMessages, "\n"));
  v1::Association association = Associate(app, port, Aggressive());
  uint64_t id = association.association_id();
  EventWatch events(app.stub(), app.WatchEndpoint(endpoint_id_));

  auto send_range = [&](int from, int to) {
    for (int i = from; i < to; i += 10) {
      std::vector<v1::OutboundMessage> batch;
      for (int j = i; j < std::min(to, i + 10); ++j) {
        batch.push_back(Message(0, 0, absl::StrCat("message-", j)));
      }
      grpc::Status status = app.Send(id, batch);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  };
  send_range(0, 100);
  auto silenced = std::chrono::steady_clock::now();
  ASSERT_TRUE(testing::RunCommand("tc qdisc add dev mh1a root netem loss 100%").ok());
  send_range(100, 300);
  auto unreachable = events.WaitFor(
      IsPathChange(id, "198.51.100.2", v1::PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE), kTimeout);
  ASSERT_TRUE(unreachable.ok()) << unreachable.status();
  auto detected = std::chrono::steady_clock::now() - silenced;
  send_range(300, kMessages);
  auto out = peer_->ReadStdoutUntil("done\n", kCallTimeout);
  ASSERT_TRUE(out.ok()) << out.status() << "\n" << peer_->ReadStdout(0ms).substr(0, 2000);
  // Every message once, in order.
  std::string expected;
  for (int i = 0; i < kMessages; ++i) absl::StrAppend(&expected, "got 0 0 message-", i, "\n");
  EXPECT_EQ(out->substr(out->find("got 0 0 message-0\n")), expected + "done\n");
  std::printf("failover: path failure detected %lld ms after the link went silent\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(detected).count()));

  v1::GetAssociationResponse info;
  ASSERT_TRUE(app.GetAssociation(id, &info).ok());
  for (const v1::PeerPath& path : info.paths()) {
    if (path.address().ip() == "198.51.100.2") {
      EXPECT_EQ(path.state(), v1::PATH_STATE_INACTIVE);
    }
  }
  // The link comes back: heartbeats find the path again.
  ASSERT_TRUE(testing::RunCommand("tc qdisc del dev mh1a root").ok());
  auto available = events.WaitFor(
      IsPathChange(id, "198.51.100.2", v1::PEER_ADDRESS_CHANGE_TYPE_AVAILABLE), kTimeout);
  ASSERT_TRUE(available.ok()) << available.status();
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  v1::SetPrimaryPathRequest primary;
  primary.set_session_id(app.session());
  primary.set_association_id(id);
  primary.set_peer_address("198.51.100.2");
  v1::SetPrimaryPathResponse response;
  ASSERT_TRUE(app.stub().SetPrimaryPath(&context, primary, &response).ok());
  ASSERT_TRUE(app.GetAssociation(id, &info).ok());
  EXPECT_EQ(info.status().primary().address().ip(), "198.51.100.2");
  EXPECT_EQ(info.status().primary().state(), v1::PATH_STATE_ACTIVE);
}

// Two sctpgw instances, one per host, both offering dynamic address
// reconfiguration: an address added to a live endpoint reaches the peer's
// association (ADDED), the peer is asked to prefer it (MADE_PRIMARY), and the
// old address is removed (REMOVED); messages flow both ways afterwards.
TEST_F(MultihomingLabTest, AddressReconfigurationBetweenTwoGateways) {
  std::unique_ptr<SctpgwServer> remote = StartPeerGateway();
  ASSERT_NE(remote, nullptr);
  App b(*remote);
  v1::OpenEndpointRequest listen;
  listen.add_local_addresses("198.51.100.2");
  listen.add_local_addresses("203.0.113.2");
  listen.set_listen(true);
  listen.set_address_reconfiguration(true);
  v1::Endpoint b_endpoint;
  ASSERT_TRUE(b.OpenEndpoint(listen, &b_endpoint).ok());
  EXPECT_TRUE(b_endpoint.address_reconfiguration());
  EventWatch b_events(b.stub(), b.WatchEndpoint(b_endpoint.endpoint_id()));

  App a(*server_);
  v1::OpenEndpointRequest open;
  open.add_local_addresses("198.51.100.1");
  open.set_address_reconfiguration(true);
  v1::Association association =
      AssociateFrom(a, open, {"198.51.100.2", "203.0.113.2"}, b_endpoint.port());
  uint64_t a_id = association.association_id();
  ASSERT_NE(a_id, 0u);
  auto up = b_events.WaitFor(testing::IsCommUpOnEndpoint(b_endpoint.endpoint_id()), kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();
  uint64_t b_id = up->association_id();
  EXPECT_EQ(PathIps(a, a_id), (std::set<std::string>{"198.51.100.2", "203.0.113.2"}));
  EXPECT_EQ(PathIps(b, b_id), (std::set<std::string>{"198.51.100.1"}));

  grpc::Status status = a.UpdateAddresses(endpoint_id_, {"203.0.113.1"}, {});
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto added = b_events.WaitFor(
      IsPathChange(b_id, "203.0.113.1", v1::PEER_ADDRESS_CHANGE_TYPE_ADDED), kTimeout);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(PathIps(b, b_id), (std::set<std::string>{"198.51.100.1", "203.0.113.1"}));

  status = a.RequestPeerPrimaryPath(a_id, "203.0.113.1");
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto primary = b_events.WaitFor(
      IsPathChange(b_id, "203.0.113.1", v1::PEER_ADDRESS_CHANGE_TYPE_MADE_PRIMARY), kTimeout);
  ASSERT_TRUE(primary.ok()) << primary.status();
  v1::GetAssociationResponse info;
  ASSERT_TRUE(b.GetAssociation(b_id, &info).ok());
  EXPECT_EQ(info.status().primary().address().ip(), "203.0.113.1");
  EXPECT_EQ(ErrorReason(a.RequestPeerPrimaryPath(a_id, "198.51.100.2")), "INVALID_ADDRESS");

  status = a.UpdateAddresses(endpoint_id_, {}, {"198.51.100.1"});
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto removed = b_events.WaitFor(
      IsPathChange(b_id, "198.51.100.1", v1::PEER_ADDRESS_CHANGE_TYPE_REMOVED), kTimeout);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(PathIps(b, b_id), (std::set<std::string>{"203.0.113.1"}));

  ASSERT_TRUE(a.Send(a_id, {Message(1, 7, "after reconfiguration")}).ok());
  std::vector<v1::InboundMessage> got = b.ReceiveN(b_id, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "after reconfiguration");
  EXPECT_EQ(got[0].ppid(), 7u);
  ASSERT_TRUE(b.Send(b_id, {Message(0, 0, "reply")}).ok());
  got = a.ReceiveN(a_id, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "reply");
  EXPECT_TRUE(remote->Stop(kCallTimeout).ok());
}

// One association, one IPv4 and one IPv6 path (two sctpgw instances): both
// families are listed on both sides, and with the IPv6 path primary,
// messages arrive while the IPv4 link is silent.
TEST_F(MultihomingLabTest, PathsMixIpv4AndIpv6) {
  std::unique_ptr<SctpgwServer> remote = StartPeerGateway();
  ASSERT_NE(remote, nullptr);
  App b(*remote);
  v1::OpenEndpointRequest listen;
  listen.add_local_addresses("198.51.100.2");
  listen.add_local_addresses("2001:db8:2::2");
  listen.set_listen(true);
  v1::Endpoint b_endpoint;
  grpc::Status status = b.OpenEndpoint(listen, &b_endpoint);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EventWatch b_events(b.stub(), b.WatchEndpoint(b_endpoint.endpoint_id()));

  App a(*server_);
  v1::OpenEndpointRequest open;
  open.add_local_addresses("198.51.100.1");
  open.add_local_addresses("2001:db8:2::1");
  uint64_t a_id =
      AssociateFrom(a, open, {"198.51.100.2", "2001:db8:2::2"}, b_endpoint.port())
          .association_id();
  ASSERT_NE(a_id, 0u);
  auto up = b_events.WaitFor(testing::IsCommUpOnEndpoint(b_endpoint.endpoint_id()), kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();
  uint64_t b_id = up->association_id();
  EXPECT_EQ(PathIps(a, a_id), (std::set<std::string>{"198.51.100.2", "2001:db8:2::2"}));
  EXPECT_EQ(PathIps(b, b_id), (std::set<std::string>{"198.51.100.1", "2001:db8:2::1"}));
  // Opened without address_reconfiguration.
  EXPECT_EQ(ErrorReason(a.RequestPeerPrimaryPath(a_id, "2001:db8:2::1")),
            "RECONFIGURATION_UNSUPPORTED");

  status = a.SetPrimaryPath(a_id, "2001:db8:2::2");
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(testing::RunCommand("tc qdisc add dev mh1a root netem loss 100%").ok());
  ASSERT_TRUE(a.Send(a_id, {Message(0, 0, "over IPv6")}).ok());
  std::vector<v1::InboundMessage> got = b.ReceiveN(b_id, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "over IPv6");
  v1::GetAssociationResponse info;
  ASSERT_TRUE(a.GetAssociation(a_id, &info).ok());
  EXPECT_EQ(info.status().primary().address().ip(), "2001:db8:2::2");
  ASSERT_TRUE(testing::RunCommand("tc qdisc del dev mh1a root").ok());
  EXPECT_TRUE(remote->Stop(kCallTimeout).ok());
}

// A live listening endpoint gains an address: peers can then reach it
// there; removing the old one leaves the new one.
TEST_F(MultihomingLabTest, LocalAddressesOfALiveEndpointChange) {
  App app(*server_);
  v1::OpenEndpointRequest open;
  open.add_local_addresses("198.51.100.1");
  open.set_listen(true);
  v1::Endpoint endpoint;
  ASSERT_TRUE(app.OpenEndpoint(open, &endpoint).ok());
  ASSERT_EQ(endpoint.local_addresses_size(), 1);

  auto update = [&](const std::vector<std::string>& add, const std::vector<std::string>& remove,
                    v1::Endpoint* out) {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::UpdateEndpointAddressesRequest request;
    request.set_session_id(app.session());
    request.set_endpoint_id(endpoint.endpoint_id());
    for (const auto& ip : add) request.add_add_addresses(ip);
    for (const auto& ip : remove) request.add_remove_addresses(ip);
    v1::UpdateEndpointAddressesResponse response;
    grpc::Status status = app.stub().UpdateEndpointAddresses(&context, request, &response);
    if (out != nullptr) *out = response.endpoint();
    return status;
  };
  v1::Endpoint updated;
  grpc::Status status = update({"203.0.113.1"}, {}, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.local_addresses_size(), 2);

  // A peer reaches it on the new address.
  auto peer = testing::Subprocess::Start(
      {"ip", "netns", "exec", peer_ns_->name(), "/usr/bin/python3", PeerScript(), "connect",
       "203.0.113.1", absl::StrCat(endpoint.port())},
      /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("3 9 via the new address\n").ok());
  std::vector<v1::InboundMessage> got;
  v1::ReceiveRequest receive;
  receive.set_endpoint_id(endpoint.endpoint_id());
  status = app.ReceiveFrom(receive, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload(), "via the new address");

  status = update({}, {"198.51.100.1"}, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(updated.local_addresses_size(), 1);
  EXPECT_EQ(updated.local_addresses(0).ip(), "203.0.113.1");
  // An address this host does not have, and a malformed one.
  EXPECT_EQ(ErrorReason(update({"192.0.2.77"}, {}, nullptr)), "ADDRESS_NOT_AVAILABLE");
  EXPECT_EQ(ErrorReason(update({"not-an-ip"}, {}, nullptr)), "INVALID_ADDRESS");
  peer->CloseStdin();
}

// Timers decide how fast a failed path is noticed: the same silent link is
// detected faster with aggressive RTO/retransmission settings than with
// moderate ones (both measured, while traffic flows).
TEST_F(MultihomingLabTest, TimersChangeFailureDetection) {
  v1::PathParameters moderate;
  moderate.set_rto_initial_ms(1000);
  moderate.set_rto_min_ms(1000);
  moderate.set_rto_max_ms(2000);
  moderate.set_heartbeat_interval_ms(2000);
  moderate.set_path_max_retransmissions(3);
  moderate.set_association_max_retransmissions(20);

  std::vector<long long> detection_ms;
  for (const v1::PathParameters& parameters : {Aggressive(), moderate}) {
    App app(*server_);
    uint32_t port = StartPeer("recv 1000\n");
    v1::Association association = Associate(app, port, parameters);
    uint64_t id = association.association_id();
    EventWatch events(app.stub(), app.WatchEndpoint(endpoint_id_));
    ASSERT_TRUE(app.Send(id, {Message(0, 0, "warm-up")}).ok());
    ASSERT_TRUE(testing::RunCommand("tc qdisc add dev mh1a root netem loss 100%").ok());
    auto silenced = std::chrono::steady_clock::now();
    // Traffic keeps the retransmission timer running on the failing path.
    ASSERT_TRUE(app.Send(id, {Message(0, 0, "probe")}).ok());
    auto unreachable = events.WaitFor(
        IsPathChange(id, "198.51.100.2", v1::PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE), kTimeout);
    ASSERT_TRUE(unreachable.ok()) << unreachable.status();
    detection_ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - silenced)
                               .count());
    ASSERT_TRUE(testing::RunCommand("tc qdisc del dev mh1a root").ok());
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    v1::CloseEndpointRequest close;
    close.set_session_id(app.session());
    close.set_endpoint_id(endpoint_id_);
    close.set_abort(true);
    v1::CloseEndpointResponse closed;
    ASSERT_TRUE(app.stub().CloseEndpoint(&context, close, &closed).ok());
    peer_.reset();
  }
  std::printf("path failure detection: %lld ms with aggressive timers, %lld ms with moderate\n",
              detection_ms[0], detection_ms[1]);
  EXPECT_LT(detection_ms[0], detection_ms[1]);
}

}  // namespace
}  // namespace sctpgw
