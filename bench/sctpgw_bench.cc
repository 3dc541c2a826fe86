// sctpgw_bench: measures each workload twice in one run — directly on this
// program's own kernel SCTP sockets, and through sctpgw (a gRPC client of
// the C++ client library -> sctpgw -> kernel SCTP) — against the same
// receiver, and prints the ratio. Needs kernel SCTP: run it in the lab
// (scripts/bench.sh). Results and method: docs/benchmarks.md.
//
// Workloads:
//   rate     one association, messages of each --sizes, for --duration s;
//            messages/s and MB/s counted at the receiver
//   multi    the same over --associations associations at once
//   rtt      one 64-byte message in flight: p50 and p99 round trip
//   scale    --scale idle associations established at once into one
//            listening endpoint; time to establish, sctpgw's VmRSS per
//            association
//
// A benchmark cannot go on after a failed setup step, so errors end the
// program with a message (Die) rather than being passed up.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sctpgw/client.h"
#include "server/net/unique_fd.h"
#include "tests/lab/support/process.h"

namespace sctpgw::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;
using client::Milliseconds;
using namespace std::chrono_literals;

struct Settings {
  std::string sctpgw_binary = SCTPGW_DEFAULT_BINARY;
  std::vector<std::string> workloads = {"rate", "multi", "rtt", "scale"};
  std::vector<size_t> sizes = {64, 256, 1024, 16384};
  double duration_s = 2.5;
  int repeat = 3;
  double warmup_s = 0.3;
  int associations = 16;
  int batch = 64;
  double rtt_duration_s = 3.0;
  int scale = 1000;
  int connect_parallel = 256;
  int socket_buffer_bytes = 4 << 20;
  std::string json_file;
  std::vector<std::string> sctpgw_args;
  bool quick = false;
};

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "sctpgw_bench: " << what << "\n";
  std::exit(1);
}
[[noreturn]] void DieErrno(const std::string& what) { Die(what + ": " + std::strerror(errno)); }
template <typename T>
T Require(absl::StatusOr<T> value, const std::string& what) {
  if (!value.ok()) Die(what + ": " + value.status().ToString());
  return *std::move(value);
}
void Require(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(what + ": " + status.ToString());
}

using net::UniqueFd;

// ---------------------------------------------------------------------------
// Kernel SCTP sockets, set up as sctpgw sets up its own: SCTP_NODELAY and
// the same SO_SNDBUF/SO_RCVBUF.

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

UniqueFd SctpSocket(int type, int buffer_bytes, bool nonblocking = false) {
  UniqueFd fd(
      socket(AF_INET, type | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), IPPROTO_SCTP));
  if (!fd.valid()) DieErrno("socket(IPPROTO_SCTP) (does this kernel have SCTP? use the lab)");
  int one = 1;
  if (setsockopt(fd.get(), IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one) != 0) {
    DieErrno("SCTP_NODELAY");
  }
  // As sctpgw does: past net.core.[rw]mem_max when privileged, else capped.
  auto set_buffer = [&](int forced, int capped) {
    if (setsockopt(fd.get(), SOL_SOCKET, forced, &buffer_bytes, sizeof buffer_bytes) != 0 &&
        setsockopt(fd.get(), SOL_SOCKET, capped, &buffer_bytes, sizeof buffer_bytes) != 0) {
      DieErrno("SO_SNDBUF/SO_RCVBUF");
    }
  };
  set_buffer(SO_SNDBUFFORCE, SO_SNDBUF);
  set_buffer(SO_RCVBUFFORCE, SO_RCVBUF);
  return fd;
}

// A one-to-many socket listening on 127.0.0.1, any port; with
// `data_io_events` each message's sctp_sndrcvinfo (association id) is given.
UniqueFd ListeningSocket(int buffer_bytes, bool data_io_events) {
  UniqueFd fd = SctpSocket(SOCK_SEQPACKET, buffer_bytes, /*nonblocking=*/true);
  sockaddr_in address = Loopback(0);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) DieErrno("bind");
  if (data_io_events) {
    sctp_event_subscribe events{};
    events.sctp_data_io_event = 1;
    if (setsockopt(fd.get(), IPPROTO_SCTP, SCTP_EVENTS, &events, sizeof events) != 0) {
      DieErrno("SCTP_EVENTS");
    }
  }
  if (listen(fd.get(), 4096) != 0) DieErrno("listen");
  return fd;
}

uint16_t LocalPort(const UniqueFd& fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    DieErrno("getsockname");
  }
  return ntohs(address.sin_port);
}

// A one-to-one socket connected (blocking) to 127.0.0.1:port.
UniqueFd ConnectedSocket(uint16_t port, int buffer_bytes) {
  UniqueFd fd = SctpSocket(SOCK_STREAM, buffer_bytes);
  sockaddr_in address = Loopback(port);
  if (sctp_connectx(fd.get(), reinterpret_cast<sockaddr*>(&address), 1, nullptr) != 0) {
    DieErrno("sctp_connectx");
  }
  return fd;
}

