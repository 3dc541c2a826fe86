// libsctpd (ua.h) against sctpgw's core and rpc layers over the in-memory
// SCTP stack (sctpgw_native_server): the callbacks the SCTP library made,
// with their arguments and in their order, always on the application's
// thread; the return codes; destination address indexes; both ways of
// dispatching (the notification socket with dispatchUAMesg(), and
// sctpd_eventLoop()); and associations reported lost when sctpgw loses the
// session. Kernel SCTP is proven in the lab (examples_lab_test); this is
// the mapping.
//
// libsctpd is one library per process, so these tests share it and run in
// order; each uses instances and associations of its own.
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/lab/support/process.h"
#include "ua.h"

namespace {

using namespace std::chrono_literals;
using sctpgw::testing::Subprocess;

constexpr auto kTimeout = 20s;
constexpr unsigned short kEchoPort = 7;  // The memory stack's echo peer.

std::thread::id g_application_thread;
std::vector<std::string> g_calls;  // "instance-tag: callback args", in order.
int g_markers[8];                  // ULP data pointers the tests hand out.

std::string Tag(void* ulp) {
  for (int i = 0; i < 8; ++i) {
    if (ulp == &g_markers[i]) return absl::StrCat("ulp", i);
  }
  return ulp == nullptr ? "null" : "other";
}

void Record(std::string call) {
  EXPECT_EQ(std::this_thread::get_id(), g_application_thread) << "callback off thread: " << call;
  g_calls.push_back(std::move(call));
}

// The callbacks, recording their arguments. communicationUpNotif hands back
// ulp_up (set by the test) so that later callbacks show it arrived.
void* g_ulp_up = nullptr;
void DataArrive(unsigned int assoc, unsigned int stream, unsigned int length, unsigned short,
                unsigned int, unsigned int ppid, unsigned int unordered, void* ulp) {
  Record(absl::StrCat("data ", assoc, " stream=", stream, " len=", length, " ppid=", ppid,
                      " unordered=", unordered, " ", Tag(ulp)));
}
void SendFailure(unsigned int assoc, unsigned char*, unsigned int length, unsigned int*,
                 void* ulp) {
  Record(absl::StrCat("sendfailure ", assoc, " len=", length, " ", Tag(ulp)));
}
void NetworkStatus(unsigned int assoc, short index, unsigned short state, void* ulp) {
  Record(absl::StrCat("path ", assoc, " index=", index, " state=", state, " ", Tag(ulp)));
}
void* CommunicationUp(unsigned int assoc, int status, unsigned int paths, unsigned short in,
                      unsigned short out, int, void* ulp) {
  Record(absl::StrCat("up ", assoc, " status=", status, " paths=", paths, " in=", in,
                      " out=", out, " ", Tag(ulp)));
  return g_ulp_up;
}
void CommunicationLost(unsigned int assoc, unsigned short status, void* ulp) {
  Record(absl::StrCat("lost ", assoc, " status=", status, " ", Tag(ulp)));
}
void CommunicationError(unsigned int assoc, unsigned short cause, void* ulp) {
  Record(absl::StrCat("error ", assoc, " cause=", cause, " ", Tag(ulp)));
}
void Restart(unsigned int assoc, void* ulp) { Record(absl::StrCat("restart ", assoc, " ", Tag(ulp))); }
void PeerShutdown(unsigned int assoc, void* ulp) {
  Record(absl::StrCat("peershutdown ", assoc, " ", Tag(ulp)));
}
void ShutdownComplete(unsigned int assoc, void* ulp) {
  Record(absl::StrCat("shutdowncomplete ", assoc, " ", Tag(ulp)));
}

UDP_UA_CB Callbacks() {
  UDP_UA_CB cb;
  std::memset(&cb, 0, sizeof(cb));
  cb.dataArriveNotif = DataArrive;
  cb.sendFailureNotif = SendFailure;
  cb.networkStatusChangeNotif = NetworkStatus;
  cb.communicationUpNotif = CommunicationUp;
  cb.communicationLostNotif = CommunicationLost;
  cb.communicationErrorNotif = CommunicationError;
  cb.restartNotif = Restart;
  cb.peerShutdownReceivedNotif = PeerShutdown;
  cb.shutdownCompleteNotif = ShutdownComplete;
  return cb;
}

// Reads the notification socket and passes each datagram to
// dispatchUAMesg() until `done` holds or kTimeout passes.
bool DispatchUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  const int fd = sctpd_getNotificationFd();
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    unsigned char datagram[SCTPD_NOTIFICATION_BYTES];
    if (read(fd, datagram, sizeof(datagram)) != SCTPD_NOTIFICATION_BYTES) continue;
    EXPECT_EQ(dispatchUAMesg(datagram), SCTP_SUCCESS);
  }
  return true;
}

