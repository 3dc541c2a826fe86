#include "server/handover/state_codec.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "sctpgw/handover/v1/handover.pb.h"
#include "server/handover/handover_channel.h"

namespace sctpgw::handover {
namespace {

net::SocketAddress Address(const char* ip, uint16_t port) {
  return *net::SocketAddress::Parse(ip, port);
}

HandoverState Sample() {
  HandoverState state;
  core::GatewayState& g = state.gateway;
  core::SessionRecord session;
  session.info.id = "0123456789abcdef0123456789abcdef";
  session.info.key = session.info.id + "/uid:1000";
  session.info.lease = std::chrono::milliseconds(30000);
  session.client_name = "app";
  g.sessions.push_back(session);
  core::EndpointRecord endpoint;
  endpoint.session = session.info.key;
  endpoint.info.id = 3;
  endpoint.info.port = 38412;
  endpoint.info.local_addresses = {Address("192.0.2.1", 38412), Address("2001:db8::1", 38412)};
  endpoint.info.listening = true;
  endpoint.socket = 11;
  endpoint.max_send_bytes = 1 << 20;
  g.endpoints.push_back(endpoint);
  core::AssociationRecord association;
  association.session = session.info.key;
  association.info.id = 5;
  association.info.endpoint_id = 3;
  association.info.kernel_id = 42;
  association.info.state = core::AssociationState::kEstablished;
  association.info.outbound_streams = 10;
  association.info.inbound_streams = 10;
  association.info.peer_addresses = {Address("198.51.100.9", 2905)};
  association.info.peer_port = 2905;
  association.socket = 12;
  net::InboundMessage message;
  message.stream = 2;
  message.ppid = 60;
  message.payload = std::string("\0binary\xff", 8);
  association.queue.push_back(message);
  g.associations.push_back(association);
  g.next_endpoint_id = 4;
  g.next_association_id = 6;
  g.counters.messages_received = 77;
  g.counters.events[{"assoc_change", "COMM_UP"}] = 1;
  core::Event event;
  event.sequence = 9;
  event.session = session.info.key;
  event.association_id = 5;
  event.notification.type = net::NotificationType::kPeerAddressChange;
  event.notification.address_state = net::PeerAddressState::kMadePrimary;
  event.notification.address = Address("198.51.100.9", 2905);
  event.detail = "why";
  event.messages_lost = 4;
  g.events.events.push_back(std::make_shared<const core::Event>(event));
  g.events.last_sequence = 9;
  state.sockets.push_back({11, {}, "sctp-1x2-11"});
  HandedSocket peeled{12, {}, ""};
  peeled.carry.one_to_many = false;
  peeled.carry.partials.resize(2);
  peeled.carry.partials[0].stream = 1;
  peeled.carry.partials[0].bytes = "first half";
  peeled.carry.partials[1].stream = 2;
  peeled.carry.partials[1].discarding = true;
  state.sockets.push_back(peeled);
  state.listeners.push_back("unix:/run/sctpgw/sctpgw.sock");
  return state;
}

TEST(StateCodecTest, RoundTripKeepsEverything) {
  auto decoded = DecodeState(EncodeState(Sample()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const core::GatewayState& g = decoded->gateway;
  ASSERT_EQ(g.sessions.size(), 1u);
  EXPECT_EQ(g.sessions[0].info.key, "0123456789abcdef0123456789abcdef/uid:1000");
  EXPECT_EQ(g.sessions[0].info.lease.count(), 30000);
  ASSERT_EQ(g.endpoints.size(), 1u);
  EXPECT_EQ(g.endpoints[0].info.local_addresses[1].ToString(), "[2001:db8::1]:38412");
  EXPECT_TRUE(g.endpoints[0].info.listening);
  ASSERT_EQ(g.associations.size(), 1u);
  EXPECT_EQ(g.associations[0].info.state, core::AssociationState::kEstablished);
  EXPECT_EQ(g.associations[0].info.kernel_id, 42);
  ASSERT_EQ(g.associations[0].queue.size(), 1u);
  EXPECT_EQ(g.associations[0].queue[0].payload, std::string("\0binary\xff", 8));
  EXPECT_EQ(g.associations[0].queue[0].ppid, 60u);
  EXPECT_EQ(g.next_association_id, 6u);
  EXPECT_EQ(g.counters.messages_received, 77u);
  EXPECT_EQ((g.counters.events.at({"assoc_change", "COMM_UP"})), 1u);
  ASSERT_EQ(g.events.events.size(), 1u);
  EXPECT_EQ(g.events.events[0]->sequence, 9u);
  EXPECT_EQ(g.events.events[0]->messages_lost, 4u);
  EXPECT_EQ(decoded->sockets[0].fd_name, "sctp-1x2-11");
  EXPECT_EQ(g.events.events[0]->notification.address->ToString(), "198.51.100.9:2905");
  EXPECT_EQ(g.events.last_sequence, 9u);
  ASSERT_EQ(decoded->sockets.size(), 2u);
  EXPECT_FALSE(decoded->sockets[1].carry.one_to_many);
  ASSERT_EQ(decoded->sockets[1].carry.partials.size(), 2u);
  EXPECT_EQ(decoded->sockets[1].carry.partials[0].bytes, "first half");
  EXPECT_TRUE(decoded->sockets[1].carry.partials[1].discarding);
  EXPECT_EQ(decoded->listeners, std::vector<std::string>{"unix:/run/sctpgw/sctpgw.sock"});
}

// A record of a process that knew one partial message per socket (field
// partial only) is read as that one.
TEST(StateCodecTest, ARecordWithOnePartialMessageIsRead) {
  v1::State state;
  ASSERT_TRUE(state.ParseFromString(EncodeState(Sample())));
  for (v1::Socket& socket : *state.mutable_sockets()) {
    if (socket.partials_size() == 0) continue;
    EXPECT_EQ(socket.partial().bytes(), socket.partials(0).bytes());
    socket.clear_partials();
  }
  auto decoded = DecodeState(state.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->sockets[1].carry.partials.size(), 1u);
  EXPECT_EQ(decoded->sockets[1].carry.partials[0].bytes, "first half");
}

TEST(StateCodecTest, HostileStatesAreRefusedWithAReason) {
  EXPECT_EQ(DecodeState("\xff\xff\xff garbage").status().code(), absl::StatusCode::kInvalidArgument);
  v1::State state;
  ASSERT_TRUE(state.ParseFromString(EncodeState(Sample())));
  v1::State uncarried = state;
  uncarried.mutable_associations(0)->set_socket(99);
  EXPECT_NE(DecodeState(uncarried.SerializeAsString()).status().message().find("not handed over"),
            std::string::npos);
  v1::State bad_address = state;
  bad_address.mutable_endpoints(0)->mutable_local_addresses(0)->set_ip("not-an-ip");
  EXPECT_EQ(DecodeState(bad_address.SerializeAsString()).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::State bad_stream = state;
  bad_stream.mutable_associations(0)->mutable_queue(0)->set_stream(70000);
  EXPECT_EQ(DecodeState(bad_stream.SerializeAsString()).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::State bad_type = state;
  bad_type.mutable_events()->mutable_events(0)->mutable_notification()->set_type(1000);
  EXPECT_EQ(DecodeState(bad_type.SerializeAsString()).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::State disordered = state;
  disordered.mutable_events()->set_last_sequence(3);  // Below the event's 9.
  EXPECT_EQ(DecodeState(disordered.SerializeAsString()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HandoverChannelTest, OfferCarriesALargeStateAndItsDescriptors) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  HandoverChannel holder{net::UniqueFd(pair[0])};
  HandoverChannel taker{net::UniqueFd(pair[1])};
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  net::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  std::string state(150 * 1024, 'x');
  state[100000] = 'y';
  // The holder's side runs first: the packets wait in the socket buffer.
  std::thread sender([&] {
    ASSERT_TRUE(holder.SendOffer(state, {read_end.get(), write_end.get()}, "test").ok());
  });
  auto offer = taker.ReceiveOffer(kProtocolVersion, std::chrono::steady_clock::now() +
                                                        std::chrono::seconds(10));
  sender.join();
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(offer->state, state);
  ASSERT_EQ(offer->fds.size(), 2u);
  // The descriptors are the same pipe: what goes in one end comes out the other.
  ASSERT_EQ(write(offer->fds[1].get(), "z", 1), 1);
  char c = 0;
  ASSERT_EQ(read(read_end.get(), &c, 1), 1);
  EXPECT_EQ(c, 'z');
}

TEST(HandoverChannelTest, AnotherProtocolVersionIsRefused) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  HandoverChannel holder{net::UniqueFd(pair[0])};
  HandoverChannel taker{net::UniqueFd(pair[1])};
  ASSERT_TRUE(holder.SendOffer("state", {}, "test").ok());
  auto offer = taker.ReceiveOffer(kProtocolVersion + 1, std::chrono::steady_clock::now() +
                                                            std::chrono::seconds(10));
  EXPECT_EQ(offer.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HandoverChannelTest, SilenceEndsAtTheDeadline) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  HandoverChannel holder{net::UniqueFd(pair[0])};
  HandoverChannel taker{net::UniqueFd(pair[1])};
  auto frame = taker.Receive(std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
  EXPECT_EQ(frame.status().code(), absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace sctpgw::handover