UniqueFd EventFd() {
  UniqueFd fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd.valid()) DieErrno("eventfd");
  return fd;
}
void Signal(const UniqueFd& event) {
  uint64_t one = 1;
  (void)!write(event.get(), &one, sizeof one);
}

// ---------------------------------------------------------------------------
// The receiver, the same for the direct and the sctpgw senders: a one-to-one
// listening socket and one thread per association, each accepting one
// association and reading it, so that no association waits for another's
// reader. (One thread reading all of them on a one-to-many socket is
// overrun by the senders on the lab's 2 emulated CPUs: its window closes
// and the senders stall on SCTP's 1 s minimum RTO.) One window is counted
// for all: from the first message on any association plus --warmup, for
// --duration; each thread counts whole messages (MSG_EOR) received within
// it, and the sums are the result. Afterwards the threads keep draining (so
// blocked senders can finish) until the receiver is destroyed.

struct RateResult {
  uint64_t messages = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  double messages_per_s() const { return seconds > 0 ? messages / seconds : 0; }
  double mb_per_s() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
};

class Receiver {
 public:
  // Each accepted socket has a receive buffer of its own (the listening
  // socket's), as each sending socket has.
  Receiver(const Settings& settings, int associations)
      : warmup_(settings.warmup_s),
        window_(settings.duration_s),
        associations_(associations),
        socket_(OneToOneListeningSocket(settings.socket_buffer_bytes)),
        stop_(EventFd()),
        window_end_(WindowTimer()) {
    for (int i = 0; i < associations; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~Receiver() {
    Signal(stop_);
    for (std::thread& thread : threads_) thread.join();
  }
  uint16_t port() const { return LocalPort(socket_); }
  // True once every thread has closed its count: the senders may stop.
  bool done() const { return done_.load(std::memory_order_relaxed); }
  // The counted window, once it has closed (or nothing when `timeout`
  // passed: a stalled sender shows as a zero rate). Done either way, so
  // that the senders end.
  RateResult Wait(Seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!changed_.wait_for(lock, timeout, [this] { return done_.load(); })) {
      std::cerr << "sctpgw_bench: the receiver's window did not close in time\n";
      done_ = true;
      return {};
    }
    return result_;
  }

 private:
  static UniqueFd OneToOneListeningSocket(int buffer_bytes) {
    UniqueFd fd = SctpSocket(SOCK_STREAM, buffer_bytes, /*nonblocking=*/true);
    sockaddr_in address = Loopback(0);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      DieErrno("bind");
    }
    if (listen(fd.get(), 64) != 0) DieErrno("listen");
    return fd;
  }
  // Readable from the end of the window on, for every thread at once (no
  // one reads it): a thread whose association has gone quiet still closes
  // its count in time.
  static UniqueFd WindowTimer() {
    UniqueFd fd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!fd.valid()) DieErrno("timerfd_create");
    return fd;
  }

  // The start of the counted window; the first message on any association
  // sets it, and arms the timer for its end.
  Clock::time_point WindowStart(Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!start_) {
      start_ = now + std::chrono::duration_cast<Clock::duration>(warmup_);
      auto end = std::chrono::duration_cast<std::chrono::nanoseconds>(
          (*start_ + std::chrono::duration_cast<Clock::duration>(window_)).time_since_epoch());
      // steady_clock is CLOCK_MONOTONIC, the timer's clock.
      itimerspec at{};
      at.it_value.tv_sec = end.count() / 1000000000;
      at.it_value.tv_nsec = end.count() % 1000000000;
      if (timerfd_settime(window_end_.get(), TFD_TIMER_ABSTIME, &at, nullptr) != 0) {
        DieErrno("timerfd_settime");
      }
    }
    return *start_;
  }

  // Adds one thread's count; the last one closes the window.
  void Close(uint64_t messages, uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    result_.messages += messages;
    result_.bytes += bytes;
    if (++closed_ == associations_) {
      result_.seconds = window_.count();
      done_ = true;
      changed_.notify_all();
    }
  }

  // One association: accepted here, then read until the receiver is
  // destroyed.
  void Loop() {
    std::vector<char> buffer(1 << 18);
    // The listening socket until this thread has taken an association
    // (threads race for each one: a loser gets EAGAIN and waits again),
    // then that association's socket; -1 (ignored by poll) once it ended.
    UniqueFd association;
    pollfd fds[3] = {{socket_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0},
                     {window_end_.get(), POLLIN, 0}};
    std::optional<Clock::time_point> start, end;
    uint64_t messages = 0, bytes = 0;
    bool closed = false;
    auto close_count = [&] {
      Close(messages, bytes);
      closed = true;
      fds[2].fd = -1;  // Readable from now on.
    };
    for (;;) {
      if (poll(fds, 3, -1) < 0 && errno != EINTR) DieErrno("poll");
      if (fds[1].revents & POLLIN) return;
      if (fds[2].revents & POLLIN) close_count();
      if (!(fds[0].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      if (!association.valid()) {
        association = UniqueFd(accept4(socket_.get(), nullptr, nullptr,
                                       SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!association.valid()) {
          if (errno == EAGAIN || errno == EINTR) continue;
          DieErrno("receiver: accept");
        }
        fds[0].fd = association.get();
      }
      for (;;) {
        int flags = 0;
        ssize_t n = sctp_recvmsg(association.get(), buffer.data(), buffer.size(), nullptr,
                                 nullptr, nullptr, &flags);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        // Ended by the sender: closed, or aborted by sctpgw's CloseEndpoint.
        if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == ENOTCONN))) {
          fds[0].fd = -1;
          break;
        }
        if (n < 0) DieErrno("receiver: recvmsg");
        if ((flags & MSG_NOTIFICATION) || closed) continue;
        Clock::time_point now = Clock::now();
        if (!start) {
          start = WindowStart(now);
          end = *start + std::chrono::duration_cast<Clock::duration>(window_);
        }
        if (now < *start) continue;
        // A reader that never runs out of data does not get back to poll.
        if (now >= *end) {
          close_count();
          continue;
        }
        bytes += n;
        if (flags & MSG_EOR) ++messages;
      }
    }
  }

  const Seconds warmup_;
  const Seconds window_;
  const int associations_;
  UniqueFd socket_;
  UniqueFd stop_;
  UniqueFd window_end_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::optional<Clock::time_point> start_ ABSL_GUARDED_BY(mu_);
  int closed_ ABSL_GUARDED_BY(mu_) = 0;
  RateResult result_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> done_{false};
  std::vector<std::thread> threads_;
};

