// sctpgw_native_bench: what sctpgw adds between an application and the
// kernel, measured natively (no kernel SCTP needed): the real C++ client
// library drives sctpgw's real rpc and core layers over the in-memory SCTP
// stack (sctpgw_native_server), over a real unix socket. Beside each row,
// measured in the same run: the same workload over a plain unix socket
// between two processes (the floor of any sidecar IPC) and over gRPC with
// handlers that only send the payload back (the floor of any gRPC design).
// docs/benchmarks.md explains the method and keeps the latest table.
//
// Usage: sctpgw_native_bench [--runs 5] [--duration 1] [--sizes 64,256,1024,16384]
//                            [--server PATH] [--json FILE]
// Every figure is the median of --runs runs, with their minimum and maximum.
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sctpgw/bench/v1/floor.grpc.pb.h"
#include "sctpgw/client.h"
#include "server/net/unique_fd.h"
#include "server/process/allocator_tuning.h"
#include "tests/lab/support/process.h"

namespace sctpgw::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;
using testing::Subprocess;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sctpgw_native_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Check(absl::StatusOr<T> value, const std::string& what) {
  if (!value.ok()) Die(absl::StrCat(what, ": ", value.status().ToString()));
  return std::move(*value);
}

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

// CPU seconds (user + system) of a process, from /proc/PID/stat.
double CpuSeconds(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec / 1e6;
}

// One measurement: a rate, or a round-trip distribution.
struct Sample {
  double messages_per_s = 0;
  double bytes_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  double client_cpu_us = 0;  // Per message.
  double server_cpu_us = 0;  // Per message; 0 where there is no server.
};

// Rate: `step` sends (or receives) some messages and returns how many; it
// runs for `duration`.
Sample MeasureRate(Seconds duration, size_t size, pid_t server, const std::function<size_t()>& step) {
  const double server_before = server > 0 ? CpuSeconds(server) : 0;
  const double client_before = SelfCpuSeconds();
  const auto start = Clock::now();
  size_t messages = 0;
  while (Clock::now() - start < duration) messages += step();
  const double elapsed = Seconds(Clock::now() - start).count();
  Sample sample;
  sample.messages_per_s = static_cast<double>(messages) / elapsed;
  sample.bytes_per_s = sample.messages_per_s * static_cast<double>(size);
  if (messages > 0) {
    sample.client_cpu_us = (SelfCpuSeconds() - client_before) * 1e6 / static_cast<double>(messages);
    if (server > 0) {
      sample.server_cpu_us = (CpuSeconds(server) - server_before) * 1e6 / static_cast<double>(messages);
    }
  }
  return sample;
}

// Round trips: `trip` does one and must return true.
Sample MeasureRoundTrips(Seconds duration, pid_t server, const std::function<bool()>& trip) {
  const double server_before = server > 0 ? CpuSeconds(server) : 0;
  const double client_before = SelfCpuSeconds();
  std::vector<double> times;
  const auto start = Clock::now();
  while (Clock::now() - start < duration) {
    const auto before = Clock::now();
    if (!trip()) Die("a round trip failed");
    times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - before).count());
  }
  std::sort(times.begin(), times.end());
  Sample sample;
  sample.messages_per_s = static_cast<double>(times.size()) / Seconds(Clock::now() - start).count();
  sample.p50_us = times[times.size() / 2];
  sample.p99_us = times[std::min(times.size() - 1, times.size() * 99 / 100)];
  sample.client_cpu_us = (SelfCpuSeconds() - client_before) * 1e6 / static_cast<double>(times.size());
  if (server > 0) {
    sample.server_cpu_us = (CpuSeconds(server) - server_before) * 1e6 / static_cast<double>(times.size());
  }
  return sample;
}

// A server process (sctpgw over the in-memory stack, or gRPC's floor).
class Server {
 public:
  Server(const std::string& binary, size_t source_bytes, bool floor)
      : path_(absl::StrCat("/tmp/sctpgw-native-bench-", getpid(), "-", counter_++, ".sock")) {
    std::vector<std::string> argv = {binary, "--listen", path_, "--source-bytes",
                                     std::to_string(source_bytes)};
    if (floor) argv.push_back("--floor");
    process_ = std::make_unique<Subprocess>(Check(Subprocess::Start(argv), "start " + binary));
    Check(process_->ReadStdoutUntil("ready\n", std::chrono::seconds(30)), "server ready");
  }
  ~Server() {
    process_->Signal(SIGTERM);
    (void)process_->Wait(std::chrono::seconds(30));
  }
  std::string target() const { return "unix:" + path_; }
  pid_t pid() const { return process_->pid(); }

