// sctpctl capture: what passes over the session's associations, as a pcap
// file (-w FILE, or standard output when it is not a terminal: `sctpctl
// capture | wireshark -k -i -`) or, on a terminal, one line per message.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "sctpctl_common.h"
#include "sctpctl_print.h"
#include "sctpgw/capture_pcap.h"
#include "sctpgw/format.h"

namespace sctpgw::client::sctpctl {
namespace {

struct CaptureArgs {
  uint64_t association_id = 0;
  uint64_t endpoint_id = 0;
  uint32_t snap_bytes = 0;
  uint32_t buffer_messages = 0;
  std::string file;  // "-" = standard output.
  uint64_t count = 0;
  int duration_ms = 0;
};

// "14:03:07.123456 in  association 3 stream 1 ssn 4 tsn 9 ppid 60 120 bytes
// 198.51.100.7:38412 > 192.0.2.1:5000".
std::string DescribeCaptured(const v1::CapturedMessage& m) {
  absl::Time time = absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(m.time()));
  bool out = m.direction() == v1::CAPTURE_DIRECTION_OUTBOUND;
  std::string line = absl::StrCat(
      absl::FormatTime("%H:%M:%E6S", time, absl::LocalTimeZone()), out ? " out" : " in ",
      " association ", m.association_id(), " stream ", m.stream());
  if (!out) absl::StrAppend(&line, " ssn ", m.ssn(), " tsn ", m.tsn());
  absl::StrAppend(&line, " ppid ", m.ppid(), m.unordered() ? " unordered" : "", " ", m.length(),
                  " bytes");
  if (m.offset() != 0 || m.more_follows()) {
    absl::StrAppend(&line, " offset ", m.offset(), m.more_follows() ? " more-follows" : " last-piece");
  }
  std::string local = DescribeAddress(m.local()), peer = DescribeAddress(m.peer());
  absl::StrAppend(&line, " ", out ? local : peer, " > ", out ? peer : local);
  return line;
}

int g_stop_pipe[2] = {-1, -1};

int RunCapture(const Globals& globals, const CaptureArgs& args) {
  auto client = Attach(globals);
  if (!client.ok()) return Fail(client.status());

  // Where it goes: pcap to a file or a pipe; lines to a terminal.
  const bool to_stdout = args.file.empty() || args.file == "-";
  const bool lines = args.file.empty() && isatty(STDOUT_FILENO) != 0;
  std::unique_ptr<PcapWriter> pcap;
  if (!lines) {
    FILE* file = to_stdout ? fdopen(dup(STDOUT_FILENO), "wb") : std::fopen(args.file.c_str(), "wb");
    if (file == nullptr) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("cannot write ", args.file)));
    }
    auto writer = PcapWriter::Open(file);
    if (!writer.ok()) return Fail(writer.status());
    pcap = std::move(*writer);
    if (absl::Status flushed = pcap->Flush(); !flushed.ok()) return Fail(flushed);  // The header.
  }

  std::optional<Milliseconds> duration;
  if (args.duration_ms > 0) duration = Milliseconds(args.duration_ms);
  auto capture = (*client)->OpenCapture(args.association_id, args.endpoint_id, args.snap_bytes,
                                        args.buffer_messages, duration);
  if (absl::Status started = capture->Started(); !started.ok()) return Fail(started);
  std::cerr << "capture: started" << std::endl;

  // SIGINT/SIGTERM end the capture cleanly (the file is complete); a thread
  // turns the signal into a Cancel() (signal handlers may not).
  if (pipe2(g_stop_pipe, O_CLOEXEC) != 0) return Fail(absl::InternalError("pipe failed"));
  std::thread stopper([&capture] {
    char byte;
    if (read(g_stop_pipe[0], &byte, 1) == 1 && byte == 's') capture->Cancel();
  });
  auto on_signal = [](int) { (void)!write(g_stop_pipe[1], "s", 1); };
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);  // A reader that goes away ends the capture below.

  uint64_t messages = 0, dropped = 0;
  absl::Status end;
  while (args.count == 0 || messages < args.count) {
    auto response = capture->Read();
    if (!response.ok()) {
      end = response.status();
      break;
    }
    dropped += response->dropped_messages();
    if (response->dropped_messages() != 0 && lines) {
      std::cout << "(" << response->dropped_messages() << " messages dropped: the capture fell behind)\n";
    }
    for (const v1::CapturedMessage& m : response->messages()) {
      if (args.count != 0 && messages == args.count) break;
      ++messages;
      if (pcap != nullptr) {
        pcap->Write(m);
      } else if (globals.json) {
        std::cout << Json(m) << "\n";
      } else {
        std::cout << DescribeCaptured(m) << "\n";
      }
    }
    std::cout.flush();
    if (pcap != nullptr) {
      if (absl::Status flushed = pcap->Flush(); !flushed.ok()) {
        end = flushed;
        break;
      }
    }
  }
  capture->Cancel();
  (void)!write(g_stop_pipe[1], "q", 1);
  stopper.join();
  pcap.reset();  // Completes the file.
  std::cerr << "capture: " << messages << " messages, " << dropped << " dropped" << std::endl;
  // Asked to stop, or its time ran out: done. The session ending is too.
  if (end.ok() || end.code() == absl::StatusCode::kCancelled ||
      end.code() == absl::StatusCode::kDeadlineExceeded) {
    return kOk;
  }
  return Fail(end);
}

}  // namespace

void AddCaptureCommand(CLI::App& app, const Globals& globals, int& result) {
  auto* capture = app.add_subcommand(
      "capture",
      "copy the messages passing over the session's associations: a pcap file that Wireshark "
      "decodes by PPID (-w FILE, or standard output when not a terminal), or one line each");
  auto args = std::make_shared<CaptureArgs>();
  auto* association = capture->add_option("--association", args->association_id, "one association");
  auto* endpoint =
      capture->add_option("--endpoint", args->endpoint_id, "the associations of one endpoint");
  association->excludes(endpoint);
  capture->add_option("-w,--write", args->file, "write pcap to FILE (\"-\": standard output)");
  capture->add_option("--snap-bytes", args->snap_bytes, "payload bytes kept of each message (0 = all)")
      ->capture_default_str();
  capture->add_option("--buffer-messages", args->buffer_messages,
                      "messages sctpgw holds for this capture before it drops (0 = 4096)")
      ->capture_default_str();
  capture->add_option("-c,--count", args->count, "stop after this many messages");
  capture->add_option("--duration-ms", args->duration_ms, "stop after this long, ms")
      ->check(CLI::Range(1, 24 * 3600 * 1000));
  capture->footer(
      "Prints \"capture: started\" on standard error once in force, and at the end \"capture: N "
      "messages, D dropped\". Outbound TSNs and SSNs in the pcap file are numbered by sctpctl "
      "(the kernel does not report them). Examples:\n"
      "  sctpctl capture --association 3 -w s1ap.pcap\n"
      "  sctpctl capture | wireshark -k -i -");
  capture->callback([&globals, &result, args] { result = RunCapture(globals, *args); });
}

}  // namespace sctpgw::client::sctpctl