// Echoes every message back on its association: the peer of the round-trip
// workload, for the direct and the sctpgw client alike.
class EchoPeer {
 public:
  explicit EchoPeer(const Settings& settings)
      : socket_(ListeningSocket(settings.socket_buffer_bytes, true)),
        stop_(EventFd()),
        thread_([this] { Loop(); }) {}
  ~EchoPeer() {
    Signal(stop_);
    thread_.join();
  }
  uint16_t port() const { return LocalPort(socket_); }

 private:
  void Loop() {
    std::vector<char> buffer(1 << 16);
    pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, -1) < 0 && errno != EINTR) DieErrno("poll");
      if (fds[1].revents & POLLIN) return;
      for (;;) {
        sctp_sndrcvinfo info{};
        int flags = 0;
        ssize_t n = sctp_recvmsg(socket_.get(), buffer.data(), buffer.size(), nullptr, nullptr,
                                 &info, &flags);
        if (n < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          DieErrno("echo: recvmsg");
        }
        if (flags & MSG_NOTIFICATION) continue;
        sctp_sndrcvinfo reply{};
        reply.sinfo_stream = info.sinfo_stream;
        reply.sinfo_ppid = info.sinfo_ppid;
        reply.sinfo_assoc_id = info.sinfo_assoc_id;
        // A closed association (end of a case) is not an error here.
        (void)sctp_send(socket_.get(), buffer.data(), n, &reply, 0);
      }
    }
  }

  UniqueFd socket_;
  UniqueFd stop_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// sctpgw as a child process.

class Service {
 public:
  Service(const Settings& settings, int max_associations) {
    socket_path_ = absl::StrCat("/tmp/sctpgw-bench-", getpid(), ".sock");
    unlink(socket_path_.c_str());
    target_ = "unix:" + socket_path_;
    std::vector<std::string> args = {
        settings.sctpgw_binary,
        "--listen", target_,
        "--log-level", "warn",
        "--socket-buffer-bytes", std::to_string(settings.socket_buffer_bytes),
        "--max-associations", std::to_string(max_associations),
        "--max-associations-per-session", std::to_string(max_associations),
        "--event-history", std::to_string(std::max(16384, 4 * max_associations)),
    };
    args.insert(args.end(), settings.sctpgw_args.begin(), settings.sctpgw_args.end());
    // sctpgw writes to this program's stdout and stderr.
    testing::Subprocess::Streams streams;
    streams.capture_stdout = false;
    auto process = testing::Subprocess::Start(args, streams);
    if (!process.ok()) Die(std::string(process.status().message()));
    process_.emplace(*std::move(process));
    // The lab emulates its CPU: a start takes seconds. Health is retried
    // until a deadline, each try bounded; an exited child ends the wait.
    auto deadline = Clock::now() + 60s;
    for (;;) {
      absl::Status health = client::CheckHealth(target_, 1000ms, /*wait=*/true);
      if (health.ok()) break;
      if (Exited(0ms)) Die("sctpgw exited at start");
      if (Clock::now() > deadline) Die("sctpgw did not answer in time: " + health.ToString());
    }
  }
  ~Service() { Stop(); }

  const std::string& target() const { return target_; }
  pid_t pid() const { return process_->pid(); }