 private:
  static inline int counter_ = 0;
  std::string path_;
  std::unique_ptr<Subprocess> process_;
};

// The workloads through sctpgw, one message size.
class SctpgwWorkloads {
 public:
  SctpgwWorkloads(const Server& server, size_t size) : server_(server), size_(size) {
    client::ClientOptions options;
    options.target = server.target();
    client_ = Check(client::Client::Connect(options), "connect");
    auto endpoint = Check(client_->OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"})),
                          "open endpoint");
    discard_ = Check(client_->Associate(endpoint.endpoint_id(), {"127.0.0.1"}, 9), "associate")
                   .association_id();
    echo_ = Check(client_->Associate(endpoint.endpoint_id(), {"127.0.0.1"}, 7), "associate")
                .association_id();
    payload_.assign(size, 'x');
  }

  Sample UnarySend(Seconds duration) {
    return MeasureRate(duration, size_, server_.pid(), [&] {
      Check(client_->Send(discard_, payload_), "Send");
      return size_t{1};
    });
  }

  Sample UnaryBatch(Seconds duration) {
    std::vector<sctpgw::v1::OutboundMessage> batch(64);
    for (auto& message : batch) message.set_payload(payload_);
    return MeasureRate(duration, size_, server_.pid(), [&] {
      return Check(client_->SendBatch(discard_, batch), "SendBatch");
    });
  }

  Sample StreamSend(Seconds duration) {
    auto stream = client_->OpenSendStream();
    std::vector<sctpgw::v1::OutboundMessage> batch(64);
    for (auto& message : batch) message.set_payload(payload_);
    Sample sample = MeasureRate(duration, size_, server_.pid(), [&] {
      if (!stream->Write(discard_, batch)) Die("SendStream ended");
      return batch.size();
    });
    Check(stream->Finish().status(), "SendStream");
    return sample;
  }

  // Messages from the source peer (port 19), which sends `size` bytes as
  // fast as they are read.
  Sample StreamReceive(Seconds duration) {
    auto endpoint = Check(client_->OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"})),
                          "open endpoint");
    auto source = Check(client_->Associate(endpoint.endpoint_id(), {"127.0.0.1"}, 19), "associate")
                      .association_id();
    auto stream = client_->OpenReceiveStream(source);
    Sample sample = MeasureRate(duration, size_, server_.pid(), [&] {
      return Check(stream->Read(), "ReceiveStream").size();
    });
    stream->Cancel();
    (void)client_->Abort(source);
    return sample;
  }

  Sample StreamRoundTrip(Seconds duration) {
    auto send = client_->OpenSendStream();
    auto receive = client_->OpenReceiveStream(echo_, 0, 1);
    std::vector<sctpgw::v1::OutboundMessage> one(1);
    one[0].set_payload(payload_);
    Sample sample = MeasureRoundTrips(duration, server_.pid(), [&] {
      if (!send->Write(echo_, one)) return false;
      auto got = receive->Read();
      return got.ok() && got->size() == 1 && (*got)[0].payload().size() == size_;
    });
    receive->Cancel();
    Check(send->Finish().status(), "SendStream");
    return sample;
  }

  Sample UnaryRoundTrip(Seconds duration) {
    return MeasureRoundTrips(duration, server_.pid(), [&] {
      if (!client_->Send(echo_, payload_).ok()) return false;
      auto got = client_->Receive(echo_, std::chrono::milliseconds(10000), 1);
      return got.ok() && got->size() == 1;
    });
  }

 private:
  const Server& server_;
  size_t size_;
  std::unique_ptr<client::Client> client_;
  uint64_t discard_ = 0;
  uint64_t echo_ = 0;
  std::string payload_;
};

// gRPC's floor: the same payloads to handlers that only send them back.
class FloorWorkloads {
 public:
  FloorWorkloads(const Server& server, size_t size, bool with_deadline)
      : server_(server),
        with_deadline_(with_deadline),
        stub_(v1::FloorService::NewStub(
            grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials()))) {
    request_.set_payload(std::string(size, 'x'));
  }

  Sample UnaryRoundTrip(Seconds duration) {
    return MeasureRoundTrips(duration, server_.pid(), [&] {
      grpc::ClientContext context;
      // A deadline, as every call of sctpgw's client library has one (it
      // costs the server a timer per call).
      if (with_deadline_) context.set_deadline(std::chrono::system_clock::now() + kDeadline);
      v1::PingResponse response;
      return stub_->Ping(&context, request_, &response).ok();
    });
  }

  Sample StreamRoundTrip(Seconds duration) {
    grpc::ClientContext context;
    if (with_deadline_) context.set_deadline(std::chrono::system_clock::now() + kDeadline);
    auto stream = stub_->PingStream(&context);
    v1::PingResponse response;
    Sample sample = MeasureRoundTrips(duration, server_.pid(), [&] {
      return stream->Write(request_) && stream->Read(&response);
    });
    stream->WritesDone();
    (void)stream->Finish();
    return sample;
  }

 private:
  static constexpr std::chrono::seconds kDeadline{30};
  const Server& server_;
  const bool with_deadline_;
  std::unique_ptr<v1::FloorService::Stub> stub_;
  v1::PingRequest request_;
};

