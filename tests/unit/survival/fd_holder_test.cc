// sctpgw-fd-holder's store over its real unix socket, driven by the FdStore
// sctpgw uses: descriptors kept by name, handed back as copies of the same
// open files, removed, refused when invalid, duplicate or over the limit,
// and kept across clients that come and go (a restarted sctpgw).
#include "server/survival/fd_holder.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "server/net/fd_passing.h"
#include "server/survival/fd_store.h"

namespace sctpgw::survival {
namespace {

using std::chrono::milliseconds;

// The inode of an open file: two descriptors of the same open pipe share it.
ino_t Inode(int fd) {
  struct stat file{};
  EXPECT_EQ(fstat(fd, &file), 0);
  return file.st_ino;
}

class FdHolderTest : public ::testing::Test {
 protected:
  void StartHolder(size_t max_fds = 64) {
    char dir[] = "/tmp/sctpgw-fd-holder-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/holder.sock";
    FdHolder::Options options;
    options.socket_path = path_;
    options.max_fds = max_fds;
    auto holder = FdHolder::Listen(options);
    ASSERT_TRUE(holder.ok()) << holder.status();
    holder_ = std::move(*holder);
    stop_ = net::UniqueFd(eventfd(0, EFD_CLOEXEC));
    serving_ = std::thread([this] { served_ = holder_->Serve(stop_.get()); });
  }

  void TearDown() override {
    if (serving_.joinable()) {
      uint64_t one = 1;
      ASSERT_EQ(write(stop_.get(), &one, sizeof(one)), 8);
      serving_.join();
      EXPECT_TRUE(served_.ok()) << served_;
    }
    holder_.reset();
    if (!dir_.empty()) rmdir(dir_.c_str());
  }

  std::unique_ptr<FdStore> Connect() {
    auto store = FdStore::ConnectHolder(path_, milliseconds(2000));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // What the holder hands back, as {name, inode}.
  std::vector<std::pair<std::string, ino_t>> Listed() {
    auto store = Connect();
    if (store == nullptr) return {};
    auto fds = store->TakeHandedBack();
    EXPECT_TRUE(fds.ok()) << fds.status();
    std::vector<std::pair<std::string, ino_t>> listed;
    if (fds.ok()) {
      for (const StoredFd& fd : *fds) listed.emplace_back(fd.name, Inode(fd.fd.get()));
    }
    return listed;
  }

  std::string dir_, path_;
  std::unique_ptr<FdHolder> holder_;
  net::UniqueFd stop_;
  std::thread serving_;
  absl::Status served_;
};

TEST_F(FdHolderTest, KeepsDescriptorsByNameAcrossClients) {
  StartHolder();
  int pipe_a[2], pipe_b[2];
  ASSERT_EQ(pipe(pipe_a), 0);
  ASSERT_EQ(pipe(pipe_b), 0);
  net::UniqueFd a0(pipe_a[0]), a1(pipe_a[1]), b0(pipe_b[0]), b1(pipe_b[1]);
  {
    auto store = Connect();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->capacity(), 64u);
    ASSERT_TRUE(store->Store("sctp-1x2-1", a1.get()).ok());
    ASSERT_TRUE(store->Store("state-1", b1.get()).ok());
    ASSERT_TRUE(store->Notify("READY=1").ok());  // Ignored.
  }  // The first sctpgw goes away (a crash): the holder keeps its copies.
  a1.Reset();
  auto listed = Listed();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0], std::make_pair(std::string("sctp-1x2-1"), Inode(a0.get())));
  EXPECT_EQ(listed[1], std::make_pair(std::string("state-1"), Inode(b0.get())));

  // The copy handed back is the same pipe: what is written to it arrives.
  auto store = Connect();
  ASSERT_NE(store, nullptr);
  auto fds = store->TakeHandedBack();
  ASSERT_TRUE(fds.ok()) << fds.status();
  ASSERT_EQ(fds->size(), 2u);
  ASSERT_EQ(write((*fds)[0].fd.get(), "x", 1), 1);
  char byte = 0;
  ASSERT_EQ(read(a0.get(), &byte, 1), 1);
  EXPECT_EQ(byte, 'x');