  // SIGTERM, then SIGKILL if it has not ended within 30 s.
  void Stop() {
    process_->Signal(SIGTERM);  // Nothing once it has been reaped.
    if (!Exited(30000ms)) {
      std::cerr << "sctpgw_bench: sctpgw did not stop on SIGTERM; killing it\n";
      process_->Signal(SIGKILL);
      Exited(10000ms);
    }
  }

  // VmRSS of sctpgw, bytes.
  size_t ResidentBytes() const {
    absl::StatusOr<size_t> bytes = testing::ResidentBytes(process_->pid());
    if (!bytes.ok()) Die("no VmRSS for sctpgw");
    return *bytes;
  }

 private:
  // True once sctpgw has exited (and been reaped).
  bool Exited(std::chrono::milliseconds timeout) { return process_->Wait(timeout).ok(); }

  std::string socket_path_;
  std::string target_;
  std::optional<testing::Subprocess> process_;  // Set once started.
};

// Counts COMM_UP events per endpoint, for associations sctpgw accepts.
class CommUpCounter : public client::EventHandler {
 public:
  void OnAssociationChange(const v1::Event& event, const v1::AssociationChange& change) override {
    if (change.type() != v1::ASSOCIATION_CHANGE_TYPE_COMM_UP) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (event.endpoint_id() == endpoint_id_) ++count_;
    changed_.notify_all();
  }
  void Watch(uint64_t endpoint_id) {
    std::lock_guard<std::mutex> lock(mu_);
    endpoint_id_ = endpoint_id;
    count_ = 0;
  }
  // True once `count` have come up, false at `deadline`.
  bool WaitFor(int count, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_until(lock, deadline, [&] { return count_ >= count; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  uint64_t endpoint_id_ ABSL_GUARDED_BY(mu_) = 0;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

// ---------------------------------------------------------------------------
// Workloads.

RateResult DirectRate(const Settings& settings, size_t size, int associations) {
  Receiver receiver(settings, associations);
  std::vector<UniqueFd> senders;
  for (int i = 0; i < associations; ++i) {
    senders.push_back(ConnectedSocket(receiver.port(), settings.socket_buffer_bytes));
  }
  std::vector<std::thread> threads;
  for (UniqueFd& sender : senders) {
    threads.emplace_back([&receiver, &sender, size] {
      std::string payload(size, 'd');
      while (!receiver.done()) {
        if (send(sender.get(), payload.data(), payload.size(), MSG_NOSIGNAL) < 0 &&
            errno != EINTR) {
          DieErrno("direct send");
        }
      }
    });
  }
  RateResult result = receiver.Wait(Seconds(settings.duration_s * 4 + 30));
  for (std::thread& thread : threads) thread.join();
  return result;
}

// How the benchmark's client hands messages to sctpgw.
enum class Api {
  kUnary,   // A Send call per batch.
  kStream,  // One SendStream call; a request per batch.
};

RateResult GatewayRate(const Settings& settings, client::Client& client, size_t size,
                       int associations, int batch, Api api) {
  Receiver receiver(settings, associations);
  std::vector<uint64_t> endpoints, ids;
  for (int i = 0; i < associations; ++i) {
    auto endpoint = Require(client.OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"})),
                            "OpenEndpoint");
    endpoints.push_back(endpoint.endpoint_id());
    auto association = Require(
        client.Associate(endpoint.endpoint_id(), {"127.0.0.1"}, receiver.port()), "Associate");
    ids.push_back(association.association_id());
  }
  std::vector<v1::OutboundMessage> messages(batch);
  for (v1::OutboundMessage& message : messages) message.set_payload(std::string(size, 'g'));
  std::vector<std::thread> threads;
  for (uint64_t id : ids) {
    threads.emplace_back([&, id] {
      if (api == Api::kUnary) {
        while (!receiver.done()) {
          auto sent = client.SendBatch(id, messages, Milliseconds(30000));
          if (!sent.ok()) Die("SendBatch: " + sent.status().ToString());
        }
        return;
      }
      std::unique_ptr<client::SendStream> stream = client.OpenSendStream();
      while (!receiver.done()) {
        if (!stream->Write(id, messages)) Die("SendStream: " + stream->Finish().status().ToString());
      }
      // What gRPC and sctpgw still hold would take seconds to drain into a
      // receiver that no longer counts: drop it.
      stream->Cancel();
    });
  }
  RateResult result = receiver.Wait(Seconds(settings.duration_s * 4 + 30));
  for (std::thread& thread : threads) thread.join();
  for (uint64_t endpoint : endpoints) {
    Require(client.CloseEndpoint(endpoint, /*abort=*/true), "CloseEndpoint");
  }
  return result;
}

RateResult Median(std::vector<RateResult> runs) {
  std::sort(runs.begin(), runs.end(), [](const RateResult& a, const RateResult& b) {
    return a.messages_per_s() < b.messages_per_s();
  });
  return runs[runs.size() / 2];
}

struct Latency {
  size_t samples = 0;
  double p50_us = 0;
  double p99_us = 0;
};

Latency Summarize(std::vector<double> samples) {
  if (samples.empty()) Die("no round trips measured");
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return samples[std::min(samples.size() - 1, static_cast<size_t>(q * samples.size()))];
  };
  return {samples.size(), at(0.50), at(0.99)};
}

// Runs `round_trip` for --warmup, then for --rtt-duration, timing each.
template <typename F>
Latency MeasureRoundTrips(const Settings& settings, F round_trip) {
  auto warm_until = Clock::now() + Seconds(settings.warmup_s);
  while (Clock::now() < warm_until) round_trip();
  std::vector<double> samples;
  auto until = Clock::now() + Seconds(settings.rtt_duration_s);
  for (Clock::time_point start = Clock::now(); start < until; start = Clock::now()) {
    round_trip();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return Summarize(std::move(samples));
}

constexpr size_t kRoundTripBytes = 64;

Latency DirectRoundTrip(const Settings& settings) {
  EchoPeer peer(settings);
  UniqueFd socket = ConnectedSocket(peer.port(), settings.socket_buffer_bytes);
  std::string payload(kRoundTripBytes, 'r');
  std::vector<char> reply(1 << 16);
  return MeasureRoundTrips(settings, [&] {
    if (send(socket.get(), payload.data(), payload.size(), MSG_NOSIGNAL) < 0) DieErrno("send");
    // The reply is one whole message (MSG_EOR); notifications are off.
    if (recv(socket.get(), reply.data(), reply.size(), 0) != static_cast<ssize_t>(kRoundTripBytes)) {
      DieErrno("round trip: recv");
    }
  });
}

Latency GatewayRoundTrip(const Settings& settings, client::Client& client, Api api) {
  EchoPeer peer(settings);
  auto endpoint = Require(client.OpenEndpoint(client::EndpointOptions::Outgoing({"127.0.0.1"})),
                          "OpenEndpoint");
  auto association = Require(
      client.Associate(endpoint.endpoint_id(), {"127.0.0.1"}, peer.port()), "Associate");
  const uint64_t id = association.association_id();
  std::string payload(kRoundTripBytes, 'r');
  auto check = [](const std::vector<v1::InboundMessage>& reply) {
    if (reply.size() != 1 || reply[0].payload().size() != kRoundTripBytes) {
      Die("round trip: no echo within 10 s");
    }
  };
  Latency latency;
  if (api == Api::kUnary) {
    latency = MeasureRoundTrips(settings, [&] {
      Require(client.Send(id, payload), "Send");
      check(Require(client.Receive(id, Milliseconds(10000), 1), "Receive"));
    });
  } else {
    std::unique_ptr<client::SendStream> sender = client.OpenSendStream();
    std::unique_ptr<client::ReceiveStream> receiver = client.OpenReceiveStream(id, 0, 1);
    std::vector<v1::OutboundMessage> one(1);
    latency = MeasureRoundTrips(settings, [&] {
      one[0].set_payload(payload);
      if (!sender->Write(id, one)) Die("SendStream ended: " + sender->Finish().status().ToString());
      check(Require(receiver->Read(), "ReceiveStream"));
    });
    Require(sender->Finish(), "SendStream");
  }
  Require(client.CloseEndpoint(endpoint.endpoint_id(), /*abort=*/true), "CloseEndpoint");
  return latency;
}

// Opens `count` one-to-one sockets and sctp_connectx()s each to
// 127.0.0.1:port, at most --connect-parallel in progress at once; returns
// when every one is established. SCTP allows one association per pair of
// endpoints, so each association needs a socket (endpoint) of its own on
// the connecting side.
std::vector<UniqueFd> ConnectMany(const Settings& settings, uint16_t port, int count) {
  // Idle associations: small buffers, so that thousands of them fit.
  constexpr int kIdleBuffer = 65536;
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) DieErrno("epoll_create1");
  std::vector<UniqueFd> sockets;
  sockets.reserve(count);
  int established = 0, in_progress = 0;
  sockaddr_in address = Loopback(port);
  std::vector<epoll_event> ready(256);
  while (established < count) {
    while (in_progress < settings.connect_parallel && static_cast<int>(sockets.size()) < count) {
      UniqueFd fd = SctpSocket(SOCK_STREAM, kIdleBuffer, /*nonblocking=*/true);
      if (sctp_connectx(fd.get(), reinterpret_cast<sockaddr*>(&address), 1, nullptr) != 0 &&
          errno != EINPROGRESS) {
        DieErrno("sctp_connectx");
      }
      epoll_event event{};
      event.events = EPOLLOUT;
      event.data.u32 = static_cast<uint32_t>(sockets.size());
      if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd.get(), &event) != 0) DieErrno("epoll_ctl");
      sockets.push_back(std::move(fd));
      ++in_progress;
    }
    int n = epoll_wait(epoll.get(), ready.data(), static_cast<int>(ready.size()), 60000);
    if (n < 0 && errno != EINTR) DieErrno("epoll_wait");
    if (n == 0) Die(absl::StrCat("associations stalled at ", established, " of ", count));
    for (int i = 0; i < n; ++i) {
      const UniqueFd& fd = sockets[ready[i].data.u32];
      int error = 0;
      socklen_t length = sizeof error;
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) {
        errno = error;
        DieErrno(absl::StrCat("association ", established + 1, " of ", count));
      }
      epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd.get(), nullptr);
      --in_progress;
      ++established;
    }
  }
  return sockets;
}