// The floor of any sidecar IPC: a unix SOCK_SEQPACKET socket pair between
// this process and a child that echoes (round trips) or reads (rate).
class UnixFloor {
 public:
  explicit UnixFloor(size_t size) : size_(size), buffer_(size + 1) {}

  Sample Rate(Seconds duration) {
    return WithChild(/*echo=*/false, [&](int fd, pid_t child) {
      return MeasureRate(duration, size_, child, [&] {
        if (send(fd, buffer_.data(), size_, 0) != static_cast<ssize_t>(size_)) Die("send");
        return size_t{1};
      });
    });
  }

  Sample RoundTrip(Seconds duration) {
    return WithChild(/*echo=*/true, [&](int fd, pid_t child) {
      return MeasureRoundTrips(duration, child, [&] {
        return send(fd, buffer_.data(), size_, 0) == static_cast<ssize_t>(size_) &&
               recv(fd, buffer_.data(), buffer_.size(), 0) == static_cast<ssize_t>(size_);
      });
    });
  }

 private:
  Sample WithChild(bool echo, const std::function<Sample(int, pid_t)>& measure) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) Die("socketpair");
    net::UniqueFd mine(pair[0]), theirs(pair[1]);
    int buffer_bytes = 4 << 20;
    (void)setsockopt(mine.get(), SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof(buffer_bytes));
    pid_t child = fork();
    if (child < 0) Die("fork");
    if (child == 0) {
      mine.Reset();
      std::vector<char> buffer(size_ + 1);
      for (;;) {
        ssize_t n = recv(theirs.get(), buffer.data(), buffer.size(), 0);
        if (n <= 0) _exit(0);
        if (echo && send(theirs.get(), buffer.data(), static_cast<size_t>(n), 0) != n) _exit(1);
      }
    }
    theirs.Reset();
    Sample sample = measure(mine.get(), child);
    mine.Reset();
    int status = 0;
    waitpid(child, &status, 0);
    return sample;
  }

  size_t size_;
  std::vector<char> buffer_;
};

struct Row {
  std::string workload;
  std::string kind;  // "rate" or "rtt"
  size_t size = 0;
  std::vector<Sample> runs;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string Spread(const std::vector<Sample>& runs, double Sample::*field, double scale,
                   int decimals) {
  std::vector<double> values;
  for (const Sample& run : runs) values.push_back(run.*field * scale);
  auto [low, high] = std::minmax_element(values.begin(), values.end());
  return absl::StrFormat("%.*f (%.*f–%.*f)", decimals, Median(values), decimals, *low, decimals,
                         *high);
}

void Print(const std::vector<Row>& rows) {
  std::printf("%-28s %6s  %-40s %-30s %-30s\n", "workload", "bytes",
              "msg/s or p50 µs (min–max)", "p99 µs or MB/s", "CPU µs/msg client | server");
  for (const Row& row : rows) {
    const bool rate = row.kind == "rate";
    std::string first = rate ? Spread(row.runs, &Sample::messages_per_s, 1, 0)
                             : Spread(row.runs, &Sample::p50_us, 1, 1);
    std::string second = rate ? Spread(row.runs, &Sample::bytes_per_s, 1e-6, 1)
                              : Spread(row.runs, &Sample::p99_us, 1, 1);
    std::string cpu = absl::StrCat(Spread(row.runs, &Sample::client_cpu_us, 1, 2), " | ",
                                   Spread(row.runs, &Sample::server_cpu_us, 1, 2));
    std::printf("%-28s %6zu  %-40s %-30s %-30s\n", row.workload.c_str(), row.size, first.c_str(),
                second.c_str(), cpu.c_str());
  }
}

void WriteJson(const std::string& path, const std::vector<Row>& rows) {
  std::ofstream out(path);
  out << "[\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    out << "  {\"workload\": \"" << row.workload << "\", \"kind\": \"" << row.kind
        << "\", \"bytes\": " << row.size << ", \"runs\": [";
    for (size_t r = 0; r < row.runs.size(); ++r) {
      const Sample& s = row.runs[r];
      out << (r ? ", " : "")
          << absl::StrFormat(
                 "{\"messages_per_s\": %.1f, \"bytes_per_s\": %.1f, \"p50_us\": %.2f, "
                 "\"p99_us\": %.2f, \"client_cpu_us\": %.3f, \"server_cpu_us\": %.3f}",
                 s.messages_per_s, s.bytes_per_s, s.p50_us, s.p99_us, s.client_cpu_us,
                 s.server_cpu_us);
    }
    out << "]}" << (i + 1 < rows.size() ? "," : "") << "\n";
  }
  out << "]\n";
}

}  // namespace
}  // namespace sctpgw::bench

