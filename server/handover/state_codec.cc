#include "server/handover/state_codec.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sctpgw/handover/v1/handover.pb.h"

namespace sctpgw::handover {
namespace {

namespace pb = sctpgw::handover::v1;
using net::Notification;
using net::NotificationType;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("handover state: ", what));
}

// ---------------------------------------------------------------- encoding

void Put(const net::SocketAddress& address, pb::Address* out) {
  out->set_ip(address.Ip());
  out->set_port(address.port());
}

void Put(const Notification& n, pb::Notification* out) {
  out->set_type(static_cast<uint32_t>(n.type));
  out->set_assoc_id(n.assoc_id);
  out->set_flags(n.flags);
  out->set_association_change(static_cast<uint32_t>(n.association_change));
  out->set_address_state(static_cast<uint32_t>(n.address_state));
  out->set_indication(n.indication);
  out->set_error(n.error);
  out->set_outbound_streams(n.outbound_streams);
  out->set_inbound_streams(n.inbound_streams);
  if (n.address) Put(*n.address, out->mutable_address());
  out->set_stream(n.stream);
  out->set_ppid(n.ppid);
  out->set_context(n.context);
  out->set_sent(n.sent);
  out->set_unordered(n.unordered);
  out->set_first_fragment(n.first_fragment);
  out->set_last_fragment(n.last_fragment);
  out->set_adaptation_indication(n.adaptation_indication);
  out->set_pd_stream(n.pd_stream);
  out->set_pd_sequence(n.pd_sequence);
  out->set_key_number(n.key_number);
  for (uint16_t stream : n.streams) out->add_streams(stream);
  out->set_local_tsn(n.local_tsn);
  out->set_remote_tsn(n.remote_tsn);
  out->set_data(n.data);
}

void Put(const net::InboundMessage& m, pb::InboundMessage* out) {
  out->set_assoc_id(m.assoc_id);
  out->set_stream(m.stream);
  out->set_ssn(m.ssn);
  out->set_tsn(m.tsn);
  out->set_ppid(m.ppid);
  out->set_unordered(m.unordered);
  out->set_payload(m.payload);
  if (m.source) Put(*m.source, out->mutable_source());
  out->set_more_follows(m.more_follows);
  out->set_offset(m.offset);
}

pb::AssociationState ToProto(core::AssociationState state) {
  switch (state) {
    case core::AssociationState::kConnecting: return pb::CONNECTING;
    case core::AssociationState::kEstablished: return pb::ESTABLISHED;
    case core::AssociationState::kShuttingDown: return pb::SHUTTING_DOWN;
    case core::AssociationState::kClosed: return pb::CLOSED;
  }
  return pb::ASSOCIATION_STATE_UNSPECIFIED;
}

// ---------------------------------------------------------------- decoding

absl::StatusOr<net::SocketAddress> Get(const pb::Address& address) {
  auto parsed = net::SocketAddress::Parse(address.ip(), address.port());
  if (!parsed.ok()) return Invalid(absl::StrCat("address ", address.ip(), ": ", parsed.status().message()));
  return parsed;
}

absl::StatusOr<std::vector<net::SocketAddress>> Get(
    const google::protobuf::RepeatedPtrField<pb::Address>& addresses) {
  std::vector<net::SocketAddress> out;
  for (const pb::Address& address : addresses) {
    auto parsed = Get(address);
    if (!parsed.ok()) return parsed.status();
    out.push_back(*parsed);
  }
  return out;
}

template <typename T>
absl::StatusOr<T> Narrow(uint64_t value, const char* field) {
  if (value > std::numeric_limits<T>::max()) return Invalid(absl::StrCat(field, " out of range"));
  return static_cast<T>(value);
}

#define SCTPGW_ASSIGN(lhs, expr)              \
  do {                                        \
    auto sctpgw_value = (expr);               \
    if (!sctpgw_value.ok()) return sctpgw_value.status(); \
    lhs = std::move(*sctpgw_value);           \
  } while (false)

