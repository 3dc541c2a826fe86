// What StreamControl and AuthControl hand the kernel: the socket API's
// structures (RFC 6458) as Linux reads them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "server/net/auth_control.h"
#include "server/net/errno_status.h"
#include "server/net/stream_control.h"
#include "tests/mocks/net/mock_sys_calls.h"

namespace sctpgw::net {
namespace {

using ::testing::_;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::StrictMock;

constexpr int kFd = 42;

TEST(StreamControlTest, ResetStreamsCarriesFlagsAndTheStreamList) {
  StrictMock<MockSysCalls> sys;
  StreamControl streams(sys, kFd, /*one_to_many=*/true);
  EXPECT_CALL(sys, SetSockOpt(kFd, IPPROTO_SCTP, SCTP_RESET_STREAMS, _, _))
      .WillOnce(Invoke([](int, int, int, const void* value, socklen_t length) {
        EXPECT_EQ(length, sizeof(sctp_reset_streams) + 2 * sizeof(uint16_t));
        const auto* reset = static_cast<const sctp_reset_streams*>(value);
        EXPECT_EQ(reset->srs_assoc_id, 7);
        EXPECT_EQ(reset->srs_flags, SCTP_STREAM_RESET_OUTGOING);
        EXPECT_EQ(reset->srs_number_streams, 2);
        uint16_t list[2];
        std::memcpy(list, static_cast<const uint8_t*>(value) + sizeof(sctp_reset_streams),
                    sizeof(list));
        EXPECT_EQ(list[0], 1);
        EXPECT_EQ(list[1], 9);
        return SysCallIntResult{0, 0};
      }));
  StreamReconfigRequest request;
  request.outgoing = true;
  request.streams = {1, 9};
  EXPECT_TRUE(streams.Reconfigure(7, request).ok());
}

TEST(StreamControlTest, AddStreamsAndTheKernelsRefusalKeepItsErrno) {
  StrictMock<MockSysCalls> sys;
  StreamControl streams(sys, kFd, /*one_to_many=*/false);
  EXPECT_CALL(sys, SetSockOpt(kFd, IPPROTO_SCTP, SCTP_ADD_STREAMS, _, sizeof(sctp_add_streams)))
      .WillOnce(Invoke([](int, int, int, const void* value, socklen_t) {
        const auto* add = static_cast<const sctp_add_streams*>(value);
        EXPECT_EQ(add->sas_assoc_id, 0);  // An association's own socket.
        EXPECT_EQ(add->sas_outstrms, 5);
        EXPECT_EQ(add->sas_instrms, 0);
        return SysCallIntResult{-1, ENOPROTOOPT};
      }));
  StreamReconfigRequest request;
  request.kind = StreamReconfigRequest::Kind::kAddStreams;
  request.add_outbound = 5;
  absl::Status status = streams.Reconfigure(7, request);
  EXPECT_EQ(StatusErrno(status), ENOPROTOOPT);
}

TEST(AuthControlTest, KeysGoToTheKernelWithTheirLengthAndAreWipedAfter) {
  StrictMock<MockSysCalls> sys;
  AuthControl auth(sys, kFd, /*one_to_many=*/true);
  EXPECT_CALL(sys, SetSockOpt(kFd, IPPROTO_SCTP, SCTP_AUTH_KEY, _, sizeof(sctp_authkey) + 6))
      .WillOnce(Invoke([](int, int, int, const void* value, socklen_t) {
        const auto* key = static_cast<const sctp_authkey*>(value);
        EXPECT_EQ(key->sca_keynumber, 3);
        EXPECT_EQ(key->sca_keylength, 6);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(value) + sizeof(sctp_authkey), 6),
                  "secret");
        return SysCallIntResult{0, 0};
      }));
  AuthKeyChange add;
  add.key_id = 3;
  add.secret = "secret";
  EXPECT_TRUE(auth.ChangeKey(0, add).ok());
  EXPECT_CALL(sys, SetSockOpt(kFd, IPPROTO_SCTP, SCTP_AUTH_DELETE_KEY, _, sizeof(sctp_authkeyid)))
      .WillOnce(Return(SysCallIntResult{-1, EINVAL}));
  AuthKeyChange remove;
  remove.action = AuthKeyChange::Action::kDelete;
  remove.key_id = 3;
  EXPECT_EQ(StatusErrno(auth.ChangeKey(0, remove)), EINVAL);
}

}  // namespace
}  // namespace sctpgw::net
