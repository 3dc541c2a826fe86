// sctpctl top: a live view of the session's associations, refreshed in place
// on a terminal: state, peer, streams, queue depth, DATA chunk rates,
// retransmissions and every path (state, srtt, rto, cwnd, MTU), with the
// latest events below. Driven by the session's event stream (an event
// refreshes at once) and GetAssociation (every --interval-ms). On a
// terminal 'q' or Ctrl-C quits; elsewhere each frame is printed after the
// previous one (--iterations bounds them).
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <deque>
#include <iostream>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "sctpctl_common.h"
#include "sctpgw/format.h"

namespace sctpgw::client::sctpctl {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kRecentEvents = 6;
// Associations shown with their paths and rates (GetAssociation each); the
// rest are listed in one line each.
constexpr size_t kDetailedAssociations = 32;

struct TopArgs {
  uint64_t endpoint_id = 0;
  int interval_ms = 1000;
  int iterations = 0;  // 0: until quit (on a terminal), else 1.
};

// Keeps the latest events for the view.
class RecentEvents : public EventHandler {
 public:
  void OnAssociationChange(const v1::Event& e, const v1::AssociationChange&) override { Add(e); }
  void OnPeerAddressChange(const v1::Event& e, const v1::PeerAddressChange&) override { Add(e); }
  void OnSendFailed(const v1::Event& e, const v1::SendFailed&) override { Add(e); }
  void OnShutdown(const v1::Event& e, const v1::ShutdownEvent&) override { Add(e); }
  void OnRemoteError(const v1::Event& e, const v1::RemoteError&) override { Add(e); }
  void OnMessagesLost(const v1::Event& e, const v1::MessagesLost&) override { Add(e); }
  void OnOtherEvent(const v1::Event& e) override { Add(e); }
  void OnStreamStatus(const absl::Status& status) override { stream_ = status; }

  const std::deque<std::string>& lines() const { return lines_; }
  const absl::Status& stream() const { return stream_; }

 private:
  void Add(const v1::Event& event) {
    absl::Time time = absl::FromUnixSeconds(event.time().seconds());
    lines_.push_back(absl::StrCat(absl::FormatTime("%H:%M:%S", time, absl::LocalTimeZone()),
                                  " #", event.sequence(), " ", DescribeEvent(event)));
    if (lines_.size() > kRecentEvents) lines_.pop_front();
  }