absl::StatusOr<Notification> Get(const pb::Notification& in) {
  Notification n;
  if (in.type() > static_cast<uint32_t>(NotificationType::kStreamChange)) {
    return Invalid("unknown notification type");
  }
  if (in.association_change() > static_cast<uint32_t>(net::AssociationChange::kCantStartAssociation) ||
      in.address_state() > static_cast<uint32_t>(net::PeerAddressState::kPotentiallyFailed)) {
    return Invalid("unknown notification state");
  }
  n.type = static_cast<NotificationType>(in.type());
  n.assoc_id = in.assoc_id();
  SCTPGW_ASSIGN(n.flags, Narrow<uint16_t>(in.flags(), "notification flags"));
  n.association_change = static_cast<net::AssociationChange>(in.association_change());
  n.address_state = static_cast<net::PeerAddressState>(in.address_state());
  n.indication = in.indication();
  n.error = in.error();
  SCTPGW_ASSIGN(n.outbound_streams, Narrow<uint16_t>(in.outbound_streams(), "outbound_streams"));
  SCTPGW_ASSIGN(n.inbound_streams, Narrow<uint16_t>(in.inbound_streams(), "inbound_streams"));
  if (in.has_address()) {
    auto address = Get(in.address());
    if (!address.ok()) return address.status();
    n.address = *address;
  }
  SCTPGW_ASSIGN(n.stream, Narrow<uint16_t>(in.stream(), "notification stream"));
  n.ppid = in.ppid();
  n.context = in.context();
  n.sent = in.sent();
  n.unordered = in.unordered();
  n.first_fragment = in.first_fragment();
  n.last_fragment = in.last_fragment();
  n.adaptation_indication = in.adaptation_indication();
  n.pd_stream = in.pd_stream();
  n.pd_sequence = in.pd_sequence();
  SCTPGW_ASSIGN(n.key_number, Narrow<uint16_t>(in.key_number(), "key_number"));
  for (uint32_t stream : in.streams()) {
    uint16_t s = 0;
    SCTPGW_ASSIGN(s, Narrow<uint16_t>(stream, "reset stream"));
    n.streams.push_back(s);
  }
  n.local_tsn = in.local_tsn();
  n.remote_tsn = in.remote_tsn();
  n.data = in.data();
  return n;
}

absl::StatusOr<net::InboundMessage> Get(const pb::InboundMessage& in) {
  net::InboundMessage m;
  m.assoc_id = in.assoc_id();
  SCTPGW_ASSIGN(m.stream, Narrow<uint16_t>(in.stream(), "message stream"));
  SCTPGW_ASSIGN(m.ssn, Narrow<uint16_t>(in.ssn(), "message ssn"));
  m.tsn = in.tsn();
  m.ppid = in.ppid();
  m.unordered = in.unordered();
  m.payload = in.payload();
  if (m.payload.empty()) return Invalid("an empty queued message");
  if (in.has_source()) {
    auto source = Get(in.source());
    if (!source.ok()) return source.status();
    m.source = *source;
  }
  m.more_follows = in.more_follows();
  m.offset = in.offset();
  return m;
}

absl::StatusOr<core::AssociationState> Get(pb::AssociationState state) {
  switch (state) {
    case pb::CONNECTING: return core::AssociationState::kConnecting;
    case pb::ESTABLISHED: return core::AssociationState::kEstablished;
    case pb::SHUTTING_DOWN: return core::AssociationState::kShuttingDown;
    case pb::CLOSED: return core::AssociationState::kClosed;
    default: return Invalid("unknown association state");
  }
}

}  // namespace