bool Seen(const std::string& call) {
  for (const std::string& c : g_calls) {
    if (c == call) return true;
  }
  return false;
}

// Dispatches until `call` was made; the calls so far on failure.
::testing::AssertionResult AwaitCall(const std::string& call) {
  if (DispatchUntil([&] { return Seen(call); })) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no \"" << call << "\" within " << kTimeout.count()
                                       << " s; calls: " << absl::StrJoin(g_calls, " | ");
}

short Register(unsigned short port, const char* address) {
  unsigned char addresses[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN] = {};
  std::strcpy(reinterpret_cast<char*>(addresses[0]), address);
  return sctpd_registerInstance(port, 5, 5, 1, addresses, Callbacks());
}

unsigned int Associate(short instance, const char* address, unsigned short port, void* ulp) {
  unsigned char destination[SCTP_MAX_IP_LEN] = {};
  std::strcpy(reinterpret_cast<char*>(destination), address);
  return sctpd_associate(static_cast<unsigned int>(instance), 5, destination, port, ulp);
}

int SendText(unsigned int assoc, unsigned short stream, const std::string& text,
             unsigned int ppid, int unordered = SCTP_ORDERED_DELIVERY, short path = SCTP_USE_PRIMARY) {
  std::string copy = text;
  return sctpd_send(assoc, stream, reinterpret_cast<unsigned char*>(copy.data()),
                    static_cast<unsigned int>(copy.size()), ppid, path, nullptr,
                    SCTP_INFINITE_LIFETIME, unordered, SCTP_BUNDLING_ENABLED);
}

// Two instances of this application, one listening on `port` at
// `server_address`, and an association from the other to it: `out` is the
// associating side's, `in` the listening side's (whose communicationUp says
// VALID_COOKIE and got no ULP data).
struct Connected {
  short server = 0, client = 0;
  unsigned int out = 0, in = 0;
};
void Connect(unsigned short port, const char* server_address, const char* client_address,
             void* ulp, Connected* c) {
  c->server = Register(port, server_address);
  ASSERT_GT(c->server, 0) << sctpd_lastError();
  c->client = Register(0, client_address);
  ASSERT_GT(c->client, 0) << sctpd_lastError();
  c->out = Associate(c->client, server_address, port, ulp);
  ASSERT_NE(c->out, 0u) << sctpd_lastError();
  ASSERT_TRUE(AwaitCall(absl::StrCat("up ", c->out, " status=", SCTP_COMM_UP_RECEIVED_COOKIE_ACK,
                                     " paths=1 in=5 out=5 ", Tag(ulp))));
  ASSERT_TRUE(DispatchUntil([&] {
    for (const std::string& call : g_calls) {
      unsigned int id = 0;
      if (std::sscanf(call.c_str(), "up %u", &id) == 1 && id != c->out) {
        EXPECT_EQ(call, absl::StrCat("up ", id, " status=", SCTP_COMM_UP_RECEIVED_VALID_COOKIE,
                                     " paths=1 in=5 out=5 null"));
        c->in = id;
      }
    }
    return c->in != 0;
  })) << absl::StrJoin(g_calls, " | ");
}

// sctpgw over the memory stack, on a unix socket of this test's own.
class NativeServer {
 public:
  static std::unique_ptr<NativeServer> Start(const std::string& path) {
    unlink(path.c_str());
    auto process = Subprocess::Start({SCTPGW_NATIVE_SERVER, "--listen", path});
    if (!process.ok()) return nullptr;
    auto server = std::unique_ptr<NativeServer>(new NativeServer(std::move(*process)));
    if (!server->process_.ReadStdoutUntil("ready", kTimeout).ok()) return nullptr;
    return server;
  }
  void Stop() {
    process_.Signal(SIGTERM);
    (void)process_.Wait(kTimeout);
  }

 private:
  explicit NativeServer(Subprocess process) : process_(std::move(process)) {}
  Subprocess process_;
};

std::string SocketPath() { return absl::StrCat(::testing::TempDir(), "sctpd-native-", getpid(), ".sock"); }
std::unique_ptr<NativeServer> g_server;

class SctpdLibraryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_application_thread = std::this_thread::get_id();
    g_server = NativeServer::Start(SocketPath());
    ASSERT_NE(g_server, nullptr) << "sctpgw_native_server did not start";
    setenv("SCTPGW_TARGET", absl::StrCat("unix:", SocketPath()).c_str(), 1);
    ASSERT_EQ(sctpd_initLibrary(0, 0), SCTP_SUCCESS) << sctpd_lastError();
  }
  static void TearDownTestSuite() {
    if (g_server != nullptr) g_server->Stop();
    g_server.reset();
  }
  void SetUp() override {
    ASSERT_NE(g_server, nullptr);
    g_calls.clear();
    g_ulp_up = nullptr;
  }
};

TEST_F(SctpdLibraryTest, InitTwiceIsRefused) {
  EXPECT_EQ(sctpd_initLibrary(0, 0), SCTP_LIBRARY_ALREADY_INITIALIZED);
  EXPECT_GE(sctpd_getNotificationFd(), 0);
}

// An outgoing association to the echo peer: communicationUp with the
// SCTP library's arguments and ULP data both ways, messages back with
// their stream and PPID, sctpd_receive's codes, the status calls by
// destination address index, and the graceful shutdown's callback.
TEST_F(SctpdLibraryTest, OutgoingAssociationEchoesAndShutsDown) {
  short instance = Register(0, "192.0.2.1");
  ASSERT_GT(instance, 0) << sctpd_lastError();
  g_ulp_up = &g_markers[1];
  unsigned int assoc = Associate(instance, "192.0.2.7", kEchoPort, &g_markers[0]);
  ASSERT_NE(assoc, 0u) << sctpd_lastError();
  // Sending before communicationUp: the association is not up yet.
  EXPECT_EQ(SendText(assoc, 0, "early", 1), SCTP_WRONG_STATE);
  ASSERT_TRUE(AwaitCall(absl::StrCat("up ", assoc, " status=", SCTP_COMM_UP_RECEIVED_COOKIE_ACK,
                                     " paths=1 in=5 out=5 ulp0")));

  ASSERT_EQ(SendText(assoc, 2, "hello, echo", 46), SCTP_SUCCESS) << sctpd_lastError();
  ASSERT_TRUE(AwaitCall(absl::StrCat("data ", assoc, " stream=2 len=11 ppid=46 unordered=0 ulp1")));

  unsigned char buffer[64];
  unsigned int length = 4;
  unsigned short ssn = 99;
  unsigned int tsn = 0, index = 7;
  EXPECT_EQ(sctpd_receive(assoc, 2, buffer, &length, &ssn, &tsn, SCTP_MSG_DEFAULT),
            SCTP_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 4u);  // Nothing taken.
  length = sizeof(buffer);
  EXPECT_EQ(sctpd_receive(assoc, 0, buffer, &length, &ssn, &tsn, SCTP_MSG_DEFAULT),
            SCTP_NO_CHUNKS_IN_QUEUE);  // Another stream.
  length = sizeof(buffer);
  ASSERT_EQ(sctpd_receivefrom(assoc, 2, buffer, &length, &ssn, &tsn, &index, SCTP_MSG_PEEK),
            SCTP_SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), length), "hello, echo");
  EXPECT_EQ(index, 0u);  // The only destination address.
  length = sizeof(buffer);
  ASSERT_EQ(sctpd_receive(assoc, 2, buffer, &length, &ssn, &tsn, SCTP_MSG_DEFAULT), SCTP_SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), length), "hello, echo");
  length = sizeof(buffer);
  EXPECT_EQ(sctpd_receive(assoc, 2, buffer, &length, &ssn, &tsn, SCTP_MSG_DEFAULT),
            SCTP_NO_CHUNKS_IN_QUEUE);  // Taken.

  // Destination address indexes: 0 is the peer, 1 does not exist.
  EXPECT_EQ(SendText(assoc, 1, "to path 0", 46, SCTP_ORDERED_DELIVERY, 0), SCTP_SUCCESS);
  EXPECT_EQ(SendText(assoc, 1, "to path 1", 46, SCTP_ORDERED_DELIVERY, 1), SCTP_PARAMETER_PROBLEM);
  SCTP_PathStatus path;
  ASSERT_EQ(sctpd_getPathStatus(assoc, 0, &path), SCTP_SUCCESS) << sctpd_lastError();
  EXPECT_STREQ(reinterpret_cast<char*>(path.destinationAddress), "192.0.2.7");
  EXPECT_EQ(path.state, SCTP_PATH_OK);
  EXPECT_EQ(sctpd_getPathStatus(assoc, 1, &path), SCTP_PARAMETER_PROBLEM);
  SCTP_AssociationStatus status;
  ASSERT_EQ(sctpd_getAssocStatus(assoc, &status), SCTP_SUCCESS) << sctpd_lastError();
  EXPECT_EQ(status.state, SCTP_ESTABLISHED);
  EXPECT_EQ(status.numberOfAddresses, 1);
  EXPECT_STREQ(reinterpret_cast<char*>(status.primaryDestinationAddress), "192.0.2.7");
  EXPECT_EQ(status.destPort, kEchoPort);
  EXPECT_EQ(status.outStreams, 5);
  EXPECT_EQ(status.inStreams, 5);
  EXPECT_EQ(status.primaryAddressIndex, 0);
  EXPECT_EQ(sctpd_getPrimary(assoc), 0);
  EXPECT_EQ(sctpd_setPrimary(assoc, 0), SCTP_SUCCESS) << sctpd_lastError();
  EXPECT_EQ(sctpd_setPrimary(assoc, 3), SCTP_PARAMETER_PROBLEM);
  unsigned short owner = 0;
  EXPECT_EQ(sctpd_getInstanceID(assoc, &owner), SCTP_SUCCESS);
  EXPECT_EQ(owner, static_cast<unsigned short>(instance));

  // Still up: it cannot be forgotten yet.
  EXPECT_EQ(sctpd_deleteAssociation(assoc), SCTP_WRONG_STATE);
  ASSERT_EQ(sctpd_shutdown(assoc), SCTP_SUCCESS);
  ASSERT_TRUE(AwaitCall(absl::StrCat("shutdowncomplete ", assoc, " ulp1")));
  EXPECT_EQ(SendText(assoc, 0, "after", 1), SCTP_WRONG_STATE);
  EXPECT_EQ(sctpd_shutdown(assoc), SCTP_WRONG_STATE);
  EXPECT_EQ(sctpd_deleteAssociation(assoc), SCTP_SUCCESS);
  EXPECT_EQ(SendText(assoc, 0, "forgotten", 1), SCTP_ASSOC_NOT_FOUND);
  EXPECT_EQ(sctpd_getAssocStatus(assoc, &status), SCTP_ASSOC_NOT_FOUND);
  EXPECT_EQ(sctpd_unregisterInstance(static_cast<unsigned short>(instance)), SCTP_SUCCESS);
  EXPECT_EQ(sctpd_unregisterInstance(static_cast<unsigned short>(instance)), SCTP_INSTANCE_NOT_FOUND);
}

