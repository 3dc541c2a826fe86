#include "server/net/notification.h"

#include <arpa/inet.h>
#include <netinet/in.h>  // Before netinet/sctp.h, which needs it.
#include <netinet/sctp.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/net/kernel_values.h"

namespace sctpgw::net {
namespace {

// Copies a fixed-size kernel struct out of `bytes`, which must hold it whole.
// (An out parameter, not a StatusOr<T>: several of these structs end in a
// flexible array member, which cannot be a base class's member.)
template <typename T>
absl::Status Fixed(absl::Span<const uint8_t> bytes, const char* name, T* out) {
  if (bytes.size() < sizeof(T)) {
    return absl::InvalidArgumentError(absl::StrCat(name, " notification truncated: ", bytes.size(),
                                                   " bytes, need ", sizeof(T)));
  }
  std::memcpy(out, bytes.data(), sizeof(T));
  return absl::OkStatus();
}

std::string Tail(absl::Span<const uint8_t> bytes, size_t offset) {
  if (offset >= bytes.size()) return std::string();
  return std::string(reinterpret_cast<const char*>(bytes.data()) + offset, bytes.size() - offset);
}

}  // namespace

absl::StatusOr<Notification> DecodeNotification(absl::Span<const uint8_t> bytes) {
  struct Header {
    uint16_t type;
    uint16_t flags;
    uint32_t length;
  };
  Header header;
  if (absl::Status s = Fixed(bytes, "SCTP", &header); !s.ok()) return s;
  if (header.length > bytes.size() || header.length < sizeof(Header)) {
    return absl::InvalidArgumentError(absl::StrCat("notification length ", header.length,
                                                   " does not match the ", bytes.size(),
                                                   " bytes received"));
  }
  bytes = bytes.subspan(0, header.length);

  Notification n;
  switch (header.type) {
    case SCTP_ASSOC_CHANGE: {
      sctp_assoc_change v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_ASSOC_CHANGE", &v_copy); !s.ok()) return s;
      const sctp_assoc_change* v = &v_copy;
      n.type = NotificationType::kAssociationChange;
      n.assoc_id = v->sac_assoc_id;
      n.association_change = DecodeAssociationChange(v->sac_state);
      n.error = v->sac_error;
      n.outbound_streams = v->sac_outbound_streams;
      n.inbound_streams = v->sac_inbound_streams;
      n.data = Tail(bytes, sizeof(sctp_assoc_change));
      return n;
    }
    case SCTP_PEER_ADDR_CHANGE: {
      sctp_paddr_change v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_PEER_ADDR_CHANGE", &v_copy); !s.ok()) return s;
      const sctp_paddr_change* v = &v_copy;
      n.type = NotificationType::kPeerAddressChange;
      n.assoc_id = v->spc_assoc_id;
      n.address_state = DecodePeerAddressState(static_cast<uint32_t>(v->spc_state));
      n.error = static_cast<uint32_t>(v->spc_error);
      sockaddr_storage storage;
      std::memcpy(&storage, &v->spc_aaddr, sizeof(storage));
      auto address = SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&storage),
                                                 sizeof(storage));
      if (address.ok()) n.address = *address;
      return n;
    }
    case SCTP_REMOTE_ERROR: {
      sctp_remote_error v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_REMOTE_ERROR", &v_copy); !s.ok()) return s;
      const sctp_remote_error* v = &v_copy;
      n.type = NotificationType::kRemoteError;
      n.assoc_id = v->sre_assoc_id;
      n.error = ntohs(v->sre_error);
      n.data = Tail(bytes, sizeof(sctp_remote_error));
      return n;
    }
    case SCTP_SEND_FAILED: {
      sctp_send_failed v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_SEND_FAILED", &v_copy); !s.ok()) return s;
      const sctp_send_failed* v = &v_copy;
      n.type = NotificationType::kSendFailed;
      n.assoc_id = v->ssf_assoc_id;
      n.error = v->ssf_error;
      n.stream = v->ssf_info.sinfo_stream;
      n.ppid = ntohl(v->ssf_info.sinfo_ppid);
      n.context = v->ssf_info.sinfo_context;
      n.sent = (header.flags & SCTP_DATA_SENT) != 0;
      n.unordered = (v->ssf_info.sinfo_flags & SCTP_UNORDERED) != 0;
      n.data = Tail(bytes, sizeof(sctp_send_failed));
      return n;
    }
    case SCTP_SEND_FAILED_EVENT: {
      sctp_send_failed_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_SEND_FAILED_EVENT", &v_copy); !s.ok()) return s;
      const sctp_send_failed_event* v = &v_copy;
      n.type = NotificationType::kSendFailed;
      n.assoc_id = v->ssf_assoc_id;
      n.error = v->ssf_error;
      n.stream = v->ssfe_info.snd_sid;
      n.ppid = ntohl(v->ssfe_info.snd_ppid);
      n.context = v->ssfe_info.snd_context;
      // Linux fills snd_flags with the DATA chunk's flags (RFC 9260 3.3.1:
      // E = last fragment 0x01, B = first 0x02, U = unordered 0x04), not the
      // SCTP_UNORDERED... flags of the send.
      constexpr uint16_t kChunkLast = 0x01, kChunkFirst = 0x02, kChunkUnordered = 0x04;
      n.sent = (header.flags & SCTP_DATA_SENT) != 0;
      n.unordered = (v->ssfe_info.snd_flags & kChunkUnordered) != 0;
      n.first_fragment = (v->ssfe_info.snd_flags & kChunkFirst) != 0;
      n.last_fragment = (v->ssfe_info.snd_flags & kChunkLast) != 0;
      n.data = Tail(bytes, sizeof(sctp_send_failed_event));
      return n;
    }
    case SCTP_SHUTDOWN_EVENT: {
      sctp_shutdown_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_SHUTDOWN_EVENT", &v_copy); !s.ok()) return s;
      const sctp_shutdown_event* v = &v_copy;
      n.type = NotificationType::kShutdown;
      n.assoc_id = v->sse_assoc_id;
      return n;
    }
    case SCTP_ADAPTATION_INDICATION: {
      sctp_adaptation_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_ADAPTATION_INDICATION", &v_copy); !s.ok()) return s;
      const sctp_adaptation_event* v = &v_copy;
      n.type = NotificationType::kAdaptationIndication;
      n.assoc_id = v->sai_assoc_id;
      n.adaptation_indication = v->sai_adaptation_ind;
      return n;
    }
    case SCTP_PARTIAL_DELIVERY_EVENT: {
      sctp_pdapi_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_PARTIAL_DELIVERY_EVENT", &v_copy); !s.ok()) return s;
      const sctp_pdapi_event* v = &v_copy;
      n.type = NotificationType::kPartialDelivery;
      n.assoc_id = v->pdapi_assoc_id;
      n.indication = v->pdapi_indication;
      n.pd_stream = v->pdapi_stream;
      n.pd_sequence = v->pdapi_seq;
      return n;
    }
    case SCTP_AUTHENTICATION_EVENT: {
      sctp_authkey_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_AUTHENTICATION_EVENT", &v_copy); !s.ok()) return s;
      const sctp_authkey_event* v = &v_copy;
      n.type = NotificationType::kAuthentication;
      n.assoc_id = v->auth_assoc_id;
      n.indication = v->auth_indication;
      n.key_number = v->auth_keynumber;
      return n;
    }
    case SCTP_SENDER_DRY_EVENT: {
      sctp_sender_dry_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_SENDER_DRY_EVENT", &v_copy); !s.ok()) return s;
      const sctp_sender_dry_event* v = &v_copy;
      n.type = NotificationType::kSenderDry;
      n.assoc_id = v->sender_dry_assoc_id;
      return n;
    }
    case SCTP_STREAM_RESET_EVENT: {
      sctp_stream_reset_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_STREAM_RESET_EVENT", &v_copy); !s.ok()) return s;
      const sctp_stream_reset_event* v = &v_copy;
      n.type = NotificationType::kStreamReset;
      n.flags = header.flags;
      n.assoc_id = v->strreset_assoc_id;
      size_t count = (bytes.size() - sizeof(sctp_stream_reset_event)) / sizeof(uint16_t);
      for (size_t i = 0; i < count; ++i) {
        uint16_t stream;
        std::memcpy(&stream, bytes.data() + sizeof(sctp_stream_reset_event) + i * sizeof(uint16_t),
                    sizeof(stream));
        n.streams.push_back(stream);
      }
      return n;
    }
    case SCTP_ASSOC_RESET_EVENT: {
      sctp_assoc_reset_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_ASSOC_RESET_EVENT", &v_copy); !s.ok()) return s;
      const sctp_assoc_reset_event* v = &v_copy;
      n.type = NotificationType::kAssociationReset;
      n.flags = header.flags;
      n.assoc_id = v->assocreset_assoc_id;
      n.local_tsn = v->assocreset_local_tsn;
      n.remote_tsn = v->assocreset_remote_tsn;
      return n;
    }
    case SCTP_STREAM_CHANGE_EVENT: {
      sctp_stream_change_event v_copy;
      if (absl::Status s = Fixed(bytes, "SCTP_STREAM_CHANGE_EVENT", &v_copy); !s.ok()) return s;
      const sctp_stream_change_event* v = &v_copy;
      n.type = NotificationType::kStreamChange;
      n.flags = header.flags;
      n.assoc_id = v->strchange_assoc_id;
      n.inbound_streams = v->strchange_instrms;
      n.outbound_streams = v->strchange_outstrms;
      return n;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown SCTP notification type ", header.type));
  }
}

