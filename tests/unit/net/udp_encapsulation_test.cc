// net.sctp.udp_port, read and written through a directory that stands in
// for /proc/sys/net/sctp.
#include "server/net/udp_encapsulation.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace sctpgw::net {
namespace {

class UdpEncapsulationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "sctpgw-udp-encapsulation-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text) { std::ofstream(dir_ + "/udp_port") << text; }

  std::string dir_;
};

TEST_F(UdpEncapsulationTest, ReadsTheKernelsPort) {
  Write("0\n");
  auto port = UdpEncapsulation(dir_).LocalPort();
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(*port, 0);
  Write("9899\n");
  EXPECT_EQ(*UdpEncapsulation(dir_).LocalPort(), 9899);
}

TEST_F(UdpEncapsulationTest, SetsItAndReadsItBack) {
  Write("0\n");
  ASSERT_TRUE(UdpEncapsulation(dir_).SetLocalPort(9899).ok());
  EXPECT_EQ(*UdpEncapsulation(dir_).LocalPort(), 9899);
}

TEST_F(UdpEncapsulationTest, ThePortItHasAlreadyIsNotWrittenAgain) {
  Write("9899\n");
  // Read-only (root could still write it: the write time tells).
  ASSERT_EQ(::chmod((dir_ + "/udp_port").c_str(), 0444), 0);
  const auto before = std::filesystem::last_write_time(dir_ + "/udp_port");
  EXPECT_TRUE(UdpEncapsulation(dir_).SetLocalPort(9899).ok());
  EXPECT_EQ(std::filesystem::last_write_time(dir_ + "/udp_port"), before);
}

TEST_F(UdpEncapsulationTest, AKernelWithoutItSaysSo) {
  auto port = UdpEncapsulation(dir_ + "/missing").LocalPort();
  EXPECT_EQ(port.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(port.status().message().find("SCTP over UDP"), std::string::npos);
  absl::Status set = UdpEncapsulation(dir_ + "/missing").SetLocalPort(9899);
  EXPECT_EQ(set.code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(UdpEncapsulationTest, GarbageIsNotAPort) {
  Write("ninety\n");
  EXPECT_EQ(UdpEncapsulation(dir_).LocalPort().status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace sctpgw::net
