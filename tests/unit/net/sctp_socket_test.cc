#include "server/net/sctp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "server/net/errno_status.h"
#include "tests/mocks/net/mock_sys_calls.h"

namespace sctpgw::net {
namespace {

using ::testing::_;
using ::testing::DoAll;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::StrictMock;

class SctpSocketTest : public ::testing::Test {
 protected:
  // The mock hands out a real fd (of /dev/null) so that closing it is harmless.
  SctpSocket OpenSocket(SctpSocket::Style style = SctpSocket::Style::kOneToMany) {
    fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    EXPECT_CALL(sys_, Socket(AF_INET, _, IPPROTO_SCTP)).WillOnce(Return(SysCallIntResult{fd_, 0}));
    auto socket = SctpSocket::Open(sys_, AF_INET, style);
    EXPECT_TRUE(socket.ok());
    return std::move(*socket);
  }

  StrictMock<MockSysCalls> sys_;
  int fd_ = -1;
};

TEST_F(SctpSocketTest, KernelWithoutSctpIsAFailedPreconditionThatSaysSo) {
  EXPECT_CALL(sys_, Socket(AF_INET6, _, IPPROTO_SCTP))
      .WillOnce(Return(SysCallIntResult{-1, EPROTONOSUPPORT}));
  auto socket = SctpSocket::Open(sys_, AF_INET6, SctpSocket::Style::kOneToMany);
  EXPECT_EQ(socket.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(socket.status().message()), HasSubstr("no SCTP"));
}

TEST_F(SctpSocketTest, OneToManyAndOneToOneUseTheirSocketTypes) {
  EXPECT_CALL(sys_, Socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP))
      .WillOnce(Return(SysCallIntResult{-1, EMFILE}));
  EXPECT_CALL(sys_, Socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP))
      .WillOnce(Return(SysCallIntResult{-1, EMFILE}));
  auto many = SctpSocket::Open(sys_, AF_INET, SctpSocket::Style::kOneToMany);
  auto one = SctpSocket::Open(sys_, AF_INET, SctpSocket::Style::kOneToOne);
  EXPECT_EQ(StatusErrno(many.status()), EMFILE);
  EXPECT_EQ(StatusErrno(one.status()), EMFILE);
}

TEST_F(SctpSocketTest, SendCarriesSndinfoInNetworkOrderAndPrinfoForLifetime) {
  SctpSocket socket = OpenSocket();
  sctp_sndinfo seen_sndinfo{};
  sctp_prinfo seen_prinfo{};
  int cmsgs = 0;
  std::string seen_payload;
  EXPECT_CALL(sys_, SendMsg(fd_, _, 0)).WillOnce(Invoke([&](int, const msghdr* message, int) {
    for (const cmsghdr* c = CMSG_FIRSTHDR(message); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(message), const_cast<cmsghdr*>(c))) {
      ++cmsgs;
      if (c->cmsg_type == SCTP_SNDINFO) std::memcpy(&seen_sndinfo, CMSG_DATA(c), sizeof(seen_sndinfo));
      if (c->cmsg_type == SCTP_PRINFO) std::memcpy(&seen_prinfo, CMSG_DATA(c), sizeof(seen_prinfo));
    }
    seen_payload.assign(static_cast<const char*>(message->msg_iov[0].iov_base),
                        message->msg_iov[0].iov_len);
    return SysCallSizeResult{static_cast<ssize_t>(message->msg_iov[0].iov_len), 0};
  }));
  SendInfo info;
  info.assoc_id = 7;
  info.stream = 3;
  info.ppid = 60;  // NGAP
  info.unordered = true;
  info.pr_policy = SendInfo::PrPolicy::kTimed;
  info.pr_value = 250;
  info.context = 99;
  std::string payload = "ngap";
  auto sent = socket.Send(info, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(payload.data()),
                                                    payload.size()));
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(*sent, 4u);
  EXPECT_EQ(cmsgs, 2);
  EXPECT_EQ(seen_sndinfo.snd_assoc_id, 7);
  EXPECT_EQ(seen_sndinfo.snd_sid, 3);
  EXPECT_EQ(seen_sndinfo.snd_ppid, htonl(60));
  EXPECT_EQ(seen_sndinfo.snd_flags, SCTP_UNORDERED);
  EXPECT_EQ(seen_sndinfo.snd_context, 99u);
  EXPECT_EQ(seen_prinfo.pr_policy, SCTP_PR_SCTP_TTL);
  EXPECT_EQ(seen_prinfo.pr_value, 250u);
  EXPECT_EQ(seen_payload, "ngap");
}

