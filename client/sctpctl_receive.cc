// sctpctl receive --follow: messages printed as they arrive on a
// ReceiveStream (no long-polling), until interrupted, the association ends,
// or --count messages came.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "sctpctl_common.h"
#include "sctpctl_print.h"

namespace sctpgw::client::sctpctl {
namespace {

int g_follow_stop[2] = {-1, -1};

}  // namespace

int FollowMessages(Client& client, uint64_t association_id, uint64_t endpoint_id, uint32_t count,
                   bool json, bool with_source) {
  auto stream = client.OpenReceiveStream(association_id, endpoint_id);
  // SIGINT/SIGTERM end it cleanly; a thread turns the signal into a
  // Cancel() (signal handlers may not).
  if (pipe2(g_follow_stop, O_CLOEXEC) != 0) return Fail(absl::InternalError("pipe failed"));
  std::thread stopper([&stream] {
    char byte;
    if (read(g_follow_stop[0], &byte, 1) == 1 && byte == 's') stream->Cancel();
  });
  auto on_signal = [](int) { (void)!write(g_follow_stop[1], "s", 1); };
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  uint32_t got = 0;
  absl::Status end;
  while (count == 0 || got < count) {
    auto messages = stream->Read();
    if (!messages.ok()) {
      end = messages.status();
      break;
    }
    for (const v1::InboundMessage& m : *messages) {
      PrintMessage(json, m, with_source);
      if (!m.more_follows()) ++got;  // A message in pieces counts once.
    }
    std::cout.flush();
  }
  stream->Cancel();
  (void)!write(g_follow_stop[1], "q", 1);
  stopper.join();
  // Interrupted, or the association ended after its last message: done.
  if (end.ok() || end.code() == absl::StatusCode::kCancelled) return kOk;
  if (end.code() == absl::StatusCode::kOutOfRange) {
    std::cerr << "sctpctl: the association has ended\n";
    return kOk;
  }
  return Fail(end);
}

}  // namespace sctpgw::client::sctpctl