// Two instances of this application, one listening: the incoming side's
// communicationUp says VALID_COOKIE, an unordered message arrives as such,
// and a graceful shutdown reaches the peer as peerShutdownReceived, then
// shutdownComplete, on each side in that order.
TEST_F(SctpdLibraryTest, IncomingAssociationAndPeerShutdownInOrder) {
  Connected c;
  ASSERT_NO_FATAL_FAILURE(Connect(38412, "192.0.2.2", "192.0.2.3", &g_markers[2], &c));
  const unsigned int out = c.out, in = c.in;
  EXPECT_EQ(SendText(out, 3, "unordered NGAP", 60, SCTP_UNORDERED_DELIVERY), SCTP_SUCCESS);
  ASSERT_TRUE(AwaitCall(absl::StrCat("data ", in, " stream=3 len=14 ppid=60 unordered=1 null")));
  unsigned char buffer[64];
  unsigned int length = sizeof(buffer);
  unsigned short ssn = 0;
  unsigned int tsn = 0;
  ASSERT_EQ(sctpd_receive(in, 3, buffer, &length, &ssn, &tsn, SCTP_MSG_DEFAULT), SCTP_SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), length), "unordered NGAP");

  g_calls.clear();
  ASSERT_EQ(sctpd_shutdown(out), SCTP_SUCCESS);
  ASSERT_TRUE(AwaitCall(absl::StrCat("shutdowncomplete ", in, " null")));
  ASSERT_TRUE(AwaitCall(absl::StrCat("shutdowncomplete ", out, " null")));
  // The listening side heard the peer's SHUTDOWN before its end.
  std::vector<std::string> on_in;
  for (const std::string& call : g_calls) {
    if (call.find(absl::StrCat(" ", in, " ")) != std::string::npos) on_in.push_back(call);
  }
  EXPECT_EQ(on_in, (std::vector<std::string>{absl::StrCat("peershutdown ", in, " null"),
                                             absl::StrCat("shutdowncomplete ", in, " null")}));
  EXPECT_EQ(sctpd_deleteAssociation(in), SCTP_SUCCESS);
  EXPECT_EQ(sctpd_deleteAssociation(out), SCTP_SUCCESS);
  EXPECT_EQ(sctpd_unregisterInstance(static_cast<unsigned short>(c.client)), SCTP_SUCCESS);
  EXPECT_EQ(sctpd_unregisterInstance(static_cast<unsigned short>(c.server)), SCTP_SUCCESS);
}