  std::deque<std::string> lines_;
  absl::Status stream_;
};

// DATA chunks an association has sent and received, for rates.
struct Counts {
  uint64_t in = 0, out = 0;
  Clock::time_point when;
};

// The terminal in raw mode (keys without Enter, no echo) while it lives.
class RawTerminal {
 public:
  RawTerminal() {
    if (isatty(STDIN_FILENO) == 0 || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

int g_quit_pipe[2] = {-1, -1};

std::string Rate(uint64_t now, uint64_t before, double seconds) {
  if (seconds <= 0 || now < before) return "-";
  return absl::StrFormat("%.0f", static_cast<double>(now - before) / seconds);
}

std::string Frame(const std::string& session, const TopArgs& args,
                  const std::vector<v1::Association>& associations,
                  const std::map<uint64_t, v1::GetAssociationResponse>& details,
                  std::map<uint64_t, Counts>& counts, const RecentEvents& events) {
  std::string out = absl::StrCat(
      "sctpgw top   session ", session.substr(0, 8), "   ",
      absl::FormatTime("%H:%M:%S", absl::Now(), absl::LocalTimeZone()), "   ",
      associations.size(), associations.size() == 1 ? " association" : " associations",
      "   every ", args.interval_ms, " ms   q quits\n");
  if (!events.stream().ok()) absl::StrAppend(&out, "events: ", DescribeError(events.stream()), "\n");
  absl::StrAppend(&out, absl::StrFormat("%6s %4s %-12s %-24s %9s %16s %8s %8s %6s %10s\n", "ASSOC",
                                        "EP", "STATE", "PEER", "STREAMS", "QUEUED", "DATA-IN/s",
                                        "OUT/s", "RTX", "PEER-RWND"));
  Clock::time_point now = Clock::now();
  std::map<uint64_t, Counts> next;
  for (const v1::Association& a : associations) {
    std::string peer = a.peer_addresses().empty() ? "-" : DescribeAddress(a.peer_addresses(0));
    std::string queued = absl::StrCat(a.queued_messages(), " / ", a.queued_bytes(), " B");
    std::string in = "-", out_rate = "-", rtx = "-", rwnd = "-";
    auto detail = details.find(a.association_id());
    if (detail != details.end()) {
      const v1::AssociationStatistics& s = detail->second.statistics();
      Counts c{s.ordered_chunks_received() + s.unordered_chunks_received(),
               s.ordered_chunks_sent() + s.unordered_chunks_sent(), now};
      auto before = counts.find(a.association_id());
      if (before != counts.end()) {
        double seconds = std::chrono::duration<double>(now - before->second.when).count();
        in = Rate(c.in, before->second.in, seconds);
        out_rate = Rate(c.out, before->second.out, seconds);
      }
      next[a.association_id()] = c;
      rtx = absl::StrCat(s.retransmitted_chunks());
      if (detail->second.has_status()) rwnd = absl::StrCat(detail->second.status().peer_rwnd());
    }
    absl::StrAppend(&out, absl::StrFormat(
                              "%6d %4d %-12s %-24s %9s %16s %8s %8s %6s %10s\n", a.association_id(),
                              a.endpoint_id(), AssociationStateName(a.state()), peer,
                              absl::StrCat(a.inbound_streams(), "/", a.outbound_streams()), queued,
                              in, out_rate, rtx, rwnd));
    if (detail == details.end()) continue;
    std::string primary = detail->second.has_status()
                              ? DescribeAddress(detail->second.status().primary().address())
                              : "";
    for (const v1::PeerPath& p : detail->second.paths()) {
      std::string address = DescribeAddress(p.address());
      absl::StrAppend(&out, absl::StrFormat(
                                "       path %-24s %-9s srtt %4d ms  rto %5d ms  cwnd %7d  mtu %5d%s\n",
                                address, PathStateName(p.state()), p.srtt_ms(), p.rto_ms(), p.cwnd(),
                                p.mtu(), address == primary ? "  primary" : ""));
    }
  }
  counts = std::move(next);
  absl::StrAppend(&out, "\nlatest events\n");
  for (const std::string& line : events.lines()) absl::StrAppend(&out, "  ", line, "\n");
  return out;
}

int RunTop(const Globals& globals, const TopArgs& args) {
  if (globals.session.empty()) {
    return Fail(absl::InvalidArgumentError("no session: give --session ID or set SCTPGW_SESSION"));
  }
  RecentEvents events;
  ClientOptions options;
  options.target = globals.target;
  options.credentials = Credentials(globals);
  options.client_name = "sctpctl-top";
  options.session_id = globals.session;
  options.call_timeout = Milliseconds(globals.timeout_ms);
  options.delivery = EventDelivery::kDispatch;
  options.close_session_on_destroy = false;
  auto client = Client::Connect(options, &events);
  if (!client.ok()) return Fail(client.status());

  const bool terminal = isatty(STDOUT_FILENO) != 0;
  const int iterations = args.iterations != 0 ? args.iterations : (terminal ? 0 : 1);
  RawTerminal raw;
  if (pipe2(g_quit_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return Fail(absl::InternalError("pipe failed"));
  auto on_signal = [](int) { (void)!write(g_quit_pipe[1], "q", 1); };
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (terminal) std::cout << "\x1b[?25l";  // Hide the cursor while drawing.

  std::map<uint64_t, Counts> counts;
  int frames = 0;
  int result = kOk;
  auto next_refresh = Clock::now();
  while (iterations == 0 || frames < iterations) {
    // Wait for the refresh time, an event, a key or a signal.
    auto wait = std::chrono::duration_cast<Milliseconds>(next_refresh - Clock::now());
    pollfd fds[3] = {{(*client)->event_fd(), POLLIN, 0},
                     {g_quit_pipe[0], POLLIN, 0},
                     {STDIN_FILENO, static_cast<short>(terminal ? POLLIN : 0), 0}};
    if (wait.count() > 0 && poll(fds, 3, static_cast<int>(wait.count())) > 0) {
      if ((fds[1].revents & POLLIN) != 0) break;
      if ((fds[2].revents & POLLIN) != 0) {
        char key = 0;
        if (read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q')) break;
      }
      if ((fds[0].revents & POLLIN) != 0 && (*client)->Dispatch() == 0) continue;
    }
    auto listed = (*client)->ListAssociations(args.endpoint_id);
    if (!listed.ok()) {
      result = Fail(listed.status());
      break;
    }
    std::map<uint64_t, v1::GetAssociationResponse> details;
    for (const v1::Association& a : *listed) {
      if (details.size() == kDetailedAssociations) break;
      if (a.state() != v1::ASSOCIATION_STATE_ESTABLISHED) continue;
      auto detail = (*client)->GetAssociation(a.association_id());
      if (detail.ok()) details[a.association_id()] = std::move(*detail);
    }
    std::string frame = Frame(globals.session, args, *listed, details, counts, events);
    if (terminal) {
      std::cout << "\x1b[H\x1b[2J" << frame << std::flush;  // In place.
    } else {
      std::cout << (frames > 0 ? "\n" : "") << frame << std::flush;
    }
    ++frames;
    next_refresh = Clock::now() + Milliseconds(args.interval_ms);
  }
  if (terminal) std::cout << "\x1b[?25h" << std::flush;
  return result;
}

}  // namespace

void AddTopCommand(CLI::App& app, const Globals& globals, int& result) {
  auto* top = app.add_subcommand(
      "top",
      "a live view of the session's associations: state, paths (state, srtt, rto, cwnd, MTU), "
      "queues, rates, latest events");
  auto args = std::make_shared<TopArgs>();
  top->add_option("--endpoint", args->endpoint_id, "only this endpoint's associations");
  top->add_option("--interval-ms", args->interval_ms, "refresh every this long, ms")
      ->check(CLI::Range(100, 3600000))
      ->capture_default_str();
  top->add_option("--iterations", args->iterations,
                  "stop after this many frames (default: until q on a terminal, else 1)");
  top->callback([&globals, &result, args] { result = RunTop(globals, *args); });
}

}  // namespace sctpgw::client::sctpctl
