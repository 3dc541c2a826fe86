// The example programs and sctpctl end to end, against SCTP peers this
// project did not write (socat, Python's kernel socket) where the example is
// one side. Runs under the lab.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/lab/support/gateway_app.h"

namespace sctpgw {
namespace {

using namespace std::chrono_literals;
using testing::kCallTimeout;
using testing::kTimeout;
using testing::PeerScript;
using testing::SctpgwServer;
using testing::StartShell;
using testing::Subprocess;

::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new testing::PrivateNetwork);

// "... port N" printed by a listening program.
uint32_t PortFrom(const std::string& line) {
  std::smatch match;
  EXPECT_TRUE(std::regex_search(line, match, std::regex("port ([0-9]+)"))) << line;
  return match.empty() ? 0 : static_cast<uint32_t>(std::stoul(match[1]));
}

struct Finished {
  int exit_code = -1;
  std::string output;  // stdout and stderr together.
};

// Runs a command to its end (bounded) and returns its exit code and output.
Finished RunToEnd(const std::string& command) {
  Finished run;
  auto process = StartShell(command, /*keep_stdin=*/false);
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return run;
  auto status = process->Wait(kTimeout);
  EXPECT_TRUE(status.ok()) << command << ": " << status.status();
  run.output = process->ReadStdout(0ms);
  if (status.ok() && WIFEXITED(*status)) run.exit_code = WEXITSTATUS(*status);
  return run;
}

class ExamplesLabTest : public testing::ServerTest {
 protected:
  // Starts an example that listens and returns it with the port it printed.
  std::tuple<Subprocess, uint32_t> StartListening(const std::string& command) {
    auto process = StartShell(command, /*keep_stdin=*/false);
    EXPECT_TRUE(process.ok()) << process.status();
    auto banner = process->ReadStdoutUntil("\n", kTimeout);
    EXPECT_TRUE(banner.ok()) << banner.status();
    return {std::move(*process), PortFrom(banner.ok() ? *banner : "")};
  }

  std::string Target() const { return absl::StrCat(" --target ", server_->target()); }

  // A Python kernel-socket peer sends on stream 3 with PPID 46 and on
  // stream 0 to the echo server on `port`, and gets both back as sent.
  void ExpectEchoOnStreamAndPpid(uint32_t port) {
    auto peer = Subprocess::Start(
        {"/usr/bin/python3", PeerScript(), "connect", "127.0.0.1", absl::StrCat(port)},
        /*keep_stdin=*/true);
    ASSERT_TRUE(peer.ok()) << peer.status();
    ASSERT_TRUE(peer->WriteStdin("3 46 first on stream three\n0 0 second\nrecv 2\n").ok());
    auto out = peer->ReadStdoutUntil("done\n", kTimeout);
    ASSERT_TRUE(out.ok()) << out.status() << peer->ReadStdout(0ms);
    EXPECT_NE(out->find("got 3 46 first on stream three\n"), std::string::npos) << *out;
    EXPECT_NE(out->find("got 0 0 second\n"), std::string::npos) << *out;
    peer->CloseStdin();
    EXPECT_TRUE(peer->Wait(kTimeout).ok());
  }

  // sctpctl with a session of its own (`ctl`: the command and its options)
  // and an endpoint listening on 127.0.0.1 with 8 streams.
  void OpenListeningSession(std::string* ctl, std::string* endpoint_id, std::string* port) {
    *ctl = absl::StrCat(SCTPCTL, Target());
    Finished session = RunToEnd(*ctl + " session open --lease-ms 120000");
    ASSERT_EQ(session.exit_code, 0) << session.output;
    *ctl += " --session " + session.output.substr(0, session.output.find('\n'));
    Finished endpoint = RunToEnd(*ctl + " endpoint open 127.0.0.1 --listen --streams 8");
    ASSERT_EQ(endpoint.exit_code, 0) << endpoint.output;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(endpoint.output, match,
                                  std::regex("^endpoint ([0-9]+) port ([0-9]+) listening")))
        << endpoint.output;
    *endpoint_id = match[1];
    *port = match[2];
  }
};

// daytime: a socat client that only reads gets one date line, then the
// association ends (socat exits by itself).
TEST_F(ExamplesLabTest, DaytimeServerAnswersSocat) {
  auto [daytime, port] =
      StartListening(absl::StrCat(EXAMPLE_DAYTIME, Target(), " --listen 127.0.0.1 --port 0"));
  ASSERT_NE(port, 0u);
  Finished socat = RunToEnd(absl::StrCat("socat -u SCTP-CONNECT:127.0.0.1:", port, " STDOUT"));
  EXPECT_EQ(socat.exit_code, 0) << socat.output;
  EXPECT_TRUE(std::regex_match(
      socat.output, std::regex("[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} "
                               "[0-9]{2}:[0-9]{2}:[0-9]{2} 20[0-9]{2}\r\n")))
      << socat.output;
  auto served = daytime.ReadStdoutUntil("served association", kTimeout);
  EXPECT_TRUE(served.ok()) << served.status();
}