std::string EncodeState(const HandoverState& state) {
  const core::GatewayState& g = state.gateway;
  pb::State out;
  for (const core::SessionRecord& s : g.sessions) {
    pb::Session* session = out.add_sessions();
    session->set_id(s.info.id);
    session->set_key(s.info.key);
    session->set_lease_ms(static_cast<uint64_t>(s.info.lease.count()));
    session->set_client_name(s.client_name);
    session->set_application_liveness(s.info.liveness == core::SessionLiveness::kApplication);
  }
  for (const core::EndpointRecord& e : g.endpoints) {
    pb::Endpoint* endpoint = out.add_endpoints();
    endpoint->set_session(e.session);
    endpoint->set_closing(e.closing);
    endpoint->set_id(e.info.id);
    for (const auto& address : e.info.local_addresses) Put(address, endpoint->add_local_addresses());
    endpoint->set_port(e.info.port);
    endpoint->set_listening(e.info.listening);
    endpoint->set_address_reconfiguration(e.info.address_reconfiguration);
    endpoint->set_udp_encapsulation_port(e.info.udp_encapsulation_port);
    endpoint->set_reset_streams(e.info.stream_reconfiguration.reset_streams);
    endpoint->set_reset_association(e.info.stream_reconfiguration.reset_association);
    endpoint->set_add_streams(e.info.stream_reconfiguration.add_streams);
    endpoint->set_interleaving(e.info.interleaving);
    endpoint->set_stream_scheduler(static_cast<uint32_t>(e.info.scheduler));
    endpoint->set_auth(e.info.auth);
    for (uint8_t chunk : e.info.auth_chunk_types) endpoint->add_auth_chunk_types(chunk);
    for (uint16_t key : e.info.auth_key_ids) endpoint->add_auth_key_ids(key);
    const net::SocketSettings& settings = e.info.settings;
    endpoint->set_cookie_life_ms(settings.cookie_life_ms.value_or(0));
    endpoint->set_receive_window_bytes(settings.receive_window_bytes.value_or(0));
    endpoint->set_max_segment_bytes(settings.max_segment_bytes.value_or(0));
    endpoint->set_disable_fragments(settings.disable_fragments);
    endpoint->set_partial_delivery_point_bytes(settings.partial_delivery_point_bytes.value_or(0));
    endpoint->set_bundle_messages(settings.bundle_messages);
    endpoint->set_abort_oversized(e.info.abort_oversized_messages);
    endpoint->set_socket(e.socket);
    endpoint->set_max_send_bytes(e.max_send_bytes);
    endpoint->set_next_receive_from(e.next_receive_from);
  }
  for (const core::AssociationRecord& a : g.associations) {
    pb::Association* association = out.add_associations();
    association->set_session(a.session);
    association->set_id(a.info.id);
    association->set_endpoint_id(a.info.endpoint_id);
    association->set_kernel_id(a.info.kernel_id);
    association->set_state(ToProto(a.info.state));
    association->set_incoming(a.info.incoming);
    association->set_inbound_streams(a.info.inbound_streams);
    association->set_outbound_streams(a.info.outbound_streams);
    for (const auto& address : a.info.local_addresses) Put(address, association->add_local_addresses());
    for (const auto& address : a.info.peer_addresses) Put(address, association->add_peer_addresses());
    association->set_peer_port(a.info.peer_port);
    association->set_socket(a.socket);
    for (const net::InboundMessage& m : a.queue) Put(m, association->add_queue());
    association->set_abort_detail(a.abort_detail);
    association->set_associate_interrupted(a.associate_interrupted);
    association->set_shutdown_interrupted(a.shutdown_interrupted);
  }
  for (const core::DrainingRecord& d : g.draining) {
    pb::Draining* draining = out.add_draining();
    draining->set_socket(d.socket);
    draining->set_endpoint_id(d.endpoint_id);
    draining->set_association_id(d.association_id);
  }
  for (const auto& [id, session] : g.ended) {
    pb::Ended* ended = out.add_ended();
    ended->set_association_id(id);
    ended->set_session(session);
  }
  out.set_next_endpoint_id(g.next_endpoint_id);
  out.set_next_association_id(g.next_association_id);
  pb::Counters* counters = out.mutable_counters();
  counters->set_messages_received(g.counters.messages_received);
  counters->set_bytes_received(g.counters.bytes_received);
  counters->set_messages_sent(g.counters.messages_sent);
  counters->set_bytes_sent(g.counters.bytes_sent);
  counters->set_send_errors(g.counters.send_errors);
  counters->set_sessions_opened(g.counters.sessions_opened);
  for (const auto& [key, count] : g.counters.events) {
    pb::Counters::EventCount* events = counters->add_events();
    events->set_type(key.first);
    events->set_state(key.second);
    events->set_count(count);
  }
  pb::EventLog* log = out.mutable_events();
  for (const core::EventPtr& e : g.events.events) {
    pb::Event* event = log->add_events();
    event->set_sequence(e->sequence);
    event->set_time_unix_nanos(
        std::chrono::duration_cast<std::chrono::nanoseconds>(e->time.time_since_epoch()).count());
    event->set_session(e->session);
    event->set_endpoint_id(e->endpoint_id);
    event->set_association_id(e->association_id);
    Put(e->notification, event->mutable_notification());
    event->set_detail(e->detail);
    event->set_peer(e->peer);
    event->set_messages_lost(e->messages_lost);
    event->set_messages_unconfirmed(e->messages_unconfirmed);
  }
  log->set_last_sequence(g.events.last_sequence);
  for (const std::string& session : g.events.ended_sessions) log->add_ended_sessions(session);
  for (const HandedSocket& s : state.sockets) {
    pb::Socket* socket = out.add_sockets();
    socket->set_id(s.id);
    socket->set_one_to_many(s.carry.one_to_many);
    socket->set_address_reconfiguration(s.carry.address_reconfiguration);
    socket->set_abort_oversized(s.carry.abort_oversized);
    for (const net::PartialMessage& p : s.carry.partials) {
      pb::PartialMessage* partial = socket->add_partials();
      partial->set_notification(p.notification);
      partial->set_has_info(p.has_info);
      partial->set_assoc_id(p.assoc_id);
      partial->set_stream(p.stream);
      partial->set_ssn(p.ssn);
      partial->set_tsn(p.tsn);
      partial->set_ppid(p.ppid);
      partial->set_unordered(p.unordered);
      partial->set_bytes(p.bytes);
      partial->set_discarding(p.discarding);
      partial->set_offset(p.offset);
      if (p.source) Put(*p.source, partial->mutable_source());
    }
    if (!s.carry.partials.empty()) *socket->mutable_partial() = socket->partials(0);
    socket->set_discarding(s.carry.discarding);
    socket->set_fd_name(s.fd_name);
    for (const Notification& n : s.carry.send_failed) Put(n, socket->add_send_failed());
  }
  for (const std::string& listener : state.listeners) out.add_listeners()->set_address(listener);
  out.set_complete(state.complete);
  return out.SerializeAsString();
}