const std::vector<uint16_t>& SubscribedNotificationTypes() {
  static const std::vector<uint16_t> kTypes = {
      SCTP_ASSOC_CHANGE,           SCTP_PEER_ADDR_CHANGE,      SCTP_REMOTE_ERROR,
      SCTP_SEND_FAILED_EVENT,      SCTP_SHUTDOWN_EVENT,        SCTP_ADAPTATION_INDICATION,
      SCTP_PARTIAL_DELIVERY_EVENT, SCTP_AUTHENTICATION_EVENT,  SCTP_STREAM_RESET_EVENT,
      SCTP_ASSOC_RESET_EVENT,      SCTP_STREAM_CHANGE_EVENT,
  };
  return kTypes;
}

const char* NotificationTypeName(NotificationType type) {
  switch (type) {
    case NotificationType::kAssociationChange: return "assoc_change";
    case NotificationType::kPeerAddressChange: return "peer_addr_change";
    case NotificationType::kRemoteError: return "remote_error";
    case NotificationType::kSendFailed: return "send_failed";
    case NotificationType::kShutdown: return "shutdown";
    case NotificationType::kAdaptationIndication: return "adaptation_indication";
    case NotificationType::kPartialDelivery: return "partial_delivery";
    case NotificationType::kAuthentication: return "authentication";
    case NotificationType::kSenderDry: return "sender_dry";
    case NotificationType::kStreamReset: return "stream_reset";
    case NotificationType::kAssociationReset: return "assoc_reset";
    case NotificationType::kStreamChange: return "stream_change";
  }
  return "unknown";
}

