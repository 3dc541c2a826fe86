#include "server/net/socket_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace sctpgw::net {
namespace {

TEST(SocketAddressTest, ParsesIpv4) {
  auto address = SocketAddress::Parse("192.0.2.7", 38412);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->family(), AF_INET);
  EXPECT_EQ(address->port(), 38412);
  EXPECT_EQ(address->Ip(), "192.0.2.7");
  EXPECT_EQ(address->ToString(), "192.0.2.7:38412");
  EXPECT_EQ(address->length(), sizeof(sockaddr_in));
}

TEST(SocketAddressTest, ParsesIpv6) {
  auto address = SocketAddress::Parse("2001:db8::1", 3868);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->family(), AF_INET6);
  EXPECT_EQ(address->ToString(), "[2001:db8::1]:3868");
  EXPECT_EQ(address->length(), sizeof(sockaddr_in6));
}

TEST(SocketAddressTest, KernelIpv4MappedAddressesAreIpv4) {
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  mapped.sin6_port = htons(36412);
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:198.51.100.2", &mapped.sin6_addr), 1);
  auto address =
      SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&mapped), sizeof(mapped));
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->family(), AF_INET);
  EXPECT_EQ(address->ToString(), "198.51.100.2:36412");
  EXPECT_EQ(*address, *SocketAddress::Parse("198.51.100.2", 36412));
}

TEST(SocketAddressTest, ParsesNumericIpv6Scope) {
  auto address = SocketAddress::Parse("fe80::1%7", 1);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->Ip(), "fe80::1%7");
}

TEST(SocketAddressTest, RejectsWhatIsNotANumericAddress) {
  for (const char* bad : {"", "localhost", "256.0.0.1", "1.2.3", "2001:db8::g", "::1%nosuchif0"}) {
    auto address = SocketAddress::Parse(bad, 1);
    EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// inet_pton stops at a NUL byte; the address text must be the whole field.
TEST(SocketAddressTest, RejectsAnEmbeddedNulByte) {
  for (absl::string_view bad : {absl::string_view("127.0.0.1\0evil", 14),
                                absl::string_view("::1\0", 4), absl::string_view("\0", 1)}) {
    auto address = SocketAddress::Parse(bad, 1);
    EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(SocketAddressTest, RejectsPortAbove65535) {
  auto address = SocketAddress::Parse("192.0.2.1", 65536);
  EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(SocketAddress::Parse("192.0.2.1", 65535).ok());
}

TEST(SocketAddressTest, PacksAndUnpacksMixedFamilies) {
  std::vector<SocketAddress> addresses = {*SocketAddress::Parse("192.0.2.1", 9),
                                          *SocketAddress::Parse("2001:db8::2", 9),
                                          *SocketAddress::Parse("198.51.100.3", 9)};
  std::vector<uint8_t> packed = PackAddresses(addresses);
  EXPECT_EQ(packed.size(), 2 * sizeof(sockaddr_in) + sizeof(sockaddr_in6));
  auto unpacked = UnpackAddresses(reinterpret_cast<const sockaddr*>(packed.data()), 3);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(*unpacked, addresses);
}

TEST(SocketAddressTest, SetPortKeepsAddress) {
  auto address = *SocketAddress::Parse("2001:db8::5", 0);
  address.set_port(2905);
  EXPECT_EQ(address.ToString(), "[2001:db8::5]:2905");
}

}  // namespace
}  // namespace sctpgw::net
