#include "server/net/socket_address.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sctpgw::net {

SocketAddress::SocketAddress() {
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage_);
  v4->sin_family = AF_INET;
}

absl::StatusOr<SocketAddress> SocketAddress::Parse(absl::string_view ip, uint32_t port) {
  if (port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", port, " is out of range 0..65535"));
  }
  // inet_pton reads a C string: "127.0.0.1\0anything" would pass as
  // 127.0.0.1.
  if (ip.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("the address contains a NUL byte");
  }
  SocketAddress result;
  std::string text(ip);
  if (text.find(':') == std::string::npos) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage_);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) return result;
    return absl::InvalidArgumentError(absl::StrCat("'", ip, "' is not a numeric IPv4 address"));
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage_);
  std::memset(v6, 0, sizeof(*v6));
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(static_cast<uint16_t>(port));
  std::string scope;
  if (auto percent = text.find('%'); percent != std::string::npos) {
    scope = text.substr(percent + 1);
    text.resize(percent);
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("'", ip, "' is not a numeric IPv6 address"));
  }
  if (!scope.empty()) {
    unsigned index = if_nametoindex(scope.c_str());
    if (index == 0) {
      char* end = nullptr;
      unsigned long numeric = std::strtoul(scope.c_str(), &end, 10);
      if (end == nullptr || *end != '\0' || numeric == 0 || numeric > UINT32_MAX) {
        return absl::InvalidArgumentError(absl::StrCat("unknown IPv6 scope '", scope, "'"));
      }
      index = static_cast<unsigned>(numeric);
    }
    v6->sin6_scope_id = index;
  }
  return result;
}

absl::StatusOr<SocketAddress> SocketAddress::FromSockaddr(const sockaddr* address,
                                                          socklen_t length) {
  SocketAddress result;
  if (address == nullptr) return absl::InvalidArgumentError("no address");
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    std::memcpy(&result.storage_, address, sizeof(sockaddr_in));
    return result;
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof(v6));
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      // An IPv6 socket reports IPv4 peers as ::ffff:a.b.c.d; they are IPv4.
      auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage_);
      v4->sin_family = AF_INET;
      v4->sin_port = v6.sin6_port;
      std::memcpy(&v4->sin_addr, &v6.sin6_addr.s6_addr[12], sizeof(v4->sin_addr));
      return result;
    }
    std::memcpy(&result.storage_, &v6, sizeof(v6));
    return result;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported address family ", address->sa_family));
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
}

void SocketAddress::set_port(uint16_t port) {
  if (family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  }
}

socklen_t SocketAddress::length() const {
  return family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::string SocketAddress::Ip() const {
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = {};
  if (family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    if (v6->sin6_scope_id != 0) return absl::StrCat(text, "%", v6->sin6_scope_id);
    return text;
  }
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage_);
  inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
  return text;
}

std::string SocketAddress::ToString() const {
  if (family() == AF_INET6) return absl::StrCat("[", Ip(), "]:", port());
  return absl::StrCat(Ip(), ":", port());
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  if (a.family() != b.family()) return false;
  return std::memcmp(&a.storage_, &b.storage_, a.length()) == 0;
}

std::vector<uint8_t> PackAddresses(const std::vector<SocketAddress>& addresses) {
  std::vector<uint8_t> packed;
  for (const SocketAddress& address : addresses) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(address.sockaddr_ptr());
    packed.insert(packed.end(), bytes, bytes + address.length());
  }
  return packed;
}

absl::StatusOr<std::vector<SocketAddress>> UnpackAddresses(const sockaddr* packed, int count) {
  std::vector<SocketAddress> addresses;
  const auto* cursor = reinterpret_cast<const uint8_t*>(packed);
  for (int i = 0; i < count; ++i) {
    const auto* address = reinterpret_cast<const sockaddr*>(cursor);
    socklen_t length = address->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    auto parsed = SocketAddress::FromSockaddr(address, length);
    if (!parsed.ok()) return parsed.status();
    addresses.push_back(*parsed);
    cursor += length;
  }
  return addresses;
}

}  // namespace sctpgw::net