int main(int argc, char** argv) {
  using namespace sctpgw::bench;
  int runs = 5;
  double duration_s = 1.0;
  std::vector<size_t> sizes = {64, 256, 1024, 16384};
  std::string server_binary = SCTPGW_NATIVE_SERVER;
  std::string json;
  std::vector<std::string> only;
  CLI::App app{"what sctpgw adds over an in-memory SCTP stack, beside the floors of unix "
               "sockets and gRPC (docs/benchmarks.md)"};
  app.add_option("--runs", runs, "runs of each workload (median, min, max)")
      ->capture_default_str()->check(CLI::Range(1, 100));
  app.add_option("--duration", duration_s, "seconds per run")->capture_default_str();
  app.add_option("--sizes", sizes, "message sizes, bytes")->delimiter(',')->capture_default_str();
  app.add_option("--server", server_binary, "sctpgw_native_server")->capture_default_str();
  app.add_option("--json", json, "also write every run here");
  app.add_option("--only", only, "run only the workloads whose names contain one of these")
      ->delimiter(',');
  bool default_allocator = false;
  app.add_flag("--default-allocator", default_allocator,
               "leave this client's allocator at glibc's defaults (sctpgw tunes its own)");
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  // The client tunes its allocator as sctpgw does, so that what is measured
  // is sctpgw and the IPC, not page faults in the client (docs/benchmarks.md).
  if (!default_allocator) sctpgw::process::AllocatorTuning::Apply();
  const Seconds duration(duration_s);

  std::vector<Row> rows;
  auto add = [&](const std::string& workload, const std::string& kind, size_t size,
                 const std::function<Sample()>& measure) {
    if (!only.empty() && std::none_of(only.begin(), only.end(), [&](const std::string& part) {
          return workload.find(part) != std::string::npos;
        })) {
      return;
    }
    Row row{workload, kind, size, {}};
    for (int run = 0; run < runs; ++run) row.runs.push_back(measure());
    rows.push_back(std::move(row));
  };
  for (size_t size : sizes) {
    Server sctpgw(server_binary, size, /*floor=*/false);
    Server floor(server_binary, size, /*floor=*/true);
    SctpgwWorkloads through(sctpgw, size);
    FloorWorkloads grpc_floor(floor, size, /*with_deadline=*/false);
    FloorWorkloads grpc_floor_deadline(floor, size, /*with_deadline=*/true);
    UnixFloor unix_floor(size);
    add("sctpgw unary Send", "rate", size, [&] { return through.UnarySend(duration); });
    add("sctpgw unary SendBatch x64", "rate", size, [&] { return through.UnaryBatch(duration); });
    add("sctpgw SendStream x64", "rate", size, [&] { return through.StreamSend(duration); });
    add("sctpgw ReceiveStream", "rate", size, [&] { return through.StreamReceive(duration); });
    add("unix socket one way", "rate", size, [&] { return unix_floor.Rate(duration); });
    add("sctpgw rtt streams", "rtt", size, [&] { return through.StreamRoundTrip(duration); });
    add("sctpgw rtt unary", "rtt", size, [&] { return through.UnaryRoundTrip(duration); });
    add("gRPC floor rtt stream", "rtt", size, [&] { return grpc_floor.StreamRoundTrip(duration); });
    add("gRPC floor rtt unary", "rtt", size, [&] { return grpc_floor.UnaryRoundTrip(duration); });
    add("gRPC floor rtt unary+deadline", "rtt", size,
        [&] { return grpc_floor_deadline.UnaryRoundTrip(duration); });
    add("unix socket rtt", "rtt", size, [&] { return unix_floor.RoundTrip(duration); });
  }
  Print(rows);
  if (!json.empty()) WriteJson(json, rows);
  return 0;
}
