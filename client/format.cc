#include "sctpgw/format.h"

#include <string>
#include <vector>

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

// "U/S": unsent and sent.
std::string UnsentSent(const v1::AbandonedMessages& abandoned) {
  return absl::StrCat(abandoned.unsent(), "/", abandoned.sent());
}

std::string Abandoned(const v1::AbandonedMessages& total, const v1::AbandonedMessages& timed,
                      const v1::AbandonedMessages& retransmissions,
                      const v1::AbandonedMessages& priority) {
  return absl::StrCat("all ", UnsentSent(total), ", timed ", UnsentSent(timed),
                      ", retransmissions ", UnsentSent(retransmissions), ", priority ",
                      UnsentSent(priority));
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

std::string DescribeMessage(const v1::InboundMessage& message, bool with_source) {
  std::string text = absl::StrCat("association ", message.association_id(), " stream ",
                                  message.stream(), " ppid ", message.ppid());
  if (message.unordered()) absl::StrAppend(&text, " unordered");
  if (message.more_follows() || message.offset() != 0) {
    absl::StrAppend(&text, " offset ", message.offset(),
                    message.more_follows() ? " more-follows" : " last-piece");
  }
  if (with_source && message.has_source() && !message.source().ip().empty()) {
    absl::StrAppend(&text, " from ", DescribeAddress(message.source()));
  }
  return text;
}

std::string DescribeSocketSettings(const v1::SocketSettings& settings) {
  std::vector<std::string> parts;
  if (settings.has_cookie_life_ms()) {
    parts.push_back(absl::StrCat("cookie-life ", settings.cookie_life_ms()));
  }
  if (settings.has_receive_window_bytes()) {
    parts.push_back(absl::StrCat("receive-window ", settings.receive_window_bytes()));
  }
  if (settings.has_max_segment_bytes()) {
    parts.push_back(absl::StrCat("max-segment ", settings.max_segment_bytes()));
  }
  if (settings.has_partial_delivery_point_bytes()) {
    parts.push_back(
        absl::StrCat("partial-delivery-point ", settings.partial_delivery_point_bytes()));
  }
  if (settings.disable_fragments()) parts.push_back("disable-fragments");
  if (settings.bundle_messages()) parts.push_back("bundle");
  return absl::StrJoin(parts, " ");
}

std::string OversizedMessagesName(v1::OversizedMessages policy) {
  return policy == v1::OVERSIZED_MESSAGES_ABORT ? "abort" : "pieces";
}

std::string DescribeStatistics(const v1::AssociationStatistics& s) {
  std::string text = absl::StrCat(
      "packets sent ", s.packets_sent(), " received ", s.packets_received(), ", DATA chunks sent ",
      s.ordered_chunks_sent(), " ordered + ", s.unordered_chunks_sent(), " unordered, received ",
      s.ordered_chunks_received(), " ordered + ", s.unordered_chunks_received(),
      " unordered, SACKs sent ", s.sacks_sent(), " received ", s.sacks_received(),
      ", control chunks sent ", s.control_chunks_sent(), " received ",
      s.control_chunks_received(), "\n");
  absl::StrAppend(&text, "retransmitted chunks ", s.retransmitted_chunks(), ", gap reports ",
                  s.gap_reports(), ", out-of-sequence TSNs ", s.out_of_sequence_tsns(),
                  ", duplicate chunks received ", s.duplicate_chunks_received(), ", max RTO ",
                  s.max_rto_ms(), " ms");
  if (s.has_max_rto_path() && !s.max_rto_path().ip().empty()) {
    absl::StrAppend(&text, " on ", s.max_rto_path().ip());
  }
  return text;
}

std::string DescribeAbandoned(const v1::PrSctpStatus& status) {
  return Abandoned(status.total(), status.timed(), status.retransmissions(), status.priority());
}

std::string DescribeAbandoned(const v1::StreamAbandoned& stream) {
  return Abandoned(stream.total(), stream.timed(), stream.retransmissions(), stream.priority());
}

std::string DescribeError(const absl::Status& status) {
  std::string reason = ErrorReason(status);
  return absl::StrCat(absl::StatusCodeToString(status.code()), reason.empty() ? "" : " ", reason,
                      ": ", status.message());
}

}  // namespace sctpgw::client