absl::StatusOr<HandoverState> DecodeState(absl::string_view bytes) {
  pb::State in;
  if (!in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Invalid("not a serialised State");
  }
  HandoverState state;
  core::GatewayState& g = state.gateway;
  std::set<net::SocketId> carried;
  for (const pb::Socket& s : in.sockets()) {
    if (s.id() == 0 || !carried.insert(s.id()).second) return Invalid("a socket id is 0 or repeated");
    HandedSocket socket;
    socket.id = s.id();
    socket.carry.one_to_many = s.one_to_many();
    socket.carry.address_reconfiguration = s.address_reconfiguration();
    socket.carry.abort_oversized = s.abort_oversized();
    // Every partial message, or the one a process that knew only one wrote.
    google::protobuf::RepeatedPtrField<pb::PartialMessage> partials = s.partials();
    if (partials.empty() && s.has_partial()) *partials.Add() = s.partial();
    for (const pb::PartialMessage& p : partials) {
      net::PartialMessage partial;
      partial.notification = p.notification();
      partial.has_info = p.has_info();
      partial.assoc_id = p.assoc_id();
      SCTPGW_ASSIGN(partial.stream, Narrow<uint16_t>(p.stream(), "partial stream"));
      SCTPGW_ASSIGN(partial.ssn, Narrow<uint16_t>(p.ssn(), "partial ssn"));
      partial.tsn = p.tsn();
      partial.ppid = p.ppid();
      partial.unordered = p.unordered();
      partial.bytes = p.bytes();
      partial.discarding = p.discarding();
      partial.offset = p.offset();
      if (p.has_source()) {
        auto source = Get(p.source());
        if (!source.ok()) return source.status();
        partial.source = *source;
      }
      socket.carry.partials.push_back(std::move(partial));
    }
    socket.carry.discarding = s.discarding();
    socket.fd_name = s.fd_name();
    for (const pb::Notification& n : s.send_failed()) {
      auto decoded = Get(n);
      if (!decoded.ok()) return decoded.status();
      socket.carry.send_failed.push_back(std::move(*decoded));
    }
    state.sockets.push_back(std::move(socket));
  }
  auto carried_socket = [&](uint64_t socket, const char* what) -> absl::Status {
    if (carried.count(socket) == 0) return Invalid(absl::StrCat(what, " names a socket not handed over"));
    return absl::OkStatus();
  };
  for (const pb::Listener& listener : in.listeners()) state.listeners.push_back(listener.address());
  state.complete = in.complete();
  for (const pb::Session& s : in.sessions()) {
    core::SessionRecord record;
    record.info.id = s.id();
    record.info.key = s.key();
    if (s.lease_ms() == 0 || s.lease_ms() > 365ull * 24 * 3600 * 1000) return Invalid("a session's lease");
    record.info.lease = std::chrono::milliseconds(s.lease_ms());
    record.client_name = s.client_name();
    record.info.liveness = s.application_liveness() ? core::SessionLiveness::kApplication
                                                    : core::SessionLiveness::kConnection;
    g.sessions.push_back(std::move(record));
  }
  for (const pb::Endpoint& e : in.endpoints()) {
    if (absl::Status ok = carried_socket(e.socket(), "an endpoint"); !ok.ok()) return ok;
    core::EndpointRecord record;
    record.session = e.session();
    record.closing = e.closing();
    record.info.id = e.id();
    SCTPGW_ASSIGN(record.info.local_addresses, Get(e.local_addresses()));
    SCTPGW_ASSIGN(record.info.port, Narrow<uint16_t>(e.port(), "endpoint port"));
    record.info.listening = e.listening();
    record.info.address_reconfiguration = e.address_reconfiguration();
    SCTPGW_ASSIGN(record.info.udp_encapsulation_port,
                  Narrow<uint16_t>(e.udp_encapsulation_port(), "endpoint UDP encapsulation port"));
    record.info.stream_reconfiguration.reset_streams = e.reset_streams();
    record.info.stream_reconfiguration.reset_association = e.reset_association();
    record.info.stream_reconfiguration.add_streams = e.add_streams();
    record.info.interleaving = e.interleaving();
    if (e.stream_scheduler() > static_cast<uint32_t>(net::StreamScheduler::kWeightedFair)) {
      return Invalid("an endpoint's stream scheduler is unknown");
    }
    record.info.scheduler = static_cast<net::StreamScheduler>(e.stream_scheduler());
    record.info.auth = e.auth();
    net::SocketSettings& settings = record.info.settings;
    settings.cookie_life_ms = e.cookie_life_ms();
    settings.receive_window_bytes = e.receive_window_bytes();
    settings.max_segment_bytes = e.max_segment_bytes();
    settings.disable_fragments = e.disable_fragments();
    settings.partial_delivery_point_bytes = e.partial_delivery_point_bytes();
    settings.bundle_messages = e.bundle_messages();
    record.info.abort_oversized_messages = e.abort_oversized();
    for (uint32_t chunk : e.auth_chunk_types()) {
      uint8_t narrow = 0;
      SCTPGW_ASSIGN(narrow, Narrow<uint8_t>(chunk, "endpoint AUTH chunk type"));
      record.info.auth_chunk_types.push_back(narrow);
    }
    for (uint32_t key : e.auth_key_ids()) {
      uint16_t narrow = 0;
      SCTPGW_ASSIGN(narrow, Narrow<uint16_t>(key, "endpoint AUTH key id"));
      record.info.auth_key_ids.push_back(narrow);
    }
    record.socket = e.socket();
    record.max_send_bytes = e.max_send_bytes();
    record.next_receive_from = e.next_receive_from();
    g.endpoints.push_back(std::move(record));
  }
  for (const pb::Association& a : in.associations()) {
    if (a.socket() != 0) {
      if (absl::Status ok = carried_socket(a.socket(), "an association"); !ok.ok()) return ok;
    }
    core::AssociationRecord record;
    record.session = a.session();
    record.info.id = a.id();
    record.info.endpoint_id = a.endpoint_id();
    record.info.kernel_id = a.kernel_id();
    SCTPGW_ASSIGN(record.info.state, Get(a.state()));
    record.info.incoming = a.incoming();
    SCTPGW_ASSIGN(record.info.inbound_streams, Narrow<uint16_t>(a.inbound_streams(), "inbound_streams"));
    SCTPGW_ASSIGN(record.info.outbound_streams, Narrow<uint16_t>(a.outbound_streams(), "outbound_streams"));
    SCTPGW_ASSIGN(record.info.local_addresses, Get(a.local_addresses()));
    SCTPGW_ASSIGN(record.info.peer_addresses, Get(a.peer_addresses()));
    SCTPGW_ASSIGN(record.info.peer_port, Narrow<uint16_t>(a.peer_port(), "peer_port"));
    record.socket = a.socket();
    for (const pb::InboundMessage& m : a.queue()) {
      auto message = Get(m);
      if (!message.ok()) return message.status();
      record.queue.push_back(std::move(*message));
    }
    record.abort_detail = a.abort_detail();
    record.associate_interrupted = a.associate_interrupted();
    record.shutdown_interrupted = a.shutdown_interrupted();
    g.associations.push_back(std::move(record));
  }
  for (const pb::Draining& d : in.draining()) {
    if (absl::Status ok = carried_socket(d.socket(), "a draining association"); !ok.ok()) return ok;
    g.draining.push_back({d.socket(), d.endpoint_id(), d.association_id()});
  }
  for (const pb::Ended& e : in.ended()) g.ended.emplace_back(e.association_id(), e.session());
  g.next_endpoint_id = in.next_endpoint_id();
  g.next_association_id = in.next_association_id();
  const pb::Counters& c = in.counters();
  g.counters.messages_received = c.messages_received();
  g.counters.bytes_received = c.bytes_received();
  g.counters.messages_sent = c.messages_sent();
  g.counters.bytes_sent = c.bytes_sent();
  g.counters.send_errors = c.send_errors();
  g.counters.sessions_opened = c.sessions_opened();
  for (const auto& events : c.events()) {
    g.counters.events[{events.type(), events.state()}] = events.count();
  }
  const pb::EventLog& log = in.events();
  uint64_t previous = 0;
  for (const pb::Event& e : log.events()) {
    if (e.sequence() <= previous || e.sequence() > log.last_sequence()) {
      return Invalid("event sequence numbers out of order");
    }
    previous = e.sequence();
    core::Event event;
    event.sequence = e.sequence();
    event.time = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(e.time_unix_nanos())));
    event.session = e.session();
    event.endpoint_id = e.endpoint_id();
    event.association_id = e.association_id();
    SCTPGW_ASSIGN(event.notification, Get(e.notification()));
    event.detail = e.detail();
    event.peer = e.peer();
    event.messages_lost = e.messages_lost();
    event.messages_unconfirmed = e.messages_unconfirmed();
    g.events.events.push_back(std::make_shared<const core::Event>(std::move(event)));
  }
  g.events.last_sequence = log.last_sequence();
  for (const std::string& session : log.ended_sessions()) g.events.ended_sessions.push_back(session);
  return state;
}

#undef SCTPGW_ASSIGN

}  // namespace sctpgw::handover