TEST_F(SctpSocketTest, ReliableSendHasNoPrinfo) {
  SctpSocket socket = OpenSocket();
  int cmsgs = 0;
  EXPECT_CALL(sys_, SendMsg(fd_, _, 0)).WillOnce(Invoke([&](int, const msghdr* message, int) {
    for (const cmsghdr* c = CMSG_FIRSTHDR(message); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(message), const_cast<cmsghdr*>(c))) {
      ++cmsgs;
    }
    return SysCallSizeResult{1, 0};
  }));
  uint8_t byte = 1;
  ASSERT_TRUE(socket.Send(SendInfo{}, absl::MakeConstSpan(&byte, 1)).ok());
  EXPECT_EQ(cmsgs, 1);
}

// Limited retransmissions (RFC 7496) to one chosen peer address: the
// address goes as msg_name with SCTP_ADDR_OVER (RFC 6458 section 5.3.4).
TEST_F(SctpSocketTest, RetransmissionPolicyToAChosenPeerAddress) {
  SctpSocket socket = OpenSocket();
  sctp_sndinfo seen_sndinfo{};
  sctp_prinfo seen_prinfo{};
  std::string seen_destination;
  EXPECT_CALL(sys_, SendMsg(fd_, _, 0)).WillOnce(Invoke([&](int, const msghdr* message, int) {
    for (const cmsghdr* c = CMSG_FIRSTHDR(message); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(message), const_cast<cmsghdr*>(c))) {
      if (c->cmsg_type == SCTP_SNDINFO) std::memcpy(&seen_sndinfo, CMSG_DATA(c), sizeof(seen_sndinfo));
      if (c->cmsg_type == SCTP_PRINFO) std::memcpy(&seen_prinfo, CMSG_DATA(c), sizeof(seen_prinfo));
    }
    auto destination = SocketAddress::FromSockaddr(static_cast<const sockaddr*>(message->msg_name),
                                                   message->msg_namelen);
    if (destination.ok()) seen_destination = destination->ToString();
    return SysCallSizeResult{1, 0};
  }));
  SendInfo info;
  info.pr_policy = SendInfo::PrPolicy::kRetransmissions;
  info.pr_value = 0;
  info.destination = *SocketAddress::Parse("192.0.2.9", 38412);
  uint8_t byte = 1;
  ASSERT_TRUE(socket.Send(info, absl::MakeConstSpan(&byte, 1)).ok());
  EXPECT_EQ(seen_prinfo.pr_policy, SCTP_PR_SCTP_RTX);
  EXPECT_EQ(seen_prinfo.pr_value, 0u);
  EXPECT_EQ(seen_sndinfo.snd_flags, SCTP_ADDR_OVER);
  EXPECT_EQ(seen_destination, "192.0.2.9:38412");
}

TEST_F(SctpSocketTest, SendFailureKeepsErrno) {
  SctpSocket socket = OpenSocket();
  EXPECT_CALL(sys_, SendMsg(fd_, _, 0)).WillOnce(Return(SysCallSizeResult{-1, EAGAIN}));
  uint8_t byte = 1;
  auto sent = socket.Send(SendInfo{}, absl::MakeConstSpan(&byte, 1));
  EXPECT_FALSE(sent.ok());
  EXPECT_EQ(StatusErrno(sent.status()), EAGAIN);
  EXPECT_THAT(std::string(sent.status().message()), HasSubstr("sendmsg"));
}

