// An IPv4 or IPv6 address with a port, as the kernel's sockaddr wants it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace sctpgw::net {

class SocketAddress {
 public:
  // The IPv4 wildcard address, port 0.
  SocketAddress();

  // Parses a numeric IPv4 ("192.0.2.1") or IPv6 ("2001:db8::1", optionally
  // with a "%scope" suffix) address. No name resolution: INVALID_ARGUMENT for
  // anything else, or for a port above 65535.
  static absl::StatusOr<SocketAddress> Parse(absl::string_view ip, uint32_t port);

  // Copies a kernel sockaddr; INVALID_ARGUMENT unless AF_INET or AF_INET6.
  // An IPv4-mapped IPv6 address (how IPv6 sockets report IPv4 peers) becomes
  // the IPv4 address it stands for.
  static absl::StatusOr<SocketAddress> FromSockaddr(const sockaddr* address, socklen_t length);

  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  void set_port(uint16_t port);
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const;

  // The numeric address without the port ("192.0.2.1", "2001:db8::1").
  std::string Ip() const;
  // "192.0.2.1:38412" or "[2001:db8::1]:38412".
  std::string ToString() const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b);
  friend bool operator!=(const SocketAddress& a, const SocketAddress& b) { return !(a == b); }

 private:
  sockaddr_storage storage_{};
};

// Packs addresses back to back, as sctp_bindx() and sctp_connectx() expect.
std::vector<uint8_t> PackAddresses(const std::vector<SocketAddress>& addresses);

// Unpacks `count` back-to-back addresses as sctp_getladdrs()/sctp_getpaddrs()
// return them.
absl::StatusOr<std::vector<SocketAddress>> UnpackAddresses(const sockaddr* packed, int count);

}  // namespace sctpgw::net