// An ABORT: communicationLost on both sides, the aborting side's status
// ABORTED, each reported once.
TEST_F(SctpdLibraryTest, AbortIsLostOnBothSidesOnce) {
  Connected c;
  ASSERT_NO_FATAL_FAILURE(Connect(36412, "192.0.2.4", "192.0.2.5", &g_markers[3], &c));
  const unsigned int out = c.out, in = c.in;
  ASSERT_EQ(sctpd_abort(out), SCTP_SUCCESS) << sctpd_lastError();
  ASSERT_TRUE(AwaitCall(absl::StrCat("lost ", out, " status=", SCTP_COMM_LOST_ABORTED, " null")));
  ASSERT_TRUE(DispatchUntil([&] {
    for (const std::string& call : g_calls) {
      if (call.rfind(absl::StrCat("lost ", in, " "), 0) == 0) return true;
    }
    return false;
  })) << absl::StrJoin(g_calls, " | ");
  int lost = 0;
  for (const std::string& call : g_calls) lost += call.rfind("lost ", 0) == 0 ? 1 : 0;
  EXPECT_EQ(lost, 2) << absl::StrJoin(g_calls, " | ");
  EXPECT_EQ(sctpd_abort(out), SCTP_WRONG_STATE) << sctpd_lastError();  // Ended.
  EXPECT_EQ(sctpd_deleteAssociation(out), SCTP_SUCCESS);
  EXPECT_EQ(sctpd_deleteAssociation(in), SCTP_SUCCESS);
  EXPECT_EQ(sctpd_unregisterInstance(static_cast<unsigned short>(c.client)), SCTP_SUCCESS);
  EXPECT_EQ(sctpd_unregisterInstance(static_cast<unsigned short>(c.server)), SCTP_SUCCESS);
}

// Nobody listens: sctpd_associate returns an id at once, as the SCTP
// library did, and the failure comes as communicationLost with
// ENDPOINT_UNREACHABLE and sctpgw's reason in sctpd_lastError().
TEST_F(SctpdLibraryTest, AssociateToNobodyIsLostAsUnreachable) {
  short client = Register(0, "192.0.2.6");
  ASSERT_GT(client, 0);
  unsigned int assoc = Associate(client, "192.0.2.99", 4444, &g_markers[4]);
  ASSERT_NE(assoc, 0u);
  ASSERT_TRUE(AwaitCall(
      absl::StrCat("lost ", assoc, " status=", SCTP_COMM_LOST_ENDPOINT_UNREACHABLE, " ulp4")));
  EXPECT_NE(std::string(sctpd_lastError()), "");
  EXPECT_FALSE(Seen(absl::StrCat("up ", assoc))) << absl::StrJoin(g_calls, " | ");
  EXPECT_EQ(sctpd_deleteAssociation(assoc), SCTP_SUCCESS);
  // Calls with what does not exist.
  EXPECT_EQ(Associate(77, "192.0.2.7", kEchoPort, nullptr), 0u);
  EXPECT_EQ(Associate(client, "192.0.2.7", 0, nullptr), 0u);
  EXPECT_EQ(sctpd_shutdown(424242), SCTP_ASSOC_NOT_FOUND);
  EXPECT_EQ(sctpd_abort(424242), SCTP_ASSOC_NOT_FOUND);
  SCTP_InstanceParameters defaults;
  EXPECT_EQ(sctpd_getAssocDefaults(77, &defaults), SCTP_INSTANCE_NOT_FOUND);
  ASSERT_EQ(sctpd_getAssocDefaults(static_cast<unsigned short>(client), &defaults), SCTP_SUCCESS);
  EXPECT_EQ(defaults.noOfLocalAddresses, 1u);
  EXPECT_STREQ(reinterpret_cast<char*>(defaults.localAddressList[0]), "192.0.2.6");
  EXPECT_EQ(defaults.inStreams, 5);
  sctpd_unregisterInstance(static_cast<unsigned short>(client));
}