TEST_F(SctpSocketTest, ReceiveDecodesRcvinfoAndFlags) {
  SctpSocket socket = OpenSocket();
  EXPECT_CALL(sys_, RecvMsg(fd_, _, 0)).WillOnce(Invoke([](int, msghdr* message, int) {
    std::memcpy(message->msg_iov[0].iov_base, "abc", 3);
    cmsghdr* c = CMSG_FIRSTHDR(message);
    c->cmsg_level = IPPROTO_SCTP;
    c->cmsg_type = SCTP_RCVINFO;
    c->cmsg_len = CMSG_LEN(sizeof(sctp_rcvinfo));
    sctp_rcvinfo info{};
    info.rcv_sid = 5;
    info.rcv_ssn = 11;
    info.rcv_tsn = 1234;
    info.rcv_ppid = htonl(46);
    info.rcv_flags = SCTP_UNORDERED;
    info.rcv_assoc_id = 9;
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    message->msg_controllen = CMSG_SPACE(sizeof(sctp_rcvinfo));
    message->msg_flags = MSG_EOR;
    return SysCallSizeResult{3, 0};
  }));
  uint8_t buffer[16];
  auto received = socket.Receive(absl::MakeSpan(buffer));
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(received->length, 3u);
  EXPECT_TRUE(received->end_of_record);
  EXPECT_FALSE(received->notification);
  EXPECT_TRUE(received->has_info);
  EXPECT_EQ(received->assoc_id, 9);
  EXPECT_EQ(received->stream, 5);
  EXPECT_EQ(received->ssn, 11);
  EXPECT_EQ(received->tsn, 1234u);
  EXPECT_EQ(received->ppid, 46u);
  EXPECT_TRUE(received->unordered);
}

TEST_F(SctpSocketTest, ConnectInProgressIsNotAnError) {
  SctpSocket socket = OpenSocket();
  EXPECT_CALL(sys_, SctpConnectx(fd_, _, 2, _))
      .WillOnce(DoAll(Invoke([](int, sockaddr*, int, sctp_assoc_t* id) { *id = 17; }),
                      Return(SysCallIntResult{-1, EINPROGRESS})))
      .WillOnce(Return(SysCallIntResult{-1, ECONNREFUSED}));
  std::vector<SocketAddress> peers = {*SocketAddress::Parse("192.0.2.1", 36412),
                                      *SocketAddress::Parse("2001:db8::1", 36412)};
  auto id = socket.Connect(peers);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 17);
  auto refused = socket.Connect(peers);
  EXPECT_EQ(StatusErrno(refused.status()), ECONNREFUSED);
}

TEST_F(SctpSocketTest, PeerAddressesAreUnpackedAndFreed) {
  SctpSocket socket = OpenSocket();
  std::vector<SocketAddress> peers = {*SocketAddress::Parse("192.0.2.1", 5),
                                      *SocketAddress::Parse("2001:db8::1", 5)};
  std::vector<uint8_t> packed = PackAddresses(peers);
  EXPECT_CALL(sys_, SctpGetAddrs(fd_, 3, false, _))
      .WillOnce(Invoke([&](int, sctp_assoc_t, bool, sockaddr** out) {
        *out = reinterpret_cast<sockaddr*>(packed.data());
        return SysCallIntResult{2, 0};
      }));
  EXPECT_CALL(sys_, SctpFreeAddrs(reinterpret_cast<sockaddr*>(packed.data()), false));
  auto addresses = socket.PeerAddresses(3);
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  EXPECT_EQ(*addresses, peers);
}

TEST_F(SctpSocketTest, RemoteUdpPortGoesInNetworkOrderForTheWholeAssociation) {
  SctpSocket socket = OpenSocket();
  EXPECT_CALL(sys_, SetSockOpt(fd_, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, _,
                               sizeof(sctp_udpencaps)))
      .WillOnce(Invoke([](int, int, int, const void* value, socklen_t) {
        sctp_udpencaps encaps;
        std::memcpy(&encaps, value, sizeof(encaps));
        EXPECT_EQ(encaps.sue_assoc_id, SCTP_FUTURE_ASSOC);
        EXPECT_EQ(ntohs(encaps.sue_port), 9899);
        EXPECT_EQ(encaps.sue_address.ss_family, AF_UNSPEC);  // Every path.
        return SysCallIntResult{0, 0};
      }));
  EXPECT_TRUE(socket.SetRemoteUdpPort(SCTP_FUTURE_ASSOC, 9899).ok());
  EXPECT_CALL(sys_, GetSockOpt(fd_, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, _, _))
      .WillOnce(Invoke([](int, int, int, void* value, socklen_t*) {
        sctp_udpencaps* encaps = static_cast<sctp_udpencaps*>(value);
        EXPECT_EQ(encaps->sue_assoc_id, 7);
        encaps->sue_port = htons(11111);
        return SysCallIntResult{0, 0};
      }));
  auto port = socket.RemoteUdpPort(7);
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(*port, 11111);
}

TEST_F(SctpSocketTest, BindWithoutAddressIsInvalid) {
  SctpSocket socket = OpenSocket();
  EXPECT_EQ(socket.Bind({}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sctpgw::net
