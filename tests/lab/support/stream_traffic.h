// Traffic for lab tests of an application riding through changes of the
// sctpgw process (a handover, a crash): the Python peer sending numbered
// messages on three streams (tests/lab/tools/sctp_stream_peer.py), and the
// application's handler on the C++ client library recording what arrives.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sctpgw/client.h"
#include "tests/lab/support/gateway_app.h"
#include "tests/lab/support/process.h"

namespace sctpgw::testing {

inline std::string StreamPeerScript() {
  return std::string(SCTPGW_SOURCE_DIR) + "/tests/lab/tools/sctp_stream_peer.py";
}

// The application's side: what the client library hands its handler.
class Recorder final : public client::EventHandler {
 public:
  struct Received {
    uint64_t association_id;
    uint32_t stream;
    uint32_t ppid;
    std::string text;
    std::chrono::steady_clock::time_point at;
  };

  void OnMessage(const v1::InboundMessage& message) override {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [this] { return !held_; });
    messages_.push_back({message.association_id(), message.stream(), message.ppid(),
                         message.payload(), std::chrono::steady_clock::now()});
    changed_.notify_all();
  }
  void OnAssociationChange(const v1::Event& event, const v1::AssociationChange&) override {
    Record(event);
  }
  void OnShutdown(const v1::Event& event, const v1::ShutdownEvent&) override { Record(event); }
  void OnPeerAddressChange(const v1::Event& event, const v1::PeerAddressChange&) override {
    Record(event);
  }
  void OnSendFailed(const v1::Event& event, const v1::SendFailed&) override { Record(event); }
  void OnRemoteError(const v1::Event& event, const v1::RemoteError&) override { Record(event); }
  void OnOtherEvent(const v1::Event& event) override { Record(event); }
  void OnMessagesLost(const v1::Event& event, const v1::MessagesLost&) override { Record(event); }
  void OnStreamStatus(const absl::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    stream_statuses_.push_back(status);
    changed_.notify_all();
  }
  void OnReceivingStopped(const absl::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    receiving_stopped_ = status.ToString();
    changed_.notify_all();
  }

  // While held, OnMessage() waits: an application that stops reading, as
  // the client library sees it (it stops reading its stream in turn).
  void Hold(bool held) {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = held;
    changed_.notify_all();
  }
  // Waits until at least `count` messages have arrived.
  bool WaitForMessages(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  }
  // Waits for an event of `association_id` matching `type`.
  bool WaitForChange(uint64_t association_id, v1::AssociationChangeType type,
                     std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] {
      return std::any_of(events_.begin(), events_.end(), [&](const v1::Event& event) {
        return event.association_id() == association_id && event.has_association_change() &&
               event.association_change().type() == type;
      });
    });
  }
  // Waits until the messages of `association_id`, joined, are `bytes` long.
  std::string WaitForBytes(uint64_t association_id, size_t bytes,
                           std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    std::string joined;
    changed_.wait_for(lock, timeout, [&] {
      joined.clear();
      for (const Received& message : messages_) {
        if (message.association_id == association_id) joined += message.text;
      }
      return joined.size() >= bytes;
    });
    return joined;
  }
  size_t message_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_.size();
  }
  std::vector<Received> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  std::vector<v1::Event> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // Waits for an event matching `match`.
  template <typename Match>
  std::optional<v1::Event> WaitForEvent(Match match, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<v1::Event> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const v1::Event& event : events_) {
        if (match(event)) found = event;
      }
      return found.has_value();
    });
    return found;
  }
  // The event stream's states, as OnStreamStatus was told them.
  std::vector<absl::Status> stream_statuses() {
    std::lock_guard<std::mutex> lock(mu_);
    return stream_statuses_;
  }
  std::string receiving_stopped() {
    std::lock_guard<std::mutex> lock(mu_);
    return receiving_stopped_;
  }

 private:
  void Record(const v1::Event& event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(event);
    changed_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Received> messages_;
  std::vector<v1::Event> events_;
  std::string receiving_stopped_;
  std::vector<absl::Status> stream_statuses_;
  bool held_ = false;
};

// The Python peer listening on 127.0.0.1, sending a message every
// `interval_ms` on streams 0, 1 and 2 in turn once told to start.
struct StreamPeer {
  explicit StreamPeer(int interval_ms, int pad = 0) {
    std::vector<std::string> argv = {"/usr/bin/python3", StreamPeerScript(), "listen",
                                      "127.0.0.1", std::to_string(interval_ms)};
    if (pad > 0) argv.push_back(std::to_string(pad));
    auto started = Subprocess::Start(argv, /*keep_stdin=*/true);
    EXPECT_TRUE(started.ok()) << started.status();
    process.emplace(std::move(*started));
    auto banner = process->ReadStdoutUntil("\n", kCallTimeout);
    EXPECT_TRUE(banner.ok()) << banner.status();
    port = static_cast<uint16_t>(std::stoul(banner->substr(5)));
  }
  // "stop": the messages it sent on each stream.
  std::vector<uint64_t> Stop() {
    EXPECT_TRUE(process->WriteStdin("stop\n").ok());
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    std::string all;
    size_t at = std::string::npos, end = std::string::npos;
    while (at == std::string::npos || end == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the peer did not say what it sent: " << all;
        return {0, 0, 0};
      }
      all = process->ReadStdout(std::chrono::milliseconds(200));  // What comes within 200 ms.
      at = all.find("\nsent ");
      if (at != std::string::npos) end = all.find('\n', at + 1);
    }
    std::string line = all.substr(at + 6, end - at - 6);
    std::vector<uint64_t> counts;
    for (absl::string_view word : absl::StrSplit(line, ' ')) {
      uint64_t count = 0;
      EXPECT_TRUE(absl::SimpleAtoi(word, &count)) << line;
      counts.push_back(count);
    }
    if (counts.size() != 3) {
      ADD_FAILURE() << "not three counts: " << line;
      return {0, 0, 0};
    }
    return counts;
  }
  // The association notifications the peer was given, in order.
  std::vector<std::string> Notes() {
    std::vector<std::string> notes;
    for (absl::string_view line : absl::StrSplit(process->ReadStdout(std::chrono::milliseconds(0)), '\n')) {
      if (absl::StartsWith(line, "note ") || line == "eof" || line == "reset") {
        notes.emplace_back(line);
      }
    }
    return notes;
  }
  std::optional<Subprocess> process;
  uint16_t port = 0;
};

}  // namespace sctpgw::testing