// sctpd_eventLoop(): timers, the application's fds and sctpgw's
// notifications, every callback on the calling thread.
TEST_F(SctpdLibraryTest, EventLoopRunsTimersFdsAndNotifications) {
  short instance = Register(0, "192.0.2.8");
  ASSERT_GT(instance, 0);
  static int timer_fired = 0;
  static std::vector<std::string> fd_reads;
  timer_fired = 0;
  fd_reads.clear();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_EQ(sctpd_registerUserCallback(
                pipe_fds[0],
                [](int fd, short int, short int*, void*) {
                  EXPECT_EQ(std::this_thread::get_id(), g_application_thread);
                  char text[32];
                  ssize_t n = read(fd, text, sizeof(text));
                  if (n > 0) fd_reads.emplace_back(text, static_cast<size_t>(n));
                },
                nullptr, POLLIN),
            SCTP_SUCCESS);
  sctpd_startTimer(0, 20000,
                   [](unsigned int, void* p1, void*) {
                     EXPECT_EQ(std::this_thread::get_id(), g_application_thread);
                     *static_cast<int*>(p1) += 1;
                   },
                   &timer_fired, nullptr);
  ASSERT_EQ(write(pipe_fds[1], "ping", 4), 4);
  unsigned int assoc = Associate(instance, "192.0.2.7", kEchoPort, nullptr);
  ASSERT_NE(assoc, 0u);
  const std::string up = absl::StrCat("up ", assoc, " status=", SCTP_COMM_UP_RECEIVED_COOKIE_ACK,
                                      " paths=1 in=5 out=5 null");
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while ((timer_fired == 0 || fd_reads.empty() || !Seen(up)) &&
         std::chrono::steady_clock::now() < deadline) {
    // A guard timer bounds each wait.
    unsigned int guard = sctpd_startTimer(1, 0, [](unsigned int, void*, void*) {}, nullptr, nullptr);
    ASSERT_GE(sctpd_eventLoop(), 0);
    sctpd_stopTimer(guard);
  }
  EXPECT_EQ(timer_fired, 1);
  EXPECT_EQ(fd_reads, std::vector<std::string>{"ping"});
  EXPECT_TRUE(Seen(up)) << absl::StrJoin(g_calls, " | ");
  EXPECT_EQ(sctpd_unregisterUserCallback(pipe_fds[0]), SCTP_SUCCESS);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  EXPECT_EQ(sctpd_abort(assoc), SCTP_SUCCESS);
  ASSERT_TRUE(AwaitCall(absl::StrCat("lost ", assoc, " status=", SCTP_COMM_LOST_ABORTED, " null")));
  sctpd_unregisterInstance(static_cast<unsigned short>(instance));
}

// sctpgw restarts and the session is gone: each association still up is
// reported lost (FAILURE), with SESSION_NOT_FOUND in sctpd_lastError().
// Last: it ends the session these tests share.
TEST_F(SctpdLibraryTest, ZzSessionLostEndsEveryAssociation) {
  short instance = Register(0, "192.0.2.9");
  ASSERT_GT(instance, 0);
  unsigned int first = Associate(instance, "192.0.2.7", kEchoPort, &g_markers[5]);
  unsigned int second = Associate(instance, "192.0.2.17", kEchoPort, &g_markers[6]);
  g_ulp_up = &g_markers[7];
  ASSERT_TRUE(DispatchUntil([&] {
    return Seen(absl::StrCat("up ", first, " status=", SCTP_COMM_UP_RECEIVED_COOKIE_ACK,
                             " paths=1 in=5 out=5 ulp5")) &&
           Seen(absl::StrCat("up ", second, " status=", SCTP_COMM_UP_RECEIVED_COOKIE_ACK,
                             " paths=1 in=5 out=5 ulp6"));
  })) << absl::StrJoin(g_calls, " | ");
  g_server->Stop();
  g_server = NativeServer::Start(SocketPath());
  ASSERT_NE(g_server, nullptr);
  ASSERT_TRUE(AwaitCall(absl::StrCat("lost ", first, " status=", SCTP_COMM_LOST_FAILURE, " ulp7")));
  ASSERT_TRUE(AwaitCall(absl::StrCat("lost ", second, " status=", SCTP_COMM_LOST_FAILURE, " ulp7")));
  EXPECT_NE(std::string(sctpd_lastError()).find("SESSION_NOT_FOUND"), std::string::npos)
      << sctpd_lastError();
}

}  // namespace