const char* AssociationChangeName(AssociationChange change) {
  switch (change) {
    case AssociationChange::kCommUp: return "COMM_UP";
    case AssociationChange::kCommLost: return "COMM_LOST";
    case AssociationChange::kRestart: return "RESTART";
    case AssociationChange::kShutdownComplete: return "SHUTDOWN_COMP";
    case AssociationChange::kCantStartAssociation: return "CANT_STR_ASSOC";
    case AssociationChange::kUnknown: break;
  }
  return "UNKNOWN";
}

const char* PeerAddressStateName(PeerAddressState state) {
  switch (state) {
    case PeerAddressState::kAvailable: return "ADDR_AVAILABLE";
    case PeerAddressState::kUnreachable: return "ADDR_UNREACHABLE";
    case PeerAddressState::kRemoved: return "ADDR_REMOVED";
    case PeerAddressState::kAdded: return "ADDR_ADDED";
    case PeerAddressState::kMadePrimary: return "ADDR_MADE_PRIM";
    case PeerAddressState::kConfirmed: return "ADDR_CONFIRMED";
    case PeerAddressState::kPotentiallyFailed: return "ADDR_POTENTIALLY_FAILED";
    case PeerAddressState::kUnknown: break;
  }
  return "UNKNOWN";
}

}  // namespace sctpgw::net