  ASSERT_TRUE(store->Remove("sctp-1x2-1").ok());
  listed = Listed();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].first, "state-1");
}

TEST_F(FdHolderTest, RefusesBadNamesDuplicatesAndMoreThanItsLimit) {
  StartHolder(/*max_fds=*/3);
  auto store = Connect();
  ASSERT_NE(store, nullptr);
  std::vector<net::UniqueFd> ends;
  for (int i = 0; i < 5; ++i) {
    int ends_of_pipe[2];
    ASSERT_EQ(pipe(ends_of_pipe), 0);
    ends.emplace_back(ends_of_pipe[0]);
    ends.emplace_back(ends_of_pipe[1]);
  }
  // Refused, each for its reason; the holder goes on serving.
  ASSERT_TRUE(store->Store("has:colon", ends[0].get()).ok());
  ASSERT_TRUE(store->Store("", ends[0].get()).ok());
  ASSERT_TRUE(store->Store(std::string(256, 'n'), ends[0].get()).ok());
  ASSERT_TRUE(store->Store("first", ends[1].get()).ok());
  ASSERT_TRUE(store->Store("first", ends[1].get()).ok());  // The same open file again.
  ASSERT_TRUE(store->Store("second", ends[3].get()).ok());
  ASSERT_TRUE(store->Store("third", ends[5].get()).ok());
  ASSERT_TRUE(store->Store("fourth", ends[7].get()).ok());  // Over the limit of 3.
  auto listed = Listed();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].first, "first");
  EXPECT_EQ(listed[1].first, "second");
  EXPECT_EQ(listed[2].first, "third");
}

TEST_F(FdHolderTest, SurvivesHostileClients) {
  StartHolder();
  // Raw packets a broken client might send: descriptors without FDSTORE,
  // FDSTORE with two descriptors, garbage, an oversized packet.
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path_.data(), path_.size());
  net::UniqueFd raw(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  ASSERT_EQ(connect(raw.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  auto hello = net::ReceiveWithFds(raw.get(), kHolderMaxPacketBytes, 0);
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello->bytes, "FDSTOREMAX=64\nFDSTORED=0");
  int ends_of_pipe[2];
  ASSERT_EQ(pipe(ends_of_pipe), 0);
  net::UniqueFd r(ends_of_pipe[0]), w(ends_of_pipe[1]);
  ASSERT_TRUE(net::SendWithFds(raw.get(), "FDNAME=x", {r.get()}).ok());
  ASSERT_TRUE(net::SendWithFds(raw.get(), "FDSTORE=1\nFDNAME=x", {r.get(), w.get()}).ok());
  ASSERT_TRUE(net::SendWithFds(raw.get(), std::string("\0\1\2garbage", 10), {}).ok());
  ASSERT_TRUE(net::SendWithFds(raw.get(), std::string(kHolderMaxPacketBytes + 10, 'a'), {}).ok());
  raw.Reset();
  // A well-behaved client still gets served, and nothing was kept.
  EXPECT_TRUE(Listed().empty());
  // A store that is not a holder at all is named as such.
  auto not_there = FdStore::ConnectHolder(dir_ + "/nothing.sock", milliseconds(50));
  ASSERT_FALSE(not_there.ok());
  EXPECT_EQ(not_there.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(not_there.status().message().find("no fd holder at"), std::string::npos)
      << not_there.status();
}

TEST_F(FdHolderTest, ListsMoreThanOnePacketOfDescriptors) {
  StartHolder(/*max_fds=*/600);
  auto store = Connect();
  ASSERT_NE(store, nullptr);
  std::vector<net::UniqueFd> kept;
  for (int i = 0; i < 450; ++i) {
    kept.emplace_back(eventfd(0, EFD_CLOEXEC));
    ASSERT_TRUE(store->Store("fd-" + std::to_string(i), kept.back().get()).ok());
  }
  auto listed = Listed();
  ASSERT_EQ(listed.size(), 450u);
  for (int i = 0; i < 450; ++i) {
    EXPECT_EQ(listed[i].first, "fd-" + std::to_string(i));
    EXPECT_EQ(listed[i].second, Inode(kept[i].get()));
  }
}

}  // namespace
}  // namespace sctpgw::survival
