#include "sctpgw/format.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sctpgw/client.h"

namespace sctpgw::client {
namespace {

// The enum value's name without the enum's prefix ("COMM_UP").
std::string Trim(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

}  // namespace

std::string DescribeAddress(const v1::TransportAddress& address) {
  bool v6 = address.ip().find(':') != std::string::npos;
  return v6 ? absl::StrCat("[", address.ip(), "]:", address.port())
            : absl::StrCat(address.ip(), ":", address.port());
}

std::string PathStateName(v1::PathState state) {
  return Trim(v1::PathState_Name(state), "PATH_STATE_");
}

std::string AssociationStateName(v1::AssociationState state) {
  return Trim(v1::AssociationState_Name(state), "ASSOCIATION_STATE_");
}

std::string DescribeEvent(const v1::Event& event) {
  std::string where = absl::StrCat("association ", event.association_id(), " endpoint ",
                                   event.endpoint_id());
  std::string text;
  switch (event.kind_case()) {
    case v1::Event::kAssociationChange: {
      const v1::AssociationChange& change = event.association_change();
      text = absl::StrCat(Trim(v1::AssociationChangeType_Name(change.type()),
                               "ASSOCIATION_CHANGE_TYPE_"),
                          " ", where);
      if (change.type() == v1::ASSOCIATION_CHANGE_TYPE_COMM_UP ||
          change.type() == v1::ASSOCIATION_CHANGE_TYPE_RESTART) {
        absl::StrAppend(&text, " streams in ", change.inbound_streams(), " out ",
                        change.outbound_streams());
      }
      if (change.error() != 0) absl::StrAppend(&text, " error ", change.error());
      break;
    }
    case v1::Event::kPeerAddressChange: {
      const v1::PeerAddressChange& change = event.peer_address_change();
      text = absl::StrCat("PEER_ADDRESS ",
                          Trim(v1::PeerAddressChangeType_Name(change.type()),
                               "PEER_ADDRESS_CHANGE_TYPE_"),
                          " ", change.address().ip(), " ", where);
      if (change.error() != 0) absl::StrAppend(&text, " error ", change.error());
      break;
    }
    case v1::Event::kSendFailed: {
      const v1::SendFailed& failed = event.send_failed();
      text = absl::StrCat("SEND_FAILED ", where, " stream ", failed.stream(), " ppid ",
                          failed.ppid(), " context ", failed.context(), " error ", failed.error(),
                          " bytes ", failed.payload().size(), failed.sent() ? " (sent)" : "");
      break;
    }
    case v1::Event::kShutdown:
      text = absl::StrCat("SHUTDOWN ", where);
      break;
    case v1::Event::kRemoteError:
      text = absl::StrCat("REMOTE_ERROR ", where, " cause ", event.remote_error().error());
      break;
    case v1::Event::kAdaptationIndication:
      text = absl::StrCat("ADAPTATION_INDICATION ", where, " ",
                          event.adaptation_indication().indication());
      break;
    case v1::Event::kPartialDelivery:
      text = absl::StrCat("PARTIAL_DELIVERY ", where, " stream ", event.partial_delivery().stream());
      break;
    case v1::Event::kAuthentication:
      text = absl::StrCat("AUTHENTICATION ", where, " key ", event.authentication().key_number());
      break;
    case v1::Event::kSenderDry:
      text = absl::StrCat("SENDER_DRY ", where);
      break;
    case v1::Event::kStreamReset:
      text = absl::StrCat("STREAM_RESET ", where, " streams ",
                          absl::StrJoin(event.stream_reset().streams(), ","));
      break;
    case v1::Event::kAssociationReset:
      text = absl::StrCat("ASSOCIATION_RESET ", where);
      break;
    case v1::Event::kStreamChange:
      text = absl::StrCat("STREAM_CHANGE ", where, " streams in ",
                          event.stream_change().inbound_streams(), " out ",
                          event.stream_change().outbound_streams());
      break;
    case v1::Event::kMessagesLost:
      text = absl::StrCat("MESSAGES_LOST ", where, " ", event.messages_lost().messages(),
                          " messages, ", event.messages_lost().unconfirmed_messages(),
                          " unconfirmed");
      break;
    case v1::Event::KIND_NOT_SET:
      text = absl::StrCat("EVENT ", where);
      break;
  }
  if (!event.detail().empty()) absl::StrAppend(&text, " (", event.detail(), ")");
  return text;
}

std::string DescribeError(const absl::Status& status) {
  std::string reason = ErrorReason(status);
  return absl::StrCat(absl::StatusCodeToString(status.code()), reason.empty() ? "" : " ", reason,
                      ": ", status.message());
}

}  // namespace sctpgw::client
