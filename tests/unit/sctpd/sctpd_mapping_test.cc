// libsctpd's reading of sctpgw's answers in the SCTP library's terms.
#include "sctpd_mapping.h"

#include <gtest/gtest.h>

#include "sctpgw/client.h"
#include "server/core/errors.h"
#include "server/rpc/status.h"
#include "ua.h"

namespace sctpgw::sctpd {
namespace {

// An error as the client library reads it from sctpgw: code, reason, message.
absl::Status Failure(core::Reason reason) {
  return client::FromGrpc(rpc::ToGrpcStatus(core::Error(reason, "why")));
}

TEST(SctpdMappingTest, ErrorsBecomeTheLibrarysReturnCodes) {
  EXPECT_EQ(ToReturnCode(absl::OkStatus()), SCTP_SUCCESS);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kAssociationNotFound)),
            SCTP_ASSOC_NOT_FOUND);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kEndpointNotFound)),
            SCTP_INSTANCE_NOT_FOUND);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kSessionNotFound)),
            SCTP_LIBRARY_NOT_INITIALIZED);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kInvalidAddress)),
            SCTP_WRONG_ADDRESS);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kAddressInUse)),
            SCTP_WRONG_ADDRESS);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kAssociationNotEstablished)),
            SCTP_WRONG_STATE);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kAssociationClosed)), SCTP_WRONG_STATE);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kStreamOutOfRange)),
            SCTP_PARAMETER_PROBLEM);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kLimitExceeded)),
            SCTP_OUT_OF_RESOURCES);
  EXPECT_EQ(ToReturnCode(absl::PermissionDeniedError("not on the allow list")),
            SCTP_INSUFFICIENT_PRIVILEGES);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kDeadlineExceeded)),
            SCTP_QUEUE_EXCEEDED);
  EXPECT_EQ(ToReturnCode(absl::UnavailableError("connection refused")), SCTP_MODULE_NOT_FOUND);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kShuttingDown)),
            SCTP_MODULE_NOT_FOUND);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kAssociateFailed)),
            SCTP_UNSPECIFIED_ERROR);
  EXPECT_EQ(ToReturnCode(Failure(core::Reason::kKernelSctpUnavailable)),
            SCTP_MODULE_NOT_FOUND);
  EXPECT_EQ(ErrorText(Failure(core::Reason::kAssociationNotFound)),
            "ASSOCIATION_NOT_FOUND: why");
  EXPECT_EQ(ErrorText(absl::OkStatus()), "");
}

TEST(SctpdMappingTest, StatesAreTheLibrarysNumbers) {
  EXPECT_EQ(ToAssociationState(v1::KERNEL_ASSOCIATION_STATE_ESTABLISHED), SCTP_ESTABLISHED);
  EXPECT_EQ(ToAssociationState(v1::KERNEL_ASSOCIATION_STATE_COOKIE_WAIT), SCTP_COOKIE_WAIT);
  EXPECT_EQ(ToAssociationState(v1::KERNEL_ASSOCIATION_STATE_SHUTDOWN_ACK_SENT),
            SCTP_SHUTDOWNACK_SENT);
  EXPECT_EQ(ToAssociationState(v1::KERNEL_ASSOCIATION_STATE_UNSPECIFIED), SCTP_CLOSED);
  EXPECT_EQ(ToPathState(v1::PATH_STATE_ACTIVE), SCTP_PATH_OK);
  EXPECT_EQ(ToPathState(v1::PATH_STATE_POTENTIALLY_FAILED), SCTP_PATH_OK);
  EXPECT_EQ(ToPathState(v1::PATH_STATE_INACTIVE), SCTP_PATH_UNREACHABLE);
  EXPECT_EQ(ToNetworkStatus(v1::PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE), SCTP_PATH_UNREACHABLE);
  EXPECT_EQ(ToNetworkStatus(v1::PEER_ADDRESS_CHANGE_TYPE_AVAILABLE), SCTP_PATH_OK);
  EXPECT_EQ(ToNetworkStatus(v1::PEER_ADDRESS_CHANGE_TYPE_ADDED), SCTP_PATH_ADDED);
  EXPECT_EQ(ToNetworkStatus(v1::PEER_ADDRESS_CHANGE_TYPE_REMOVED), SCTP_PATH_REMOVED);
  EXPECT_EQ(ToNetworkStatus(v1::PEER_ADDRESS_CHANGE_TYPE_CONFIRMED), SCTP_PATH_CONFIRMED);
  EXPECT_EQ(ToNetworkStatus(v1::PEER_ADDRESS_CHANGE_TYPE_MADE_PRIMARY), -1);
}

TEST(SctpdMappingTest, ALostAssociationSaysWhyAsTheLibraryDid) {
  v1::Event event;
  event.mutable_association_change()->set_type(v1::ASSOCIATION_CHANGE_TYPE_COMM_LOST);
  EXPECT_EQ(ToCommLostStatus(event), SCTP_COMM_LOST_EXCEEDED_RETRANSMISSIONS);
  event.mutable_association_change()->set_error(12);
  EXPECT_EQ(ToCommLostStatus(event), SCTP_COMM_LOST_ABORTED);
  event.mutable_association_change()->set_error(0);
  event.set_detail("sctpgw aborted the association: its session ended");
  EXPECT_EQ(ToCommLostStatus(event), SCTP_COMM_LOST_ABORTED);
  event.mutable_association_change()->set_type(v1::ASSOCIATION_CHANGE_TYPE_CANT_STR_ASSOC);
  EXPECT_EQ(ToCommLostStatus(event), SCTP_COMM_LOST_ENDPOINT_UNREACHABLE);
}

}  // namespace
}  // namespace sctpgw::sctpd
