// Who is calling, as the transport proved it: a verified client
// certificate's identity (mutual TLS), "uid:N" for a unix client whose
// credentials sctpgw read when it accepted the connection (SO_PEERCRED, see
// UnixListener), nothing otherwise. Sessions opened with an identity answer
// only to it.
#pragma once

#include <string>

#include <grpcpp/grpcpp.h>

namespace sctpgw::rpc {

std::string PeerIdentity(const grpc::ServerContextBase* context);
// The core's name for the session `id` as this caller sees it.
std::string SessionKeyOf(const grpc::ServerContextBase* context, const std::string& id);

}  // namespace sctpgw::rpc