// echo server: a Python peer sends on stream 3 with PPID 46 and on stream 0;
// each comes back on its own stream with its PPID.
// libsctpd's daytime servers (the old daemon's examples, in C on ua.h):
// daytime_simple on sctpd_eventLoop(), sctpdaytime_server on a GLib main
// loop through the notification socket and dispatchUAMesg(). A socat
// client that only reads gets one date line, then the association is shut
// down and the program says it served it; twice.
void ExpectDaytime(const std::string& command, int port) {
  auto daytime = StartShell(command, /*keep_stdin=*/false);
  ASSERT_TRUE(daytime.ok()) << daytime.status();
  auto banner = daytime->ReadStdoutUntil(absl::StrCat("daytime server on port ", port), kTimeout);
  ASSERT_TRUE(banner.ok()) << banner.status();
  for (int round = 1; round <= 2; ++round) {
    Finished socat = RunToEnd(absl::StrCat("socat -u SCTP-CONNECT:127.0.0.1:", port, " STDOUT"));
    EXPECT_EQ(socat.exit_code, 0) << socat.output;
    EXPECT_TRUE(std::regex_match(
        socat.output, std::regex("[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} "
                                 "[0-9]{2}:[0-9]{2}:[0-9]{2} 20[0-9]{2}\r\n")))
        << socat.output;
    auto served = daytime->ReadStdoutUntil(absl::StrCat("served association ", round), kTimeout);
    EXPECT_TRUE(served.ok()) << served.status();
  }
}

TEST_F(ExamplesLabTest, SctpdDaytimeServersAnswerSocat) {
  std::string env = absl::StrCat("env SCTPGW_TARGET=", server_->target(), " ");
  ExpectDaytime(env + SCTPD_DAYTIME_SIMPLE + " -s 127.0.0.1 -p 7013 -v", 7013);
#ifdef SCTPD_GLIB_DAYTIME
  ExpectDaytime(env + SCTPD_GLIB_DAYTIME + " -s 127.0.0.1 -p 7014 -v", 7014);
#else
  ADD_FAILURE() << "sctpdaytime_server was not built: GLib is missing (scripts/install-deps.sh)";
#endif
}

