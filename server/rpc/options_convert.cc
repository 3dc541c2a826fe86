#include "server/rpc/options_convert.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "server/core/errors.h"
#include "server/rpc/limits.h"

namespace sctpgw::rpc {
namespace {

using core::Error;
using core::Reason;

absl::Status OutOfRange(const std::string& field, uint64_t value, absl::string_view range) {
  return Error(Reason::kInvalidArgument, absl::StrCat(field, " is ", value, "; allowed: ", range),
               {{"field", field}});
}

absl::StatusOr<net::SocketAddress> ParsePeer(const std::string& ip, const std::string& field) {
  auto address = net::SocketAddress::Parse(ip, 0);
  if (!address.ok()) {
    return Error(Reason::kInvalidAddress,
                 absl::StrCat(field, " \"", ip.substr(0, kAddressEchoedBytes),
                              "\" is not a numeric IPv4 or IPv6 address"),
                 {{"field", field}});
  }
  return *address;
}

void ToProto(const net::AbandonedMessages& in, v1::AbandonedMessages* out) {
  out->set_unsent(in.unsent);
  out->set_sent(in.sent);
}

template <typename Out>
void ToProto(const net::AbandonedByPolicy& in, Out* out) {
  ToProto(in.total, out->mutable_total());
  ToProto(in.timed, out->mutable_timed());
  ToProto(in.retransmissions, out->mutable_retransmissions());
  ToProto(in.priority, out->mutable_priority());
}

}  // namespace

absl::Status ToMessageOptions(const v1::OutboundMessage& message, int index,
                              core::OutboundMessage* out) {
  const std::string field = absl::StrCat("messages[", index, "]");
  const int policies = (message.lifetime_ms() != 0 ? 1 : 0) +
                       (message.has_max_retransmissions() ? 1 : 0) +
                       (message.has_priority() ? 1 : 0);
  if (policies > 1) {
    const std::string second = message.has_priority() ? field + ".priority"
                                                      : field + ".max_retransmissions";
    return Error(Reason::kInvalidArgument,
                 absl::StrCat(field,
                              " has more than one PR-SCTP policy; give at most one of "
                              "lifetime_ms, max_retransmissions and priority"),
                 {{"field", second}});
  }
  if (message.lifetime_ms() != 0) {
    out->pr_policy = net::SendInfo::PrPolicy::kTimed;
    out->pr_value = message.lifetime_ms();
  } else if (message.has_max_retransmissions()) {
    if (message.max_retransmissions() > kMaxPrValue) {
      return OutOfRange(field + ".max_retransmissions", message.max_retransmissions(), "0..65535");
    }
    out->pr_policy = net::SendInfo::PrPolicy::kRetransmissions;
    out->pr_value = message.max_retransmissions();
  } else if (message.has_priority()) {
    if (message.priority() > kMaxPrValue) {
      return OutOfRange(field + ".priority", message.priority(), "0..65535");
    }
    out->pr_policy = net::SendInfo::PrPolicy::kPriority;
    out->pr_value = message.priority();
  }
  if (!message.peer_address().empty()) {
    auto peer = ParsePeer(message.peer_address(), field + ".peer_address");
    if (!peer.ok()) return peer.status();
    out->peer_address = *peer;
  }
  return absl::OkStatus();
}

absl::Status ToSocketOptions(const v1::OpenEndpointRequest& request, core::EndpointSpec* spec) {
  const v1::SocketSettings& in = request.socket_settings();
  net::SocketSettings& out = spec->settings;
  if (in.has_cookie_life_ms()) {
    if (in.cookie_life_ms() < 1 || in.cookie_life_ms() > kMaxCookieLifeMs) {
      return OutOfRange("socket_settings.cookie_life_ms", in.cookie_life_ms(), "1..3600000 ms");
    }
    out.cookie_life_ms = in.cookie_life_ms();
  }
  if (in.has_receive_window_bytes()) {
    if (in.receive_window_bytes() < kMinReceiveWindowBytes ||
        in.receive_window_bytes() > kMaxReceiveWindowBytes) {
      return OutOfRange("socket_settings.receive_window_bytes", in.receive_window_bytes(),
                        "4096..67108864 bytes");
    }
    out.receive_window_bytes = in.receive_window_bytes();
  }
  if (in.has_max_segment_bytes()) {
    if (in.max_segment_bytes() > kMaxSegmentBytes) {
      return OutOfRange("socket_settings.max_segment_bytes", in.max_segment_bytes(),
                        "0..65535 bytes (0 = as the path MTU allows)");
    }
    out.max_segment_bytes = in.max_segment_bytes();
  }
  out.disable_fragments = in.disable_fragments();
  if (in.has_partial_delivery_point_bytes()) {
    const uint32_t window = in.has_receive_window_bytes() ? in.receive_window_bytes() : 0;
    if (in.partial_delivery_point_bytes() < 1 ||
        (window != 0 && in.partial_delivery_point_bytes() > window)) {
      return OutOfRange("socket_settings.partial_delivery_point_bytes",
                        in.partial_delivery_point_bytes(),
                        "1 byte up to the receive window");
    }
    out.partial_delivery_point_bytes = in.partial_delivery_point_bytes();
  }
  out.bundle_messages = in.bundle_messages();
  switch (request.oversized_messages()) {
    case v1::OVERSIZED_MESSAGES_UNSPECIFIED:
    case v1::OVERSIZED_MESSAGES_DELIVER_IN_PIECES: spec->abort_oversized_messages = false; break;
    case v1::OVERSIZED_MESSAGES_ABORT: spec->abort_oversized_messages = true; break;
    default:
      return OutOfRange("oversized_messages", static_cast<uint32_t>(request.oversized_messages()),
                        "an OversizedMessages value");
  }
  return absl::OkStatus();
}

void SocketOptionsToProto(const core::EndpointInfo& info, v1::Endpoint* out) {
  const net::SocketSettings& in = info.settings;
  v1::SocketSettings* settings = out->mutable_socket_settings();
  if (in.cookie_life_ms) settings->set_cookie_life_ms(*in.cookie_life_ms);
  if (in.receive_window_bytes) settings->set_receive_window_bytes(*in.receive_window_bytes);
  if (in.max_segment_bytes) settings->set_max_segment_bytes(*in.max_segment_bytes);
  settings->set_disable_fragments(in.disable_fragments);
  if (in.partial_delivery_point_bytes) {
    settings->set_partial_delivery_point_bytes(*in.partial_delivery_point_bytes);
  }
  settings->set_bundle_messages(in.bundle_messages);
  out->set_oversized_messages(info.abort_oversized_messages
                                  ? v1::OVERSIZED_MESSAGES_ABORT
                                  : v1::OVERSIZED_MESSAGES_DELIVER_IN_PIECES);
}

absl::StatusOr<std::vector<uint16_t>> ToCounterStreams(const v1::GetAssociationRequest& request) {
  if (request.streams_size() > kMaxCounterStreams) {
    return OutOfRange("streams", request.streams_size(), "at most 256 streams");
  }
  std::vector<uint16_t> streams;
  for (int i = 0; i < request.streams_size(); ++i) {
    if (request.streams(i) > 65535) {
      return OutOfRange(absl::StrCat("streams[", i, "]"), request.streams(i), "0..65535");
    }
    streams.push_back(static_cast<uint16_t>(request.streams(i)));
  }
  return streams;
}

void ToProto(const net::AssociationStatistics& in, v1::AssociationStatistics* out) {
  out->set_retransmitted_chunks(in.retransmitted_chunks);
  out->set_gap_reports(in.gap_reports);
  out->set_out_of_sequence_tsns(in.out_of_sequence_tsns);
  out->set_sacks_sent(in.sacks_sent);
  out->set_sacks_received(in.sacks_received);
  out->set_control_chunks_sent(in.control_chunks_sent);
  out->set_control_chunks_received(in.control_chunks_received);
  out->set_ordered_chunks_sent(in.ordered_chunks_sent);
  out->set_ordered_chunks_received(in.ordered_chunks_received);
  out->set_unordered_chunks_sent(in.unordered_chunks_sent);
  out->set_unordered_chunks_received(in.unordered_chunks_received);
  out->set_duplicate_chunks_received(in.duplicate_chunks_received);
  out->set_packets_sent(in.packets_sent);
  out->set_packets_received(in.packets_received);
  out->set_max_rto_ms(in.max_rto_ms);
  if (in.max_rto_path.has_value()) {
    out->mutable_max_rto_path()->set_ip(in.max_rto_path->Ip());
    out->mutable_max_rto_path()->set_port(in.max_rto_path->port());
  }
}

void ToProto(const net::PrSctpStatus& in, v1::PrSctpStatus* out) {
  out->set_peer_supports_pr_sctp(in.peer_supports_pr_sctp);
  ToProto(in.abandoned, out);
  for (const net::StreamAbandoned& stream : in.streams) {
    v1::StreamAbandoned* s = out->add_streams();
    s->set_stream(stream.stream);
    ToProto(stream.abandoned, s);
  }
}

absl::StatusOr<std::optional<net::SocketAddress>> ToHeartbeatTarget(
    const v1::RequestHeartbeatRequest& request) {
  if (request.peer_address().empty()) return std::optional<net::SocketAddress>();
  auto peer = ParsePeer(request.peer_address(), "peer_address");
  if (!peer.ok()) return peer.status();
  return std::optional<net::SocketAddress>(*peer);
}

}  // namespace sctpgw::rpc