struct ScaleResult {
  double direct_s = 0;
  double gateway_s = 0;
  size_t rss_before = 0;
  size_t rss_after = 0;
  int associations = 0;
};

ScaleResult Scale(const Settings& settings, Service& service, client::Client& client,
                  CommUpCounter& counter) {
  ScaleResult result;
  result.associations = settings.scale;
  {
    UniqueFd listener = ListeningSocket(65536, false);
    auto start = Clock::now();
    std::vector<UniqueFd> sockets = ConnectMany(settings, LocalPort(listener), settings.scale);
    result.direct_s = Seconds(Clock::now() - start).count();
  }
  auto endpoint = Require(
      client.OpenEndpoint(client::EndpointOptions::Listening({"127.0.0.1"}, 0)), "OpenEndpoint");
  counter.Watch(endpoint.endpoint_id());
  result.rss_before = service.ResidentBytes();
  auto start = Clock::now();
  std::vector<UniqueFd> sockets = ConnectMany(settings, static_cast<uint16_t>(endpoint.port()),
                                        settings.scale);
  // Established once sctpgw has taken over each one and reported it.
  if (!counter.WaitFor(settings.scale, Clock::now() + 300s)) {
    Die(absl::StrCat("sctpgw reported ", counter.count(), " of ", settings.scale,
                     " associations up"));
  }
  result.gateway_s = Seconds(Clock::now() - start).count();
  result.rss_after = service.ResidentBytes();
  sockets.clear();  // The peers shut their associations down.
  Require(client.CloseEndpoint(endpoint.endpoint_id(), /*abort=*/true, Milliseconds(120000)),
          "CloseEndpoint");
  return result;
}