// libsctpd's terminal through a pseudo-terminal (script): what is typed goes
// to a Python kernel-socket peer, on the stream and with the PPID chosen;
// what the peer sends is printed; /status and /quit work.
TEST_F(ExamplesLabTest, SctpdTerminalDrivenThroughAPseudoTerminal) {
  auto peer = Subprocess::Start({"/usr/bin/python3", PeerScript(), "listen", "127.0.0.1"},
                                /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  auto banner = peer->ReadStdoutUntil("\n", kTimeout);
  ASSERT_TRUE(banner.ok()) << banner.status();
  uint32_t port = PortFrom(*banner);
  ASSERT_TRUE(peer->WriteStdin("recv 2\n").ok());
  std::string command = absl::StrCat("env SCTPGW_TARGET=", server_->target(), " ", SCTPD_TERMINAL,
                                     " -s 127.0.0.1 -d 127.0.0.1 -p ", port);
  auto terminal = Subprocess::Start({"script", "-qfec", command, "/dev/null"}, /*keep_stdin=*/true);
  ASSERT_TRUE(terminal.ok()) << terminal.status();
  auto connected = terminal->ReadStdoutUntil("connected: association 1", kTimeout);
  ASSERT_TRUE(connected.ok()) << connected.status();
  ASSERT_TRUE(terminal->WriteStdin("hello from the keyboard\n/stream 4\n/ppid 60\n").ok());
  ASSERT_TRUE(terminal->ReadStdoutUntil("sending with ppid 60", kTimeout).ok());
  ASSERT_TRUE(terminal->WriteStdin("on stream four\n/status\n").ok());
  auto status = terminal->ReadStdoutUntil("peer window", kTimeout);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_NE(status->find("association 1 state 3, primary path 0 (127.0.0.1)"), std::string::npos)
      << *status;
  auto got = peer->ReadStdoutUntil("done\n", kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_NE(got->find("got 0 0 hello from the keyboard\n"), std::string::npos) << *got;
  EXPECT_NE(got->find("got 4 60 on stream four\n"), std::string::npos) << *got;
  ASSERT_TRUE(peer->WriteStdin("2 7 answer from the peer\n").ok());
  auto printed = terminal->ReadStdoutUntil("< [stream 2 ppid 7] answer from the peer", kTimeout);
  EXPECT_TRUE(printed.ok()) << printed.status();
  ASSERT_TRUE(terminal->WriteStdin("/quit\n").ok());
  auto bye = terminal->ReadStdoutUntil("association 1 shut down", kTimeout);
  EXPECT_TRUE(bye.ok()) << bye.status();
  auto exited = terminal->Wait(kTimeout);
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0);
  peer->CloseStdin();
}

// libsctpd's echo server that monitors its paths, across two links to a
// Python kernel-socket peer in a namespace of its own: it echoes, and when
// the first link goes silent (netem, 100 % loss) it prints that path
// UNREACHABLE (networkStatusChangeNotif with its destination address
// index), then OK once the link is back.
TEST_F(ExamplesLabTest, SctpdEchoServerMonitorReportsAPathFailure) {
  auto ns = testing::NetNamespace::Create(absl::StrCat("sctpd-ex-", getpid()));
  ASSERT_TRUE(ns.ok()) << ns.status();
  ASSERT_TRUE(ns->AddLink("sd1a", "192.0.2.1/25", "sd1b", "192.0.2.2/25").ok());
  ASSERT_TRUE(ns->AddLink("sd2a", "192.0.2.129/25", "sd2b", "192.0.2.130/25").ok());
  auto monitor = StartShell(absl::StrCat("env SCTPGW_TARGET=", server_->target(), " ",
                                         SCTPD_ECHO_MONITOR,
                                         " -s 192.0.2.1 -s 192.0.2.129 -p 7019 -h 200"),
                            /*keep_stdin=*/false);
  ASSERT_TRUE(monitor.ok()) << monitor.status();
  ASSERT_TRUE(monitor->ReadStdoutUntil("on port 7019\n", kTimeout).ok());
  auto peer = Subprocess::Start({"ip", "netns", "exec", ns->name(), "/usr/bin/python3",
                                 PeerScript(), "connect", "192.0.2.1", "7019"},
                                /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("1 2 ping\nrecv 1\n").ok());
  auto echoed = peer->ReadStdoutUntil("done\n", kTimeout);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_NE(echoed->find("got 1 2 ping"), std::string::npos) << *echoed;
  auto up = monitor->ReadStdoutUntil("association 1 up, 2 destination addresses\n", kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();

  ASSERT_TRUE(testing::RunCommand("tc qdisc add dev sd1a root netem loss 100%").ok());
  auto down = monitor->ReadStdoutUntil("UNREACHABLE\n", kTimeout);
  ASSERT_TRUE(down.ok()) << down.status();
  // (Its destination address index is the one the kernel lists it at.)
  EXPECT_TRUE(std::regex_search(
      *down, std::regex("path [01] \\(192\\.0\\.2\\.2\\) of association 1 is UNREACHABLE")))
      << *down;
  ASSERT_TRUE(testing::RunCommand("tc qdisc del dev sd1a root").ok());
  auto back = monitor->ReadStdoutUntil("(192.0.2.2) of association 1 is OK\n", kTimeout);
  EXPECT_TRUE(back.ok()) << back.status();
  peer->CloseStdin();
  (void)testing::RunCommand("ip link del sd1a; ip link del sd2a");
}

// libsctpd's echo tool: as a server, a Python kernel-socket peer's messages
// come back on their stream with their PPID; as a client, against socat's
// echo, every byte of 5 x 1000 comes back and it exits 0.
TEST_F(ExamplesLabTest, SctpdEchoToolServesAndAsks) {
  std::string env = absl::StrCat("env SCTPGW_TARGET=", server_->target(), " ");
  auto server = StartShell(env + SCTPD_ECHO_TOOL + " -s 127.0.0.1 -p 7017", /*keep_stdin=*/false);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(server->ReadStdoutUntil("echo server on port 7017\n", kTimeout).ok());
  ExpectEchoOnStreamAndPpid(7017);

  auto socat = StartShell("socat -d -d SCTP-LISTEN:7018,bind=127.0.0.1,reuseaddr,fork EXEC:cat",
                          /*keep_stdin=*/false);
  ASSERT_TRUE(socat.ok()) << socat.status();
  ASSERT_TRUE(socat->ReadStdoutUntil("listening on", kTimeout).ok());
  Finished client = RunToEnd(env + SCTPD_ECHO_TOOL +
                             " -s 127.0.0.1 -d 127.0.0.1 -r 7018 -l 1000 -n 5 -v");
  EXPECT_EQ(client.exit_code, 0) << client.output;
  EXPECT_NE(client.output.find("received 5000 of 5000 bytes\n"), std::string::npos)
      << client.output;
  EXPECT_NE(client.output.find(" shut down\n"), std::string::npos) << client.output;
}

// sendFailureNotif and sctpd_receiveUnacked/Unsent (tests/sctpd/send_failure.c):
// four messages sent to socat while the link is silent (netem on loopback;
// gRPC goes over a unix socket), then an ABORT: each message comes back
// once through the callback and the receive calls, with its context
// pointer, stream, PPID and bytes.
TEST_F(ExamplesLabTest, SctpdSendFailuresComeBackWithTheirContexts) {
  auto socat = StartShell("socat -d -d SCTP-LISTEN:7021,bind=127.0.0.1,reuseaddr,fork EXEC:cat",
                          /*keep_stdin=*/false);
  ASSERT_TRUE(socat.ok()) << socat.status();
  ASSERT_TRUE(socat->ReadStdoutUntil("listening on", kTimeout).ok());
  auto program = StartShell(absl::StrCat("env SCTPGW_TARGET=", server_->target(), " ",
                                         SCTPD_SEND_FAILURE, " 127.0.0.1 7021 4"),
                            /*keep_stdin=*/true);
  ASSERT_TRUE(program.ok()) << program.status();
  auto up = program->ReadStdoutUntil("up\n", kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_TRUE(testing::RunCommand("tc qdisc add dev lo root netem loss 100%").ok());
  absl::Cleanup restore = [] { (void)testing::RunCommand("tc qdisc del dev lo root"); };
  ASSERT_TRUE(program->WriteStdin("go\n").ok());
  auto output = program->ReadStdoutUntil("done\n", kTimeout);
  ASSERT_TRUE(output.ok()) << output.status() << "\n" << program->ReadStdout(0ms);
  std::vector<int> callbacks, taken;
  for (absl::string_view line : absl::StrSplit(*output, '\n')) {
    int context = -1;
    char kind[16];
    std::string text(line);
    if (std::sscanf(text.c_str(), "sendFailure len=1000 context=%d", &context) == 1) {
      callbacks.push_back(context);
    } else if (std::sscanf(text.c_str(), "%15s stream=1 ppid=46 len=1000 context=%d same=1", kind,
                           &context) == 2) {
      taken.push_back(context);
    }
  }
  std::sort(callbacks.begin(), callbacks.end());
  std::sort(taken.begin(), taken.end());
  EXPECT_EQ(callbacks, (std::vector<int>{0, 1, 2, 3})) << *output;
  EXPECT_EQ(taken, (std::vector<int>{0, 1, 2, 3})) << *output;
  EXPECT_NE(output->find("lost status=1\n"), std::string::npos)  // SCTP_COMM_LOST_ABORTED
      << *output;
  auto status = program->Wait(kTimeout);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *output;
}

TEST_F(ExamplesLabTest, EchoServerKeepsStreamAndPpid) {
  auto [echo, port] =
      StartListening(absl::StrCat(EXAMPLE_ECHO, Target(), " server --listen 127.0.0.1 --port 0"));
  ASSERT_NE(port, 0u);
  ExpectEchoOnStreamAndPpid(port);
}

// echo client: against socat's echo (EXEC:cat), the text comes back, the
// client shuts down and exits 0; three messages through sctpgw's own echo
// server come back on their stream with their PPID; against a port nobody listens on it says
// why and exits 1.
TEST_F(ExamplesLabTest, EchoClientAgainstSocat) {
  // The test has a network namespace of its own: a fixed port is free.
  auto socat = StartShell("socat -d -d SCTP-LISTEN:7007,bind=127.0.0.1,reuseaddr,fork EXEC:cat",
                          /*keep_stdin=*/false);
  ASSERT_TRUE(socat.ok()) << socat.status();
  auto listening = socat->ReadStdoutUntil("listening on", kTimeout);
  ASSERT_TRUE(listening.ok()) << listening.status();
  // cat does not keep message boundaries: one message at a time.
  Finished echo = RunToEnd(
      absl::StrCat(EXAMPLE_ECHO, Target(), " client --peer 127.0.0.1 --port 7007 hello-sctp"));
  EXPECT_EQ(echo.exit_code, 0) << echo.output;
  EXPECT_EQ(echo.output, "reply stream 0 ppid 0: hello-sctp\n");
  // The small program of docs/clients.md, in C++.
  Finished hello = RunToEnd(absl::StrCat(EXAMPLE_HELLO, " ", server_->target(), " 7007"));
  EXPECT_EQ(hello.exit_code, 0) << hello.output;
  EXPECT_NE(hello.output.find("event COMM_UP association "), std::string::npos) << hello.output;
  EXPECT_NE(hello.output.find("stream 0 ppid 0: hello\n"), std::string::npos) << hello.output;
  // A program written for the SCTP library's API, calls renamed sctpd_
  // (tests/sctpd): associates, sends "hello", gets it back, shuts down.
  Finished ported = RunToEnd(absl::StrCat("env SCTPGW_TARGET=", server_->target(), " ",
                                          SCTPD_PORTED, " 127.0.0.1 7007"));
  EXPECT_EQ(ported.exit_code, 0) << ported.output;
  EXPECT_NE(ported.output.find("received 5 bytes on stream 0 ppid 0 from path 0\n"),
            std::string::npos)
      << ported.output;

  Finished refused = RunToEnd(absl::StrCat(EXAMPLE_ECHO, Target(),
                                      " client --peer 127.0.0.1 --port 7999 nobody-there"));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("UNAVAILABLE ASSOCIATE_FAILED"), std::string::npos)
      << refused.output;

  auto [server, port] =
      StartListening(absl::StrCat(EXAMPLE_ECHO, Target(), " server --listen 127.0.0.1 --port 0"));
  ASSERT_NE(port, 0u);
  Finished three = RunToEnd(absl::StrCat(EXAMPLE_ECHO, Target(), " client --peer 127.0.0.1 --port ",
                                         port, " --stream 5 --ppid 18 --count 3 diameter"));
  EXPECT_EQ(three.exit_code, 0) << three.output;
  EXPECT_EQ(three.output,
            "reply stream 5 ppid 18: diameter\n"
            "reply stream 5 ppid 18: diameter\n"
            "reply stream 5 ppid 18: diameter\n");
}

// terminal: driven through a pseudo-terminal as a person types; lines go out
// on the chosen stream and PPID to a Python peer, its reply is printed.
TEST_F(ExamplesLabTest, TerminalDrivenThroughAPseudoTerminal) {
  auto peer = Subprocess::Start({"/usr/bin/python3", PeerScript(), "listen", "127.0.0.1"},
                                /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  auto banner = peer->ReadStdoutUntil("\n", kTimeout);
  ASSERT_TRUE(banner.ok()) << banner.status();
  uint32_t port = PortFrom(*banner);
  ASSERT_TRUE(peer->WriteStdin("recv 2\n").ok());

  // script(1) gives the terminal a pty of its own and forwards our typing.
  std::string command = absl::StrCat(EXAMPLE_TERMINAL, Target(),
                                     " --peer 127.0.0.1 --port ", port, " --local 127.0.0.1");
  auto terminal = Subprocess::Start({"script", "-qfec", command, "/dev/null"}, /*keep_stdin=*/true);
  ASSERT_TRUE(terminal.ok()) << terminal.status();
  auto connected = terminal->ReadStdoutUntil("connected: association", kTimeout);
  ASSERT_TRUE(connected.ok()) << connected.status();
  ASSERT_TRUE(terminal->WriteStdin("hello from the keyboard\n").ok());
  ASSERT_TRUE(terminal->WriteStdin("/stream 4\n/ppid 60\n").ok());
  auto switched = terminal->ReadStdoutUntil("sending with ppid 60", kTimeout);
  ASSERT_TRUE(switched.ok()) << switched.status();
  ASSERT_TRUE(terminal->WriteStdin("on stream four\n").ok());
  auto got = peer->ReadStdoutUntil("done\n", kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_NE(got->find("got 0 0 hello from the keyboard\n"), std::string::npos) << *got;
  EXPECT_NE(got->find("got 4 60 on stream four\n"), std::string::npos) << *got;

  // The peer answers; the terminal prints it.
  ASSERT_TRUE(peer->WriteStdin("2 7 answer from the peer\n").ok());
  auto printed = terminal->ReadStdoutUntil("< [stream 2 ppid 7] answer from the peer", kTimeout);
  EXPECT_TRUE(printed.ok()) << printed.status();
  ASSERT_TRUE(terminal->WriteStdin("/quit\n").ok());
  auto bye = terminal->ReadStdoutUntil("bye", kTimeout);
  EXPECT_TRUE(bye.ok()) << bye.status();
  auto exited = terminal->Wait(kTimeout);
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0);
  peer->CloseStdin();
}

// Two hosts joined by two links: the monitor prints the path-down notice
// when link 1 goes silent and the path-up notice when it is back.
TEST_F(ExamplesLabTest, MonitorReportsPathDownAndUp) {
  auto ns = testing::NetNamespace::Create(absl::StrCat("sctpgw-ex-", getpid()));
  ASSERT_TRUE(ns.ok()) << ns.status();
  ASSERT_TRUE(ns->AddLink("ex1a", "198.51.100.1/24", "ex1b", "198.51.100.2/24").ok());
  ASSERT_TRUE(ns->AddLink("ex2a", "203.0.113.1/24", "ex2b", "203.0.113.2/24").ok());
  auto [monitor, port] = StartListening(
      absl::StrCat(EXAMPLE_MONITOR, Target(),
                   " --listen 198.51.100.1 --listen 203.0.113.1 --port 0 --heartbeat-ms 200"));
  ASSERT_NE(port, 0u);
  auto peer = Subprocess::Start({"ip", "netns", "exec", ns->name(), "/usr/bin/python3",
                                 PeerScript(), "connect", "198.51.100.1", absl::StrCat(port)},
                                /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("1 2 ping\nrecv 1\n").ok());
  auto echoed = peer->ReadStdoutUntil("done\n", kTimeout);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_NE(echoed->find("got 1 2 ping"), std::string::npos) << *echoed;
  auto up = monitor.ReadStdoutUntil(" up, peer ", kTimeout);
  ASSERT_TRUE(up.ok()) << up.status();

  ASSERT_TRUE(testing::RunCommand("tc qdisc add dev ex1a root netem loss 100%").ok());
  auto down = monitor.ReadStdoutUntil("path 198.51.100.2 of association", kTimeout);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_NE(down->find("198.51.100.2 of association 1 is DOWN"), std::string::npos) << *down;
  ASSERT_TRUE(testing::RunCommand("tc qdisc del dev ex1a root").ok());
  auto back = monitor.ReadStdoutUntil("is UP", kTimeout);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_NE(back->find("path 198.51.100.2 of association 1 is UP"), std::string::npos) << *back;
  peer->CloseStdin();
  (void)testing::RunCommand("ip link del ex1a; ip link del ex2a");
}

// sctpctl: output and exit codes, for people and for scripts.
// sctpctl and the SCTP extensions: an endpoint opened with stream
// reconfiguration, a scheduler and AUTH (the secret from a file), shown as
// opened; against a Python peer with the same key, the association's
// streams and AUTH in `status`, its scheduler and stream values set, streams
// added and reset, a key added, and the active key refused deletion.
TEST_F(ExamplesLabTest, SctpctlDrivesTheSctpExtensions) {
  std::string ctl = absl::StrCat(SCTPCTL, Target());
  Finished session = RunToEnd(ctl + " session open --lease-ms 120000");
  ASSERT_EQ(session.exit_code, 0) << session.output;
  ctl += " --session " + session.output.substr(0, session.output.find('\n'));
  const std::string secret_file = absl::StrCat("/tmp/sctpctl-secret-", getpid());
  std::ofstream(secret_file) << "shared-secret";  // No newline: every byte counts.

  Finished endpoint = RunToEnd(ctl + " endpoint open 127.0.0.1 --listen --reset-streams " +
                               "--add-streams --scheduler rr --auth --auth-chunk 0 --auth-key 1:" +
                               secret_file + " --auth-active-key 1");
  ASSERT_EQ(endpoint.exit_code, 0) << endpoint.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(
      endpoint.output, match,
      std::regex("^endpoint ([0-9]+) port ([0-9]+) listening .* reset-streams add-streams "
                 "scheduler rr auth chunks 0 keys 1\n")))
      << endpoint.output;
  std::string endpoint_id = match[1], port = match[2];

  auto peer = Subprocess::Start(
      {"/usr/bin/python3", std::string(SCTPGW_SOURCE_DIR) + "/tests/lab/tools/sctp_extensions_peer.py",
       "connect", "127.0.0.1", port, "--reconfig", "--auth-key", "1:shared-secret", "--auth-chunk",
       "0"},
      /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("send 1 5 ping\n").ok());
  Finished received = RunToEnd(ctl + " receive --endpoint " + endpoint_id + " --wait-ms 20000");
  ASSERT_EQ(received.exit_code, 0) << received.output;
  ASSERT_TRUE(std::regex_search(received.output, match,
                                std::regex("^association ([0-9]+) stream 1 ppid 5: ping\n")))
      << received.output;
  const std::string association = match[1];

  Finished status = RunToEnd(ctl + " status " + association);
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("streams: scheduler rr, interleaving off, reconfiguration "
                               "reset-streams,add-streams\n"),
            std::string::npos)
      << status.output;
  EXPECT_NE(status.output.find("auth: active key 1, chunks authenticated here 0, by the peer 0\n"),
            std::string::npos)
      << status.output;

  Finished schedule =
      RunToEnd(ctl + " streams schedule " + association + " --scheduler priority --value 1=3");
  EXPECT_EQ(schedule.exit_code, 0) << schedule.output;
  EXPECT_EQ(schedule.output, "scheduler priority\nstream 1 value 3\n");
  EXPECT_EQ(RunToEnd(ctl + " streams add " + association + " --out 2").exit_code, 0);
  auto changed = peer->ReadStdoutUntil("note stream_change", kTimeout);
  EXPECT_TRUE(changed.ok()) << changed.status();
  // The add may still wait for the peer's answer here: a retryable
  // RECONFIGURATION_PENDING, retried as a script would.
  Finished reset_run;
  for (auto until = std::chrono::steady_clock::now() + kTimeout;
       std::chrono::steady_clock::now() < until;) {
    reset_run = RunToEnd(ctl + " streams reset " + association + " --stream 1");
    if (reset_run.output.find("RECONFIGURATION_PENDING") == std::string::npos) break;
  }
  EXPECT_EQ(reset_run.exit_code, 0) << reset_run.output;
  auto reset = peer->ReadStdoutUntil("note stream_reset 1 1\n", kTimeout);
  EXPECT_TRUE(reset.ok()) << reset.status();
  // Not allowed on this endpoint: exit 1, the reason said.
  Finished whole = RunToEnd(ctl + " streams reset-association " + association);
  EXPECT_EQ(whole.exit_code, 1) << whole.output;
  EXPECT_NE(whole.output.find("STREAM_RECONFIGURATION_UNAVAILABLE"), std::string::npos)
      << whole.output;

  Finished added = RunToEnd(ctl + " auth-key add 2 --association " + association +
                            " --secret-file " + secret_file);
  EXPECT_EQ(added.exit_code, 0) << added.output;
  Finished active = RunToEnd(ctl + " auth-key delete 1 --association " + association);
  EXPECT_EQ(active.exit_code, 1) << active.output;
  EXPECT_NE(active.output.find("AUTH_KEY_ACTIVE"), std::string::npos) << active.output;
  EXPECT_EQ(active.output.find("shared-secret"), std::string::npos) << active.output;
  std::remove(secret_file.c_str());
}

// sctpctl capture: what passes over an endpoint's associations, written as
// pcap while the messages flow (a Python kernel-socket peer on one side),
// and read by tshark: ports, streams, PPIDs, the unordered flag and the
// kernel's TSNs as they passed, the payload bytes as sent and received, the
// PPIDs decoded by Wireshark's dissectors (60 NGAP, 18 S1AP). The same
// capture to a pipe is read by tshark from standard input.
TEST_F(ExamplesLabTest, SctpctlCaptureWritesPcapThatTsharkDecodes) {
  std::string ctl, endpoint_id, port;
  ASSERT_NO_FATAL_FAILURE(OpenListeningSession(&ctl, &endpoint_id, &port));
  std::smatch match;

  // Two captures of the endpoint, in force before the association exists:
  // one to a file, one through a pipe into tshark.
  std::string file = absl::StrCat("/tmp/sctpgw-capture-", getpid(), ".pcap");
  auto capture = StartShell(ctl + " capture --endpoint " + endpoint_id + " -c 4 -w " + file,
                            /*keep_stdin=*/false);
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_TRUE(capture->ReadStdoutUntil("capture: started\n", kTimeout).ok());
  auto piped = StartShell("sh -c '" + ctl + " capture --endpoint " + endpoint_id +
                              " -c 4 | tshark -n -r - -T fields -e sctp.data_sid" +
                              " -e sctp.data_payload_proto_id 2>/dev/null'",
                          /*keep_stdin=*/false);
  ASSERT_TRUE(piped.ok()) << piped.status();
  ASSERT_TRUE(piped->ReadStdoutUntil("capture: started\n", kTimeout).ok());

  auto peer = Subprocess::Start(
      {"/usr/bin/python3", PeerScript(), "connect", "127.0.0.1", port}, /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("1 60 ngap-setup\n2 18 s1ap-setup\nrecv 2\n").ok());
  // Printed as they arrive on a ReceiveStream; --count ends it.
  Finished received = RunToEnd(ctl + " receive --follow --endpoint " + endpoint_id + " --count 2");
  ASSERT_EQ(received.exit_code, 0) << received.output;
  ASSERT_TRUE(std::regex_search(received.output, match, std::regex("^association ([0-9]+) ")))
      << received.output;
  std::string association = match[1];
  EXPECT_EQ(received.output, "association " + association + " stream 1 ppid 60: ngap-setup\n" +
                                 "association " + association + " stream 2 ppid 18: s1ap-setup\n");
  EXPECT_EQ(RunToEnd(ctl + " send " + association + " ngap-response --stream 1 --ppid 60")
                .exit_code, 0);
  EXPECT_EQ(RunToEnd(ctl + " send " + association + " s1ap-response --stream 3 --ppid 18 "
                     "--unordered").exit_code, 0);
  auto got = peer->ReadStdoutUntil("done\n", kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();

  auto captured = capture->Wait(kTimeout);
  ASSERT_TRUE(captured.ok()) << captured.status();
  std::string summary = capture->ReadStdout(0ms);
  EXPECT_EQ(WEXITSTATUS(*captured), 0) << summary;
  EXPECT_NE(summary.find("capture: 4 messages, 0 dropped"), std::string::npos) << summary;

  // (tshark warns on standard error when run as root: kept out.)
  Finished fields = RunToEnd(absl::StrCat(
      "sh -c 'tshark -n -r ", file, " -o sctp.checksum:CRC-32C",
      " -T fields -E separator=, -e ip.src -e ip.dst -e sctp.dstport -e sctp.data_sid",
      " -e sctp.data_payload_proto_id -e sctp.data_u_bit -e sctp.checksum.status",
      " -e frame.protocols -e sctp.data_tsn_raw 2>/dev/null'"));
  ASSERT_EQ(fields.exit_code, 0) << fields.output;
  std::vector<std::string> lines = absl::StrSplit(fields.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << fields.output;
  std::string to_us = absl::StrCat("127.0.0.1,127.0.0.1,", port, ",");
  EXPECT_EQ(lines[0].substr(0, lines[0].rfind(',')), to_us + "0x0001,60,0,1,raw:ip:sctp:ngap");
  EXPECT_EQ(lines[1].substr(0, lines[1].rfind(',')), to_us + "0x0002,18,0,1,raw:ip:sctp:s1ap");
  // Sent ones go to the peer's port; their TSNs are sctpctl's count.
  EXPECT_NE(lines[2].find(",0x0001,60,0,1,raw:ip:sctp:ngap,"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find(",0x0003,18,1,1,raw:ip:sctp:s1ap,"), std::string::npos) << lines[3];
  // The peer's two messages: the kernel's TSNs, one after the other.
  uint64_t first_tsn = std::stoull(lines[0].substr(lines[0].rfind(',') + 1));
  uint64_t second_tsn = std::stoull(lines[1].substr(lines[1].rfind(',') + 1));
  EXPECT_EQ(second_tsn, first_tsn + 1);

  Finished bytes = RunToEnd(absl::StrCat("sh -c 'tshark -n -r ", file,
                                         " --disable-protocol ngap --disable-protocol s1ap",
                                         " -T fields -e data.data 2>/dev/null'"));
  EXPECT_EQ(bytes.output, absl::StrCat(absl::BytesToHexString("ngap-setup"), "\n",
                                       absl::BytesToHexString("s1ap-setup"), "\n",
                                       absl::BytesToHexString("ngap-response"), "\n",
                                       absl::BytesToHexString("s1ap-response"), "\n"));
  std::remove(file.c_str());

  auto through_pipe = piped->Wait(kTimeout);
  ASSERT_TRUE(through_pipe.ok()) << through_pipe.status();
  std::string piped_output = piped->ReadStdout(0ms);
  EXPECT_NE(piped_output.find("0x0001\t60\n0x0002\t18\n0x0001\t60\n0x0003\t18\n"), std::string::npos) << piped_output;
  EXPECT_NE(piped_output.find("capture: 4 messages, 0 dropped"), std::string::npos) << piped_output;
}

// sctpctl top on a terminal (script(1) gives it a pty): the session's
// association with its state and path, redrawn in place (the screen is
// cleared before each frame), a new event shown at once, 'q' quits.
TEST_F(ExamplesLabTest, SctpctlTopShowsAssociationsLiveOnATerminal) {
  std::string ctl, endpoint_id, port;
  ASSERT_NO_FATAL_FAILURE(OpenListeningSession(&ctl, &endpoint_id, &port));
  std::smatch match;
  auto peer = Subprocess::Start(
      {"/usr/bin/python3", PeerScript(), "connect", "127.0.0.1", port}, /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("1 5 hello\nrecv 1\n").ok());
  Finished received = RunToEnd(ctl + " receive --endpoint " + endpoint_id + " --wait-ms 20000");
  ASSERT_EQ(received.exit_code, 0) << received.output;
  ASSERT_TRUE(std::regex_search(received.output, match, std::regex("^association ([0-9]+) ")))
      << received.output;
  std::string association = match[1];

  auto top = Subprocess::Start({"script", "-qfec", ctl + " top --interval-ms 500", "/dev/null"},
                               /*keep_stdin=*/true);
  ASSERT_TRUE(top.ok()) << top.status();
  // A frame: cleared screen, header, the association's row and its path.
  auto frame = top->ReadStdoutUntil("latest events", kTimeout);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_NE(frame->find("\x1b[H\x1b[2J"), std::string::npos) << *frame;
  EXPECT_TRUE(std::regex_search(*frame, std::regex("sctpgw top +session [0-9a-f]{8} ")))
      << *frame;
  EXPECT_TRUE(std::regex_search(
      *frame, std::regex(" " + association + " +[0-9]+ ESTABLISHED +127\\.0\\.0\\.1:[0-9]+ +[0-9]+/[0-9]+ ")))
      << *frame;
  EXPECT_TRUE(std::regex_search(*frame, std::regex("path 127\\.0\\.0\\.1:[0-9]+ +ACTIVE +srtt +[0-9]+ ms"
                                                   ".* primary")))
      << *frame;
  // The next frames redraw in place; an event appears without waiting.
  auto redrawn = top->ReadStdoutUntil("\x1b[H\x1b[2J", kTimeout);
  ASSERT_TRUE(redrawn.ok()) << redrawn.status();
  // The other commands of paths, addresses and the lease, while top runs.
  Finished paths = RunToEnd(ctl + " paths " + association +
                            " --heartbeat-interval-ms 5000 --rto-min-ms 300 --rto-max-ms 4000");
  EXPECT_EQ(paths.exit_code, 0) << paths.output;
  EXPECT_NE(paths.output.find("/300/4000 ms "), std::string::npos) << paths.output;
  EXPECT_NE(paths.output.find(" heartbeat 5000 ms "), std::string::npos) << paths.output;
  Finished path = RunToEnd(ctl + " paths " + association +
                           " --peer 127.0.0.1 --path-max-retransmissions 4");
  EXPECT_EQ(path.exit_code, 0) << path.output;
  EXPECT_TRUE(std::regex_search(path.output, std::regex("\npath 127\\.0\\.0\\.1:[0-9]+ ACTIVE "
                                                        ".* path-max-retransmissions 4 ")))
      << path.output;
  Finished bad_path = RunToEnd(ctl + " paths " + association + " --rto-min-ms 0");
  EXPECT_EQ(bad_path.exit_code, 2) << bad_path.output;
  EXPECT_EQ(RunToEnd(ctl + " session renew").exit_code, 0);
  Finished added = RunToEnd(ctl + " addresses " + endpoint_id + " --add 127.0.0.2");
  EXPECT_EQ(added.exit_code, 0) << added.output;
  EXPECT_NE(added.output.find("127.0.0.1,127.0.0.2"), std::string::npos) << added.output;

  Finished shutdown = RunToEnd(ctl + " shutdown " + association);
  EXPECT_EQ(shutdown.exit_code, 0) << shutdown.output;
  auto shown = top->ReadStdoutUntil("SHUTDOWN_COMP association " + association, kTimeout);
  EXPECT_TRUE(shown.ok()) << shown.status();
  ASSERT_TRUE(top->WriteStdin("q").ok());
  auto exited = top->Wait(kTimeout);
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0);
  peer->CloseStdin();
}

TEST_F(ExamplesLabTest, SctpctlDrivesASessionWithReliableExitCodes) {
  std::string ctl = absl::StrCat(SCTPCTL, Target());
  Finished health = RunToEnd(ctl + " health");
  EXPECT_EQ(health.exit_code, 0);
  EXPECT_EQ(health.output, "SERVING\n");
  Finished away = RunToEnd(absl::StrCat(SCTPCTL, " --target unix:/tmp/no-sctpgw-here.sock health"));
  EXPECT_EQ(away.exit_code, 3) << away.output;

  Finished session = RunToEnd(ctl + " session open --lease-ms 120000");
  ASSERT_EQ(session.exit_code, 0) << session.output;
  std::string id = session.output.substr(0, session.output.find('\n'));
  ASSERT_EQ(id.size(), 32u) << session.output;
  ctl += " --session " + id;

  Finished endpoint = RunToEnd(ctl + " endpoint open 127.0.0.1 --listen --streams 8");
  ASSERT_EQ(endpoint.exit_code, 0) << endpoint.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(endpoint.output, match,
                                std::regex("^endpoint ([0-9]+) port ([0-9]+) listening")))
      << endpoint.output;
  std::string endpoint_id = match[1], port = match[2];

  auto peer = Subprocess::Start(
      {"/usr/bin/python3", PeerScript(), "connect", "127.0.0.1", port}, /*keep_stdin=*/true);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->WriteStdin("1 5 ping\nrecv 1\n").ok());

  Finished received = RunToEnd(ctl + " receive --endpoint " + endpoint_id + " --wait-ms 20000");
  ASSERT_EQ(received.exit_code, 0) << received.output;
  ASSERT_TRUE(std::regex_search(received.output, match,
                                std::regex("^association ([0-9]+) stream 1 ppid 5: ping\n")))
      << received.output;
  std::string association = match[1];

  Finished events = RunToEnd(ctl + " events --count 1");
  EXPECT_EQ(events.exit_code, 0) << events.output;
  EXPECT_NE(events.output.find("COMM_UP association " + association), std::string::npos)
      << events.output;

  Finished send = RunToEnd(ctl + " send " + association + " pong --stream 1 --ppid 5");
  EXPECT_EQ(send.exit_code, 0) << send.output;
  auto got = peer->ReadStdoutUntil("done\n", kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_NE(got->find("got 1 5 pong"), std::string::npos) << *got;

  Finished status = RunToEnd(ctl + " status " + association);
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_TRUE(std::regex_search(status.output, std::regex("127\\.0\\.0\\.1 +ACTIVE +yes")))
      << status.output;
  Finished json = RunToEnd(ctl + " --json status " + association);
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_NE(json.output.find("\"association_id\":\"" + association + "\""), std::string::npos)
      << json.output;
  Finished listed = RunToEnd(ctl + " list");
  EXPECT_NE(listed.output.find("association " + association + " endpoint " + endpoint_id +
                               " ESTABLISHED incoming"),
            std::string::npos)
      << listed.output;

  // Errors: unknown association (4), nothing to receive in time (5), bad
  // arguments here (2) and as judged by sctpgw (2), no session (2).
  Finished unknown = RunToEnd(ctl + " status 999");
  EXPECT_EQ(unknown.exit_code, 4) << unknown.output;
  EXPECT_NE(unknown.output.find("NOT_FOUND ASSOCIATION_NOT_FOUND"), std::string::npos)
      << unknown.output;
  Finished quiet = RunToEnd(ctl + " receive --association " + association + " --wait-ms 300");
  EXPECT_EQ(quiet.exit_code, 5) << quiet.output;
  EXPECT_EQ(RunToEnd(ctl + " associate " + endpoint_id + " 127.0.0.1").exit_code, 2);
  Finished bad_address = RunToEnd(ctl + " associate " + endpoint_id + " not-an-ip --port 9");
  EXPECT_EQ(bad_address.exit_code, 2) << bad_address.output;
  EXPECT_NE(bad_address.output.find("INVALID_ADDRESS"), std::string::npos) << bad_address.output;
  EXPECT_EQ(RunToEnd(absl::StrCat(SCTPCTL, Target(), " list")).exit_code, 2);
  Finished help = RunToEnd(ctl + " send --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--ppid"), std::string::npos) << help.output;

  // events --follow prints what happens next, live, until interrupted.
  auto follow = StartShell(ctl + " events --follow", /*keep_stdin=*/false);
  ASSERT_TRUE(follow.ok()) << follow.status();
  Finished shutdown = RunToEnd(ctl + " shutdown " + association);
  EXPECT_EQ(shutdown.exit_code, 0) << shutdown.output;
  auto live = follow->ReadStdoutUntil("SHUTDOWN_COMP association " + association, kTimeout);
  EXPECT_TRUE(live.ok()) << live.status() << follow->ReadStdout(0ms);
  follow->Signal(SIGTERM);
  auto followed = follow->Wait(kTimeout);
  ASSERT_TRUE(followed.ok()) << followed.status();
  EXPECT_TRUE(WIFEXITED(*followed) && WEXITSTATUS(*followed) == 0) << *followed;
  peer->CloseStdin();
  EXPECT_TRUE(peer->Wait(kTimeout).ok());
  EXPECT_EQ(RunToEnd(ctl + " session close").exit_code, 0);
  EXPECT_EQ(RunToEnd(ctl + " list").exit_code, 4);
}

}  // namespace
}  // namespace sctpgw
