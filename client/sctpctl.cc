// sctpctl: the operator's command line for sctpgw.
//
// Objects live in sessions; a session outlives one sctpctl run when opened
// with `sctpctl session open` and named with --session (or SCTPGW_SESSION) in
// the commands that follow, within its lease. Output is for people by
// default and JSON (one object per line) with --json (sctpctl_print.cc).
//
// Exit status: 0 done; 1 sctpgw refused or failed the request; 2 bad
// arguments (here or as judged by sctpgw); 3 sctpgw not reachable or not
// serving; 4 no such session, endpoint or association; 5 timed out (nothing
// received, association not up in time).
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sctpgw/client.h"
#include "sctpgw/format.h"
#include "sctpctl_common.h"
#include "sctpctl_print.h"

namespace sctpgw::client {
using namespace sctpgw::client::sctpctl;  // NOLINT: the output, split out of this file.
namespace {

// The names sctpctl takes for the stream schedulers.
const std::map<std::string, v1::StreamScheduler> kSchedulers = {
    {"default", v1::STREAM_SCHEDULER_UNSPECIFIED}, {"fcfs", v1::STREAM_SCHEDULER_FIRST_COME},
    {"priority", v1::STREAM_SCHEDULER_PRIORITY},   {"rr", v1::STREAM_SCHEDULER_ROUND_ROBIN},
    {"fc", v1::STREAM_SCHEDULER_FAIR_CAPACITY},    {"wfq", v1::STREAM_SCHEDULER_WEIGHTED_FAIR}};

// "ID:FILE": a key id and the file holding its secret (secrets stay off
// command lines, which other users can read).
absl::StatusOr<v1::AuthKey> ParseAuthKey(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 1));
  uint32_t id = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &id) || id > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auth-key \"", text, "\": expected ID:FILE, ID 0..65535"));
  }
  std::ifstream in(parts[1], std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", parts[1]));
  v1::AuthKey key;
  key.set_key_id(id);
  key.set_secret(ReadAll(parts[1]));
  return key;
}

// Prints events as they arrive (EventHandler on the library thread).
class EventPrinter : public EventHandler {
 public:
  EventPrinter(const Globals& globals, uint64_t endpoint_id) : globals_(globals), endpoint_id_(endpoint_id) {}
  void Print(const v1::Event& event) {
    if (endpoint_id_ != 0 && event.endpoint_id() != endpoint_id_) return;
    if (globals_.json) {
      std::cout << Json(event) << std::endl;
    } else {
      std::cout << event.sequence() << " " << DescribeEvent(event) << std::endl;
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++printed_;
    changed_.notify_all();
  }
  void OnAssociationChange(const v1::Event& e, const v1::AssociationChange&) override { Print(e); }
  void OnPeerAddressChange(const v1::Event& e, const v1::PeerAddressChange&) override { Print(e); }
  void OnSendFailed(const v1::Event& e, const v1::SendFailed&) override { Print(e); }
  void OnShutdown(const v1::Event& e, const v1::ShutdownEvent&) override { Print(e); }
  void OnRemoteError(const v1::Event& e, const v1::RemoteError&) override { Print(e); }
  void OnOtherEvent(const v1::Event& e) override { Print(e); }
  void OnStreamStatus(const absl::Status& status) override {
    if (status.ok()) return;
    std::cerr << "sctpctl: event stream: " << DescribeError(status) << "\n";
    if (status.code() == absl::StatusCode::kNotFound) {
      std::lock_guard<std::mutex> lock(mu_);
      lost_ = status;
      changed_.notify_all();
    }
  }
  // Waits until `count` events were printed (0: no limit), the session is
  // lost, it is interrupted, or (with `idle`) that long passes with nothing
  // new; without `idle` (follow) it waits for the others only.
  absl::Status Wait(size_t count, std::optional<Milliseconds> idle) {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      size_t seen = printed_;
      if (count != 0 && printed_ >= count) return absl::OkStatus();
      if (!lost_.ok()) return lost_;
      if (interrupted_) return absl::OkStatus();
      auto news = [&] { return printed_ != seen || !lost_.ok() || interrupted_; };
      if (!idle.has_value()) {
        changed_.wait(lock, news);
      } else if (!changed_.wait_for(lock, *idle, news)) {
        return count == 0 ? absl::OkStatus() : absl::DeadlineExceededError("no more events");
      }
    }
  }
  void Interrupt() {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
    changed_.notify_all();
  }

