// What the client library's option structs become on the wire: the
// OutboundMessage of SendOptions, the OpenEndpointRequest of EndpointOptions,
// the AssociateRequest of AssociateOptions.
#include <utility>

#include "sctpgw/client.h"

namespace sctpgw::client {

v1::OutboundMessage MakeMessage(std::string payload, const SendOptions& options) {
  v1::OutboundMessage message;
  message.set_stream(options.stream);
  message.set_ppid(options.ppid);
  message.set_unordered(options.unordered);
  message.set_lifetime_ms(options.lifetime_ms);
  // Presence matters: max_retransmissions 0 (sent once) is not unset.
  if (options.max_retransmissions.has_value()) {
    message.set_max_retransmissions(*options.max_retransmissions);
  }
  if (options.priority.has_value()) message.set_priority(*options.priority);
  message.set_peer_address(options.peer_address);
  message.set_context(options.context);
  message.set_payload(std::move(payload));
  return message;
}

v1::OpenEndpointRequest MakeOpenEndpointRequest(const EndpointOptions& options) {
  v1::OpenEndpointRequest request;
  for (const std::string& address : options.addresses) request.add_local_addresses(address);
  request.set_port(options.port);
  request.set_listen(options.listen);
  if (options.streams != 0) {
    request.mutable_init()->set_outbound_streams(options.streams);
    request.mutable_init()->set_max_inbound_streams(options.streams);
  }
  request.set_address_reconfiguration(options.address_reconfiguration);
  request.set_udp_encapsulation_port(options.udp_encapsulation_port);
  request.mutable_stream_reconfiguration()->set_reset_streams(options.reset_streams);
  request.mutable_stream_reconfiguration()->set_reset_association(options.reset_association);
  request.mutable_stream_reconfiguration()->set_add_streams(options.add_streams);
  request.set_interleaving(options.interleaving);
  request.set_stream_scheduler(options.stream_scheduler);
  if (options.auth.has_value()) *request.mutable_auth() = *options.auth;
  if (options.path_parameters.has_value()) {
    *request.mutable_path_parameters() = *options.path_parameters;
  }
  // socket_settings only when something is asked: absent keeps every default.
  v1::SocketSettings settings;
  if (options.cookie_life_ms.has_value()) settings.set_cookie_life_ms(*options.cookie_life_ms);
  if (options.receive_window_bytes.has_value()) {
    settings.set_receive_window_bytes(*options.receive_window_bytes);
  }
  if (options.max_segment_bytes.has_value()) {
    settings.set_max_segment_bytes(*options.max_segment_bytes);
  }
  settings.set_disable_fragments(options.disable_fragments);
  if (options.partial_delivery_point_bytes.has_value()) {
    settings.set_partial_delivery_point_bytes(*options.partial_delivery_point_bytes);
  }
  settings.set_bundle_messages(options.bundle_messages);
  if (settings.ByteSizeLong() != 0) *request.mutable_socket_settings() = std::move(settings);
  request.set_oversized_messages(options.oversized_messages);
  return request;
}

v1::AssociateRequest MakeAssociateRequest(const AssociateOptions& options) {
  v1::AssociateRequest request;
  for (const std::string& address : options.peer_addresses) request.add_peer_addresses(address);
  request.set_peer_port(options.peer_port);
  v1::InitOptions* init = request.mutable_init();
  init->set_outbound_streams(options.outbound_streams);
  init->set_max_inbound_streams(options.max_inbound_streams);
  init->set_max_init_attempts(options.max_init_attempts);
  init->set_max_init_timeout_ms(options.max_init_timeout_ms);
  return request;
}

}  // namespace sctpgw::client