// ---------------------------------------------------------------------------
// Report.

struct Row {
  std::string workload;
  std::string unit;
  double direct = 0;
  double gateway = 0;
  std::string direct_text;
  std::string gateway_text;
  double ratio() const { return direct > 0 ? gateway / direct : 0; }
};

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void PrintTable(const std::vector<Row>& rows) {
  size_t w0 = 8, w1 = 6, w2 = 10;
  for (const Row& row : rows) {
    w0 = std::max(w0, row.workload.size());
    w1 = std::max(w1, row.direct_text.size());
    w2 = std::max(w2, row.gateway_text.size());
  }
  auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                  const std::string& d) {
    std::cout << "| " << a << std::string(w0 - a.size(), ' ') << " | "
              << std::string(w1 - b.size(), ' ') << b << " | " << std::string(w2 - c.size(), ' ')
              << c << " | " << std::string(std::max<size_t>(d.size(), 11) - d.size(), ' ') << d
              << " |\n";
  };
  line("workload", "direct", "via sctpgw", "via/direct");
  std::cout << "|" << std::string(w0 + 2, '-') << "|" << std::string(w1 + 1, '-') << ":|"
            << std::string(w2 + 1, '-') << ":|" << std::string(12, '-') << ":|\n";
  for (const Row& row : rows) {
    line(row.workload, row.direct_text, row.gateway_text,
         row.direct > 0 ? absl::StrFormat("%.2f", row.ratio()) : "-");
  }
  std::cout.flush();
}

Row RateRow(const std::string& workload, const RateResult& direct, const RateResult& gateway) {
  auto text = [](const RateResult& r) {
    return absl::StrFormat("%.0f msg/s, %.1f MB/s", r.messages_per_s(), r.mb_per_s());
  };
  return {workload, "messages/s", direct.messages_per_s(), gateway.messages_per_s(), text(direct),
          text(gateway)};
}

std::string SizeName(size_t size) {
  return size >= 1024 && size % 1024 == 0 ? absl::StrCat(size / 1024, " KiB")
                                          : absl::StrCat(size, " B");
}

bool Wants(const Settings& settings, const std::string& workload) {
  return std::find(settings.workloads.begin(), settings.workloads.end(), workload) !=
         settings.workloads.end();
}

