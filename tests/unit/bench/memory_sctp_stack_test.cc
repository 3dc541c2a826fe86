// The in-memory SCTP stack the native benchmark runs sctpgw over: what the
// core relies on from a stack holds for it too (COMM_UP before messages,
// peel-off, order, flow control with OnWritable, shutdown notifications,
// never a callback inside the call that caused it).
#include "bench/memory_stack/memory_sctp_stack.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sctpgw::bench {
namespace {

using namespace std::chrono_literals;

class Recorder final : public net::SctpStack::Observer {
 public:
  void OnMessage(net::SocketId socket, net::InboundMessage message) override {
    Add(socket, "message " + message.payload);
  }
  void OnNotification(net::SocketId socket, net::Notification notification) override {
    Add(socket, std::string("notification ") + net::AssociationChangeName(notification.association_change));
  }
  void OnReceiveError(net::SocketId socket, net::AssocId, absl::Status) override { Add(socket, "error"); }
  void OnWritable(net::SocketId socket) override { Add(socket, "writable"); }
  void OnClosed(net::SocketId socket) override { Add(socket, "closed"); }

  // Waits until `count` callbacks came; returns them as "socket: what".
  std::vector<std::string> Wait(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return seen_.size() >= count; });
    return seen_;
  }
  bool in_call = false;  // Set by the test around calls into the stack.

 private:
  void Add(net::SocketId socket, const std::string& what) {
    EXPECT_FALSE(in_call) << "a callback inside a call: " << what;
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.push_back(std::to_string(socket) + ": " + what);
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> seen_;
};

class MemorySctpStackTest : public ::testing::Test {
 protected:
  MemorySctpStackTest() : stack_(Options()) {
    stack_.SetObserver(&recorder_);
    stack_.Start();
  }
  ~MemorySctpStackTest() override { stack_.Stop(); }

  static MemorySctpStack::Options Options() {
    MemorySctpStack::Options options;
    options.window_bytes = 100;
    options.source_bytes = 40;
    return options;
  }

  template <typename F>
  auto OnStack(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task([&] {
      recorder_.in_call = true;
      auto result = fn();
      recorder_.in_call = false;
      return result;
    });
    auto result = task.get_future();
    stack_.Post([&] { task(); });
    return result.get();
  }

  net::SendInfo Info(net::AssocId assoc) {
    net::SendInfo info;
    info.assoc_id = assoc;
    return info;
  }

  static absl::Span<const uint8_t> Bytes(const std::string& text) {
    return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }

  Recorder recorder_;
  MemorySctpStack stack_;
};

TEST_F(MemorySctpStackTest, LocalAssociationCarriesMessagesInOrderAndShutsDown) {
  auto listener_address = *net::SocketAddress::Parse("127.0.0.1", 5000);
  net::EndpointConfig listening;
  listening.addresses = {listener_address};
  listening.listen = true;
  net::SocketId listener = *OnStack([&] { return stack_.OpenEndpoint(listening); });
  net::SocketId endpoint = *OnStack([&] { return stack_.OpenEndpoint(net::EndpointConfig{}); });
  net::AssocId assoc = *OnStack([&] { return stack_.Connect(endpoint, {listener_address}, {}); });
  auto seen = recorder_.Wait(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::to_string(endpoint) + ": notification COMM_UP");
  EXPECT_EQ(seen[1], std::to_string(listener) + ": notification COMM_UP");
  net::SocketId mine = *OnStack([&] { return stack_.PeelOff(endpoint, assoc); });
  ASSERT_TRUE(OnStack([&] { return stack_.Send(mine, Info(0), Bytes("one")); }).ok());
  ASSERT_TRUE(OnStack([&] { return stack_.Send(mine, Info(0), Bytes("two")); }).ok());
  seen = recorder_.Wait(4);
  EXPECT_EQ(seen[2], std::to_string(listener) + ": message one");
  EXPECT_EQ(seen[3], std::to_string(listener) + ": message two");
  ASSERT_TRUE(OnStack([&] { return stack_.Shutdown(mine, 0); }).ok());
  seen = recorder_.Wait(7);
  EXPECT_EQ(seen[4], std::to_string(mine) + ": notification SHUTDOWN_COMP");
  EXPECT_EQ(seen[6], std::to_string(listener) + ": notification SHUTDOWN_COMP");
}

TEST_F(MemorySctpStackTest, EchoPushesBackWhenTheReaderStopsAndSaysWhenWritable) {
  net::SocketId endpoint = *OnStack([&] { return stack_.OpenEndpoint(net::EndpointConfig{}); });
  auto echo = *net::SocketAddress::Parse("127.0.0.1", MemorySctpStack::kEchoPort);
  net::AssocId assoc = *OnStack([&] { return stack_.Connect(endpoint, {echo}, {}); });
  recorder_.Wait(1);
  net::SocketId mine = *OnStack([&] { return stack_.PeelOff(endpoint, assoc); });
  stack_.Post([&] { stack_.PauseReading(mine, true); });
  const std::string sixty(60, 'x');
  EXPECT_TRUE(OnStack([&] { return stack_.Send(mine, Info(0), Bytes(sixty)); }).ok());
  EXPECT_TRUE(OnStack([&] { return stack_.Send(mine, Info(0), Bytes(sixty)); }).ok());
  // 120 bytes unread: over the 100-byte window.
  absl::Status full = OnStack([&] { return stack_.Send(mine, Info(0), Bytes(sixty)); });
  EXPECT_EQ(full.code(), absl::StatusCode::kUnavailable) << full;
  stack_.Post([&] { stack_.PauseReading(mine, false); });
  auto seen = recorder_.Wait(4);
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen[1], std::to_string(mine) + ": message " + sixty);
  EXPECT_EQ(seen[2], std::to_string(mine) + ": message " + sixty);
  EXPECT_EQ(seen[3], std::to_string(mine) + ": writable");
}

TEST_F(MemorySctpStackTest, SourceSendsAsFastAsItIsReadAndDiscardCounts) {
  net::SocketId endpoint = *OnStack([&] { return stack_.OpenEndpoint(net::EndpointConfig{}); });
  auto source = *net::SocketAddress::Parse("127.0.0.1", MemorySctpStack::kSourcePort);
  auto discard = *net::SocketAddress::Parse("127.0.0.1", MemorySctpStack::kDiscardPort);
  net::AssocId from_source = *OnStack([&] { return stack_.Connect(endpoint, {source}, {}); });
  net::AssocId to_discard = *OnStack([&] { return stack_.Connect(endpoint, {discard}, {}); });
  recorder_.Wait(2);
  (void)*OnStack([&] { return stack_.PeelOff(endpoint, from_source); });
  auto seen = recorder_.Wait(12);
  EXPECT_GE(seen.size(), 12u);
  EXPECT_EQ(seen.back().substr(seen.back().find(':')), ": message " + std::string(40, 's'));
  ASSERT_TRUE(OnStack([&] { return stack_.Send(endpoint, Info(to_discard), Bytes("gone")); }).ok());
  EXPECT_EQ(stack_.discarded_messages(), 1u);
  EXPECT_EQ(stack_.discarded_bytes(), 4u);
}

}  // namespace
}  // namespace sctpgw::bench