 private:
  const Globals& globals_;
  uint64_t endpoint_id_;
  std::mutex mu_;
  std::condition_variable changed_;
  size_t printed_ = 0;
  absl::Status lost_;
  bool interrupted_ = false;
};

EventPrinter* g_printer = nullptr;
int g_signal_pipe[2] = {-1, -1};

int RunEvents(const Globals& globals, uint64_t endpoint_id, uint64_t after, bool follow,
              size_t count) {
  EventPrinter printer(globals, endpoint_id);
  ClientOptions options;
  options.target = globals.target;
  options.credentials = Credentials(globals);
  options.client_name = "sctpctl";
  options.session_id = globals.session;
  options.resume_after_sequence = after;
  options.call_timeout = Milliseconds(globals.timeout_ms);
  options.close_session_on_destroy = false;
  if (globals.session.empty()) return Fail(absl::InvalidArgumentError("no session: give --session ID"));
  auto client = Client::Connect(options, &printer);
  if (!client.ok()) return Fail(client.status());
  // SIGINT/SIGTERM end a follow cleanly; a thread turns the signal into an
  // Interrupt() (signal handlers may not lock).
  if (pipe2(g_signal_pipe, O_CLOEXEC) != 0) return Fail(absl::InternalError("pipe failed"));
  g_printer = &printer;
  std::thread signals([] {
    char byte;
    if (read(g_signal_pipe[0], &byte, 1) == 1 && byte == 's') g_printer->Interrupt();
  });
  auto on_signal = [](int) { (void)!write(g_signal_pipe[1], "s", 1); };
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // Without --follow: what is kept, then stop after a quiet second.
  absl::Status status =
      printer.Wait(count, follow ? std::nullopt : std::optional<Milliseconds>(1500));
  (void)!write(g_signal_pipe[1], "q", 1);
  signals.join();
  if (!status.ok()) return Fail(status);
  return kOk;
}

absl::StatusOr<std::string> ReadPayload(const std::string& text, const std::string& file,
                                        bool text_given) {
  if (text_given && !file.empty()) {
    return absl::InvalidArgumentError("give the message as an argument or with --file, not both");
  }
  if (text_given) return text;
  std::istream* in = &std::cin;
  std::ifstream stream;
  if (!file.empty() && file != "-") {
    stream.open(file, std::ios::binary);
    if (!stream) return absl::InvalidArgumentError(absl::StrCat("cannot read ", file));
    in = &stream;
  }
  return std::string(std::istreambuf_iterator<char>(*in), std::istreambuf_iterator<char>());
}

}  // namespace
}  // namespace sctpgw::client