int Run(const Settings& settings) {
  auto started = Clock::now();
  // Thousands of associations: one descriptor each here and in sctpgw
  // (which inherits the limit).
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  rlim_t wanted = static_cast<rlim_t>(settings.scale) * 2 + 4096;
  if (files.rlim_cur < wanted) {
    rlimit raised = {wanted, std::max(wanted, files.rlim_max)};
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      raised = {files.rlim_max, files.rlim_max};
      setrlimit(RLIMIT_NOFILE, &raised);
    }
  }
  signal(SIGPIPE, SIG_IGN);

  Service service(settings, settings.scale + 1024);
  CommUpCounter counter;
  client::ClientOptions options;
  options.target = service.target();
  options.client_name = "sctpgw_bench";
  options.call_timeout = Milliseconds(60000);
  auto client = Require(client::Client::Connect(options, &counter), "connecting to sctpgw");

  std::vector<Row> rows;
  std::ostringstream json;
  json << "{\n  \"settings\": {\"duration_s\": " << settings.duration_s
       << ", \"repeat\": " << settings.repeat << ", \"warmup_s\": " << settings.warmup_s << ", \"associations\": "
       << settings.associations << ", \"batch\": " << settings.batch
       << ", \"rtt_duration_s\": " << settings.rtt_duration_s << ", \"scale\": " << settings.scale
       << ", \"socket_buffer_bytes\": " << settings.socket_buffer_bytes
       << ", \"quick\": " << (settings.quick ? "true" : "false") << "},\n  \"results\": [";
  const char* separator = "\n";
  auto add_json = [&](const std::string& name, const std::string& fields) {
    json << separator << "    {\"workload\": " << JsonString(name) << ", " << fields << "}";
    separator = ",\n";
  };
  auto rate_json = [](const RateResult& r) {
    return absl::StrFormat(
        "{\"messages\": %d, \"bytes\": %d, \"seconds\": %.3f, \"messages_per_s\": %.1f, "
        "\"mb_per_s\": %.3f}",
        r.messages, r.bytes, r.seconds, r.messages_per_s(), r.mb_per_s());
  };
  auto progress = [&](const std::string& what) {
    std::cerr << absl::StrFormat("[%6.1f s] %s\n", Seconds(Clock::now() - started).count(), what);
  };

  auto rate_case = [&](const std::string& name, size_t size, int associations, int batch,
                       Api api) {
    progress(name);
    // Emulated CPUs on a shared host make single runs noisy: alternate the
    // two sides and keep each side's median run.
    std::vector<RateResult> directs, gateways;
    for (int run = 0; run < settings.repeat; ++run) {
      directs.push_back(DirectRate(settings, size, associations));
      gateways.push_back(GatewayRate(settings, *client, size, associations, batch, api));
    }
    RateResult direct = Median(std::move(directs));
    RateResult gateway = Median(std::move(gateways));
    rows.push_back(RateRow(name, direct, gateway));
    add_json(name, absl::StrCat("\"size\": ", size, ", \"associations\": ", associations,
                                ", \"batch\": ", batch, ", \"api\": ",
                                api == Api::kUnary ? "\"Send\"" : "\"SendStream\"",
                                ", \"direct\": ", rate_json(direct),
                                ", \"via_sctpgw\": ", rate_json(gateway),
                                absl::StrFormat(", \"ratio\": %.4f", rows.back().ratio())));
  };
  if (Wants(settings, "rate")) {
    for (size_t size : settings.sizes) {
      rate_case(absl::StrCat("1 assoc, ", SizeName(size), ", stream, batch ", settings.batch), size,
                1, settings.batch, Api::kStream);
    }
    rate_case("1 assoc, 256 B, stream, batch 1", 256, 1, 1, Api::kStream);
    rate_case(absl::StrCat("1 assoc, 256 B, Send, batch ", settings.batch), 256, 1, settings.batch,
              Api::kUnary);
    rate_case("1 assoc, 256 B, Send, batch 1", 256, 1, 1, Api::kUnary);
  }
  if (Wants(settings, "multi")) {
    for (size_t size : settings.sizes) {
      rate_case(absl::StrCat(settings.associations, " assocs, ", SizeName(size), ", stream, batch ",
                             settings.batch),
                size, settings.associations, settings.batch, Api::kStream);
    }
    rate_case(absl::StrCat(settings.associations, " assocs, 256 B, Send, batch ", settings.batch),
              256, settings.associations, settings.batch, Api::kUnary);
  }
  if (Wants(settings, "rtt")) {
    progress("round trip");
    Latency direct = DirectRoundTrip(settings);
    Latency streams = GatewayRoundTrip(settings, *client, Api::kStream);
    Latency unary = GatewayRoundTrip(settings, *client, Api::kUnary);
    auto us = [](double v) { return absl::StrFormat("%.0f us", v); };
    rows.push_back({"round trip 64 B, streams, p50", "us", direct.p50_us, streams.p50_us,
                    us(direct.p50_us), us(streams.p50_us)});
    rows.push_back({"round trip 64 B, streams, p99", "us", direct.p99_us, streams.p99_us,
                    us(direct.p99_us), us(streams.p99_us)});
    rows.push_back({"round trip 64 B, Send+Receive, p50", "us", direct.p50_us, unary.p50_us,
                    us(direct.p50_us), us(unary.p50_us)});
    rows.push_back({"round trip 64 B, Send+Receive, p99", "us", direct.p99_us, unary.p99_us,
                    us(direct.p99_us), us(unary.p99_us)});
    auto latency_json = [](const Latency& l) {
      return absl::StrFormat("{\"samples\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f}", l.samples,
                             l.p50_us, l.p99_us);
    };
    add_json("round trip 64 B", absl::StrCat("\"direct\": ", latency_json(direct),
                                             ", \"via_sctpgw_streams\": ", latency_json(streams),
                                             ", \"via_sctpgw_send_receive\": ",
                                             latency_json(unary)));
  }
  if (Wants(settings, "scale")) {
    progress(absl::StrCat("scale: ", settings.scale, " associations"));
    ScaleResult scale = Scale(settings, service, *client, counter);
    double per_association = (static_cast<double>(scale.rss_after) - scale.rss_before) /
                             scale.associations / 1024.0;
    auto seconds = [](double v) { return absl::StrFormat("%.2f s", v); };
    rows.push_back({absl::StrCat("establish ", scale.associations, " assocs"), "s", scale.direct_s,
                    scale.gateway_s, seconds(scale.direct_s), seconds(scale.gateway_s)});
    rows.push_back({absl::StrCat("sctpgw VmRSS per idle assoc (", scale.associations, ")"), "KiB",
                    0, per_association, "-", absl::StrFormat("%.1f KiB", per_association)});
    add_json("scale", absl::StrFormat(
                          "\"associations\": %d, \"direct_establish_s\": %.3f, "
                          "\"via_sctpgw_establish_s\": %.3f, \"ratio\": %.4f, "
                          "\"sctpgw_rss_before_bytes\": %d, \"sctpgw_rss_after_bytes\": %d, "
                          "\"sctpgw_rss_per_association_kib\": %.2f",
                          scale.associations, scale.direct_s, scale.gateway_s,
                          scale.gateway_s / scale.direct_s, scale.rss_before, scale.rss_after,
                          per_association));
  }
  client.reset();
  service.Stop();
  double total = Seconds(Clock::now() - started).count();
  json << "\n  ],\n  \"run_seconds\": " << absl::StrFormat("%.1f", total) << "\n}\n";
  progress("done");

  PrintTable(rows);
  if (!settings.json_file.empty()) {
    std::ofstream out(settings.json_file);
    out << json.str();
    if (!out) Die("cannot write " + settings.json_file);
  }
  return 0;
}

}  // namespace
}  // namespace sctpgw::bench