int main(int argc, char** argv) {
  using namespace sctpgw::client;
  namespace v1 = sctpgw::v1;
  Globals globals;
  if (const char* session = std::getenv("SCTPGW_SESSION")) globals.session = session;
  if (const char* target = std::getenv("SCTPGW_TARGET")) globals.target = target;

  CLI::App app{"sctpctl: drive sctpgw, the SCTP gateway, from the command line"};
  app.require_subcommand(1);
  app.add_option("--target", globals.target,
                 "sctpgw's gRPC address (env SCTPGW_TARGET): unix:PATH or HOST:PORT")
      ->capture_default_str();
  app.add_option("--session", globals.session, "session id (env SCTPGW_SESSION)");
  app.add_flag("--json", globals.json, "print JSON, one object per line");
  app.add_option("--tls-ca-file", globals.tls_ca_file,
                 "TLS: PEM CA certificates to verify sctpgw with (TCP targets)")
      ->check(CLI::ExistingFile);
  auto* cert = app.add_option("--tls-cert-file", globals.tls_cert_file,
                              "mutual TLS: this client's PEM certificate chain")
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--tls-key-file", globals.tls_key_file,
                             "mutual TLS: this client's PEM private key")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--timeout-ms", globals.timeout_ms, "deadline of each call, ms")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  app.footer(
      "Exit status: 0 done, 1 refused or failed, 2 bad arguments, 3 sctpgw unreachable,\n"
      "4 no such session/endpoint/association, 5 timed out.");

  int result = kOk;

  auto* health = app.add_subcommand("health", "check that sctpgw is serving");
  bool health_wait = false;
  health->add_flag("--wait", health_wait, "wait (up to --timeout-ms) for sctpgw to come up");
  health->callback([&] {
    absl::Status status =
        CheckHealth(globals.target, Milliseconds(globals.timeout_ms), health_wait,
                    Credentials(globals));
    if (!status.ok()) {
      result = Fail(status);
      if (status.code() == absl::StatusCode::kFailedPrecondition) result = kUnavailable;
      return;
    }
    std::cout << (globals.json ? "{\"status\":\"SERVING\"}" : "SERVING") << "\n";
  });

  auto* session = app.add_subcommand("session", "open or close a session");
  session->require_subcommand(1);
  auto* session_open = session->add_subcommand("open", "open a session; prints its id");
  uint32_t lease_ms = 0;
  session_open->add_option("--lease-ms", lease_ms, "lease asked for, ms (0 = the service's default)");
  bool application_liveness = false;
  session_open->add_flag("--application-liveness", application_liveness,
                         "renewed only by `session renew` (RenewLease), not by streams or other "
                         "calls");
  session_open->callback([&] {
    ClientOptions options;
    options.target = globals.target;
    options.credentials = Credentials(globals);
    options.client_name = "sctpctl";
    options.lease = Milliseconds(lease_ms);
    if (application_liveness) options.liveness = SessionLiveness::kApplication;
    options.call_timeout = Milliseconds(globals.timeout_ms);
    options.watch_events = false;
    options.close_session_on_destroy = false;
    auto client = Client::Connect(options);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    if (globals.json) {
      std::cout << "{\"session_id\":\"" << (*client)->session_id()
                << "\",\"lease_ms\":" << (*client)->lease().count() << "}\n";
    } else {
      std::cout << (*client)->session_id() << "\n";
    }
  });
  auto* session_close = session->add_subcommand("close", "close the session (--session)");
  session_close->callback([&] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    grpc::ClientContext context;
    (*client)->Prepare(&context, {});
    v1::CloseSessionRequest request;
    request.set_session_id(globals.session);
    v1::CloseSessionResponse response;
    result = Done(FromGrpc((*client)->stub().CloseSession(&context, request, &response)));
  });

  AddSessionRenewCommand(*session, globals, result);

  auto* endpoint = app.add_subcommand("endpoint", "open, close or list endpoints");
  endpoint->require_subcommand(1);
  auto* endpoint_open = endpoint->add_subcommand("open", "bind local addresses (several = multi-homed)");
  EndpointOptions endpoint_options;
  uint32_t endpoint_port = 0;
  endpoint_open->add_option("address", endpoint_options.addresses, "local IP addresses")->required();
  endpoint_open->add_option("--port", endpoint_port, "local port (0 = any)")->check(CLI::Range(0, 65535));
  endpoint_open->add_flag("--listen", endpoint_options.listen, "accept incoming associations");
  endpoint_open->add_option("--streams", endpoint_options.streams, "outbound and inbound streams");
  endpoint_open->add_option("--udp-port", endpoint_options.udp_encapsulation_port,
                            "SCTP over UDP: the peers' UDP port (needs sctpgw's sctp.udp_port; "
                            "0 = SCTP over IP)")
      ->check(CLI::Range(0, 65535));
  endpoint_open->add_flag("--reset-streams", endpoint_options.reset_streams,
                          "stream reconfiguration: allow resetting streams (RFC 6525)");
  endpoint_open->add_flag("--reset-association", endpoint_options.reset_association,
                          "stream reconfiguration: allow resetting the association");
  endpoint_open->add_flag("--add-streams", endpoint_options.add_streams,
                          "stream reconfiguration: allow adding streams");
  endpoint_open->add_flag("--interleaving", endpoint_options.interleaving,
                          "message interleaving (RFC 8260 I-DATA; needs sctpgw's "
                          "sctp.interleaving)");
  std::string endpoint_scheduler = "default";
  endpoint_open->add_option("--scheduler", endpoint_scheduler, "stream scheduler")
      ->check(CLI::IsMember(kSchedulers));
  bool endpoint_auth = false;
  std::vector<uint32_t> auth_chunks;
  std::vector<std::string> auth_keys;
  std::optional<uint32_t> auth_active;
  endpoint_open->add_flag("--auth", endpoint_auth, "SCTP-AUTH (RFC 4895) offered to peers");
  endpoint_open->add_option("--auth-chunk", auth_chunks,
                            "a chunk type that must arrive authenticated (0 = DATA; repeatable)")
      ->check(CLI::Range(0, 255));
  endpoint_open->add_option("--auth-key", auth_keys,
                            "a shared key, ID:FILE with the secret in FILE, every byte of it "
                            "(a trailing newline too; repeatable)");
  endpoint_open->add_option("--auth-active-key", auth_active, "the key id to send with")
      ->check(CLI::Range(0, 65535));
  // The socket API's remaining settings (RFC 6458): each unset keeps
  // sctpgw's default; sctpgw judges the ranges (docs/api.md).
  endpoint_open->add_option("--cookie-life", endpoint_options.cookie_life_ms,
                            "state cookie lifetime, ms (SCTP_ASSOCINFO; 1..3600000, default "
                            "60000)");
  endpoint_open->add_option("--receive-window", endpoint_options.receive_window_bytes,
                            "receive window advertised to peers, bytes (4096..67108864; the "
                            "kernel rounds it)");
  endpoint_open->add_option("--max-segment", endpoint_options.max_segment_bytes,
                            "largest DATA chunk before fragmenting, bytes (SCTP_MAXSEG; "
                            "0..65535, 0 = as the path MTU allows)");
  endpoint_open->add_flag("--disable-fragments", endpoint_options.disable_fragments,
                          "refuse to send a message above the fragmentation point "
                          "(SCTP_DISABLE_FRAGMENTS: MESSAGE_TOO_LARGE_FOR_PATH)");
  endpoint_open->add_option("--partial-delivery-point",
                            endpoint_options.partial_delivery_point_bytes,
                            "bytes of a message the kernel gathers before handing over a part "
                            "(SCTP_PARTIAL_DELIVERY_POINT; 1..half the receive buffer)");
  endpoint_open->add_flag("--bundle", endpoint_options.bundle_messages,
                          "bundle small messages into shared packets (SCTP_NODELAY off)");
  std::string endpoint_oversized;
  endpoint_open->add_option("--oversized", endpoint_oversized,
                            "incoming messages above sctpgw's max_message_bytes: delivered in "
                            "pieces (the default) or abort their association")
      ->check(CLI::IsMember({"pieces", "abort"}));
  endpoint_open->callback([&] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    endpoint_options.stream_scheduler = kSchedulers.at(endpoint_scheduler);
    if (!endpoint_oversized.empty()) {
      endpoint_options.oversized_messages = endpoint_oversized == "abort"
                                                ? v1::OVERSIZED_MESSAGES_ABORT
                                                : v1::OVERSIZED_MESSAGES_DELIVER_IN_PIECES;
    }
    if (endpoint_auth || !auth_chunks.empty() || !auth_keys.empty() || auth_active.has_value()) {
      v1::AuthOptions auth;
      auth.set_enabled(true);
      for (uint32_t chunk : auth_chunks) auth.add_chunk_types(chunk);
      for (const std::string& text : auth_keys) {
        auto parsed = ParseAuthKey(text);
        if (!parsed.ok()) {
          result = Fail(parsed.status());
          return;
        }
        *auth.add_keys() = *parsed;
      }
      if (auth_active.has_value()) auth.set_active_key_id(*auth_active);
      endpoint_options.auth = auth;
    }
    endpoint_options.port = static_cast<uint16_t>(endpoint_port);
    auto opened = (*client)->OpenEndpoint(endpoint_options);
    if (!opened.ok()) {
      result = Fail(opened.status());
      return;
    }
    PrintEndpoint(globals.json, *opened);
  });
  auto* endpoint_close = endpoint->add_subcommand("close", "close an endpoint and its associations");
  uint64_t close_id = 0;
  bool close_abort = false;
  endpoint_close->add_option("endpoint", close_id, "endpoint id")->required();
  endpoint_close->add_flag("--abort", close_abort, "ABORT its associations instead of SHUTDOWN");
  endpoint_close->callback([&] {
    auto client = Attach(globals);
    result = client.ok() ? Done((*client)->CloseEndpoint(close_id, close_abort))
                         : Fail(client.status());
  });

  auto* list = app.add_subcommand("list", "list the session's endpoints and associations");
  list->callback([&] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    auto endpoints = (*client)->ListEndpoints();
    if (!endpoints.ok()) {
      result = Fail(endpoints.status());
      return;
    }
    for (const v1::Endpoint& e : *endpoints) PrintEndpoint(globals.json, e);
    auto associations = (*client)->ListAssociations();
    if (!associations.ok()) {
      result = Fail(associations.status());
      return;
    }
    for (const v1::Association& a : *associations) PrintAssociation(globals.json, a);
  });

  auto* associate = app.add_subcommand("associate", "set up an association; prints it once up");
  uint64_t associate_endpoint = 0;
  std::vector<std::string> peers;
  uint32_t peer_port = 0;
  uint16_t associate_streams = 0;
  associate->add_option("endpoint", associate_endpoint, "endpoint id")->required();
  associate->add_option("peer", peers, "peer IP addresses (several = multi-homed)")->required();
  associate->add_option("--port", peer_port, "peer port")->required()->check(CLI::Range(1, 65535));
  associate->add_option("--streams", associate_streams, "outbound and inbound streams");
  associate->callback([&] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    auto association = (*client)->Associate(associate_endpoint, peers,
                                            static_cast<uint16_t>(peer_port), associate_streams);
    if (!association.ok()) {
      result = Fail(association.status());
      return;
    }
    PrintAssociation(globals.json, *association);
  });

  auto* send = app.add_subcommand("send", "send one message (argument, --file, or stdin)");
  uint64_t send_association = 0;
  std::string send_text, send_file;
  SendOptions send_options;
  send->add_option("association", send_association, "association id")->required();
  auto* text_option = send->add_option("text", send_text, "the message");
  send->add_option("--file", send_file, "read the message from a file ('-' = stdin)");
  send->add_option("--stream", send_options.stream, "stream id")->capture_default_str();
  send->add_option("--ppid", send_options.ppid, "payload protocol identifier")->capture_default_str();
  send->add_flag("--unordered", send_options.unordered, "unordered delivery");
  // PR-SCTP (RFC 7496): one policy per message (sctpgw refuses more).
  send->add_option("--lifetime-ms", send_options.lifetime_ms,
                   "PR-SCTP timed: abandon the message after this long, ms (0 = reliable)");
  send->add_option("--max-retransmissions", send_options.max_retransmissions,
                   "PR-SCTP limited retransmissions: abandon the message after this many "
                   "(0..65535; 0 = sent once)");
  send->add_option("--priority", send_options.priority,
                   "PR-SCTP priority (0..65535, 0 the most important): abandoned for a more "
                   "important message when the send buffer is full");
  send->add_option("--to", send_options.peer_address,
                   "send to this peer address instead of the primary path");
  send->add_option("--context", send_options.context,
                   "a number returned in the SEND_FAILED event if the message is not delivered");
  send->callback([&] {
    auto payload = ReadPayload(send_text, send_file, text_option->count() > 0);
    if (!payload.ok()) {
      result = Fail(payload.status());
      return;
    }
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    result = Done((*client)->Send(send_association, *payload, send_options));
  });

  auto* receive = app.add_subcommand("receive", "print received messages");
  uint64_t receive_association = 0, receive_endpoint = 0;
  uint32_t receive_count = 1;
  int receive_wait_ms = 5000;
  auto* by_association =
      receive->add_option("--association", receive_association, "from one association");
  auto* by_endpoint =
      receive->add_option("--endpoint", receive_endpoint, "from any association of an endpoint");
  by_association->excludes(by_endpoint);
  receive->add_option("--count", receive_count,
                      "wait for this many messages (a message in pieces counts once, at its "
                      "last piece)")
      ->capture_default_str();
  receive->add_option("--wait-ms", receive_wait_ms, "give up after this long, ms")->capture_default_str();
  bool receive_source = false;
  receive->add_flag("--show-source", receive_source,
                    "print each message's source address (\"from ADDRESS:PORT\") where the "
                    "kernel gave one");
  bool receive_follow = false;
  receive->add_flag(
      "--follow,-f", receive_follow,
      "print messages as they arrive (a ReceiveStream) until interrupted, the association "
      "ends, or --count came");
  receive->callback([&] {
    if (by_association->count() + by_endpoint->count() == 0) {
      result = Fail(absl::InvalidArgumentError("give --association or --endpoint"));
      return;
    }
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    if (receive_follow) {
      uint32_t count = receive->count("--count") != 0 ? receive_count : 0;
      result = FollowMessages(**client, receive_association, receive_endpoint, count,
                              globals.json, receive_source);
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + Milliseconds(receive_wait_ms);
    uint32_t got = 0;
    while (got < receive_count) {
      auto left = std::chrono::duration_cast<Milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto messages = receive_association != 0
                          ? (*client)->Receive(receive_association, left, receive_count - got)
                          : (*client)->ReceiveFromEndpoint(receive_endpoint, left, receive_count - got);
      if (!messages.ok()) {
        result = Fail(messages.status());
        return;
      }
      for (const v1::InboundMessage& m : *messages) {
        PrintMessage(globals.json, m, receive_source);
        // Each call asks for at most the messages still missing, so a
        // message in pieces never makes it take more than asked for.
        if (!m.more_follows()) ++got;
      }
    }
    if (got < receive_count) {
      result = Fail(absl::DeadlineExceededError(
          absl::StrCat("received ", got, " of ", receive_count, " messages in ", receive_wait_ms, " ms")));
    }
  });

  AddPathCommands(app, globals, result);
  AddCaptureCommand(app, globals, result);
  AddTopCommand(app, globals, result);

  auto* events = app.add_subcommand("events", "print the session's events (live with --follow)");
  uint64_t events_endpoint = 0, events_after = 0;
  bool events_follow = false;
  size_t events_count = 0;
  events->add_option("--endpoint", events_endpoint, "only this endpoint's events");
  events->add_option("--after", events_after, "start after this sequence number");
  events->add_flag("--follow,-f", events_follow, "keep printing new events until interrupted");
  events->add_option("--count", events_count, "stop after this many events");
  events->callback([&] {
    result = RunEvents(globals, events_endpoint, events_after, events_follow, events_count);
  });

  auto* status = app.add_subcommand(
      "status",
      "without an association: how sctpgw stands (serving, handing over, stopping; how it "
      "started; what it holds); with one: its state, statistics, PR-SCTP counters and paths");
  uint64_t status_association = 0;
  std::vector<uint32_t> status_streams;
  status->add_option("association", status_association, "association id (needs --session)");
  status->add_option("--stream", status_streams,
                     "with an association: also the PR-SCTP counters of this outbound stream "
                     "(repeatable; none: every stream below 256 with a message abandoned)");
  status->callback([&] {
    if (status_association == 0) {
      auto answer = GetServiceStatus(globals.target, Milliseconds(globals.timeout_ms),
                                     Credentials(globals));
      if (!answer.ok()) {
        result = Fail(answer.status());
        return;
      }
      PrintServiceStatus(globals.json, *answer);
      return;
    }
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    auto info = (*client)->GetAssociation(status_association, status_streams);
    if (!info.ok()) {
      result = Fail(info.status());
      return;
    }
    PrintStatus(globals.json, *info);
  });

  auto* primary = app.add_subcommand("primary", "make a peer address the primary path");
  uint64_t primary_association = 0;
  std::string primary_address;
  primary->add_option("association", primary_association, "association id")->required();
  primary->add_option("peer", primary_address, "peer IP address")->required();
  primary->callback([&] {
    auto client = Attach(globals);
    result = client.ok() ? Done((*client)->SetPrimaryPath(primary_association, primary_address))
                         : Fail(client.status());
  });

  auto* heartbeat = app.add_subcommand(
      "heartbeat", "send a HEARTBEAT now to one peer address, or to every one (SPP_HB_DEMAND)");
  uint64_t heartbeat_association = 0;
  std::string heartbeat_address;
  heartbeat->add_option("association", heartbeat_association, "association id")->required();
  heartbeat->add_option("peer", heartbeat_address, "peer IP address (none: every one)");
  heartbeat->callback([&] {
    auto client = Attach(globals);
    result = client.ok()
                 ? Done((*client)->RequestHeartbeat(heartbeat_association, heartbeat_address))
                 : Fail(client.status());
  });

  auto* shutdown = app.add_subcommand("shutdown", "end an association (graceful, or --abort)");
  uint64_t shutdown_association = 0;
  bool shutdown_abort = false;
  std::string abort_reason;
  shutdown->add_option("association", shutdown_association, "association id")->required();
  shutdown->add_flag("--abort", shutdown_abort, "ABORT instead of the SHUTDOWN handshake");
  shutdown->add_option("--reason", abort_reason, "with --abort: the reason sent to the peer");
  shutdown->callback([&] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    result = Done(shutdown_abort ? (*client)->Abort(shutdown_association, abort_reason)
                                 : (*client)->Shutdown(shutdown_association));
  });

  auto* streams = app.add_subcommand(
      "streams", "reconfigure an association's streams (RFC 6525) or their scheduling");
  streams->require_subcommand(1);
  uint64_t streams_association = 0;
  auto* streams_reset = streams->add_subcommand("reset", "reset streams (sequence numbers to 0)");
  std::string reset_direction = "out";
  std::vector<uint32_t> reset_list;
  streams_reset->add_option("association", streams_association, "association id")->required();
  streams_reset->add_option("--direction", reset_direction, "out, in or both")
      ->check(CLI::IsMember({"out", "in", "both"}));
  streams_reset->add_option("--stream", reset_list, "a stream (repeatable; none: every stream)");
  streams_reset->callback([&] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    v1::StreamResetDirection direction = reset_direction == "out"  ? v1::STREAM_RESET_DIRECTION_OUTGOING
                                         : reset_direction == "in" ? v1::STREAM_RESET_DIRECTION_INCOMING
                                                                   : v1::STREAM_RESET_DIRECTION_BOTH;
    result = Done((*client)->ResetStreams(streams_association, direction, reset_list));
  });
  auto* streams_reset_association =
      streams->add_subcommand("reset-association", "reset the association's TSNs and streams");
  streams_reset_association->add_option("association", streams_association, "association id")
      ->required();
  streams_reset_association->callback([&] {
    auto client = Attach(globals);
    result = client.ok() ? Done((*client)->ResetAssociation(streams_association))
                         : Fail(client.status());
  });
  auto* streams_add = streams->add_subcommand("add", "add streams");
  uint32_t add_out = 0, add_in = 0;
  streams_add->add_option("association", streams_association, "association id")->required();
  streams_add->add_option("--out", add_out, "outbound streams to add")->check(CLI::Range(0, 65535));
  streams_add->add_option("--in", add_in, "inbound streams to add")->check(CLI::Range(0, 65535));
  streams_add->callback([&] {
    auto client = Attach(globals);
    result = client.ok() ? Done((*client)->AddStreams(streams_association, add_out, add_in))
                         : Fail(client.status());
  });
  auto* streams_schedule =
      streams->add_subcommand("schedule", "set the stream scheduler and stream priorities/weights");
  std::string schedule_scheduler = "default";
  std::vector<std::string> schedule_values;
  streams_schedule->add_option("association", streams_association, "association id")->required();
  streams_schedule->add_option("--scheduler", schedule_scheduler, "stream scheduler (default: keep)")
      ->check(CLI::IsMember(kSchedulers));
  streams_schedule->add_option("--value", schedule_values,
                               "STREAM=VALUE: priority (lower first) or weight (repeatable)");
  streams_schedule->callback([&] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    std::vector<v1::StreamValue> values;
    for (const std::string& text : schedule_values) {
      std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('=', 1));
      v1::StreamValue value;
      uint32_t stream = 0, number = 0;
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &stream) ||
          !absl::SimpleAtoi(parts[1], &number)) {
        result = Fail(absl::InvalidArgumentError(
            absl::StrCat("--value \"", text, "\": expected STREAM=VALUE")));
        return;
      }
      value.set_stream(stream);
      value.set_value(number);
      values.push_back(value);
    }
    auto now = (*client)->ConfigureStreams(streams_association,
                                           kSchedulers.at(schedule_scheduler), values);
    if (!now.ok()) {
      result = Fail(now.status());
      return;
    }
    if (globals.json) {
      std::cout << Json(*now) << "\n";
      return;
    }
    std::cout << "scheduler " << SchedulerName(now->scheduler()) << "\n";
    for (const v1::StreamValue& value : now->values()) {
      std::cout << absl::StrFormat("stream %d value %d\n", value.stream(), value.value());
    }
  });

  auto* auth_key = app.add_subcommand(
      "auth-key", "change an SCTP-AUTH key (RFC 4895) of an endpoint or an association");
  std::string key_action;
  uint64_t key_endpoint = 0, key_association = 0;
  uint32_t key_id = 0;
  std::string key_secret_file;
  auth_key->add_option("action", key_action, "add, activate, deactivate or delete")
      ->required()
      ->check(CLI::IsMember({"add", "activate", "deactivate", "delete"}));
  auth_key->add_option("key", key_id, "key id")->required()->check(CLI::Range(0, 65535));
  auth_key->add_option("--endpoint", key_endpoint, "the endpoint (its associations too)");
  auth_key->add_option("--association", key_association, "one association");
  auth_key->add_option("--secret-file", key_secret_file,
                       "add: the file holding the secret, every byte of it (a trailing newline "
                       "too)");
  auth_key->callback([&] {
    auto client = Attach(globals);
    if (!client.ok()) {
      result = Fail(client.status());
      return;
    }
    const v1::AuthKeyAction action = key_action == "add"        ? v1::AUTH_KEY_ACTION_ADD
                                     : key_action == "activate" ? v1::AUTH_KEY_ACTION_ACTIVATE
                                     : key_action == "deactivate"
                                         ? v1::AUTH_KEY_ACTION_DEACTIVATE
                                         : v1::AUTH_KEY_ACTION_DELETE;
    std::string secret = key_secret_file.empty() ? "" : ReadAll(key_secret_file);
    result = Done(key_association != 0
                      ? (*client)->ChangeAuthKey(Client::AuthKeyScope::kAssociation,
                                                 key_association, action, key_id, secret)
                      : (*client)->ChangeAuthKey(Client::AuthKeyScope::kEndpoint, key_endpoint,
                                                 action, key_id, secret));
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }
  return result;
}