int main(int argc, char** argv) {
  sctpgw::bench::Settings settings;
  CLI::App app{
      "sctpgw_bench: each workload directly on kernel SCTP sockets and through sctpgw, "
      "against the same receiver. Needs kernel SCTP (run it in the lab: scripts/bench.sh)."};
  app.add_option("--sctpgw", settings.sctpgw_binary, "the sctpgw binary to start")
      ->capture_default_str();
  app.add_option("--workloads", settings.workloads, "rate, multi, rtt, scale")
      ->capture_default_str()
      ->check(CLI::IsMember({"rate", "multi", "rtt", "scale"}));
  app.add_option("--sizes", settings.sizes, "message sizes, bytes")->capture_default_str();
  app.add_option("--repeat", settings.repeat,
                 "runs of each rate case, direct and via alternating; the median counts")
      ->capture_default_str()
      ->check(CLI::Range(1, 99));
  app.add_option("--duration", settings.duration_s, "seconds counted per rate case")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", settings.warmup_s, "seconds before counting starts")
      ->capture_default_str();
  app.add_option("--associations", settings.associations, "associations of the multi workload")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--batch", settings.batch, "messages per Send call or SendStream request through sctpgw")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--rtt-duration", settings.rtt_duration_s, "seconds of round trips per side")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--scale", settings.scale, "idle associations of the scale workload")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--connect-parallel", settings.connect_parallel,
                 "associations being set up at once in the scale workload")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--socket-buffer-bytes", settings.socket_buffer_bytes,
                 "SO_SNDBUF/SO_RCVBUF of the direct sockets and of sctpgw's")
      ->capture_default_str()
      ->check(CLI::Range(4096, 1 << 30));
  app.add_option("--json", settings.json_file, "also write the results to this file as JSON");
  app.add_option("--sctpgw-arg", settings.sctpgw_args, "extra sctpgw argument (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--quick", settings.quick,
               "a short run (under two minutes in the lab, VM boot included) to check a change: "
               "sizes 256 16384, --duration 1, --repeat 1, --rtt-duration 1, --scale 500; "
               "options given explicitly win");
  CLI11_PARSE(app, argc, argv);
  if (settings.quick) {
    // Every case still runs on both sides, so the table has every row;
    // the figures are only rougher.
    auto unless_given = [&app](const char* option, auto& value, auto quick_value) {
      if (app.count(option) == 0) value = quick_value;
    };
    unless_given("--sizes", settings.sizes, std::vector<size_t>{256, 16384});
    unless_given("--duration", settings.duration_s, 1.0);
    unless_given("--repeat", settings.repeat, 1);
    unless_given("--rtt-duration", settings.rtt_duration_s, 1.0);
    unless_given("--scale", settings.scale, 500);
  }
  return sctpgw::bench::Run(settings);
}
