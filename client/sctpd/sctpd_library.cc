#include "sctpd_library.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sctpd_mapping.h"

namespace sctpgw::sctpd {
namespace {

constexpr char kMagic[8] = {'s', 'c', 't', 'p', 'd', '\0', 'v', '1'};
// sctpd_send's context numbers kept for SEND_FAILED at most; older ones
// come back as NULL.
constexpr size_t kMaxContexts = 65536;
// Notifications waiting for the application at most (see Queue).
constexpr size_t kMaxNotices = 4096;

Library* g_library = nullptr;
thread_local std::string t_last_error;

}  // namespace

Library* Library::Get() { return g_library; }

void Library::SetLastError(const absl::Status& status) { t_last_error = ErrorText(status); }
const char* Library::LastError() { return t_last_error.c_str(); }
int Library::Result(const absl::Status& status) {
  SetLastError(status);
  return ToReturnCode(status);
}

int Library::Init(unsigned short notification_port) {
  if (g_library != nullptr) return SCTP_LIBRARY_ALREADY_INITIALIZED;
  auto* library = new Library();
  int result = library->Open(notification_port);
  if (result != SCTP_SUCCESS) {
    delete library;
    return result;
  }
  g_library = library;  // Lives as long as the process, as the SCTP library's state did.
  return SCTP_SUCCESS;
}

int Library::Open(unsigned short notification_port) {
  if (notification_port == 0) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) return SCTP_OUT_OF_RESOURCES;
    receive_fd_.Reset(fds[0]);
    send_fd_.Reset(fds[1]);  // Blocking: a full socket holds the sender back.
  } else {
    // The old daemon's notification port: a UDP socket on 127.0.0.1.
    receive_fd_.Reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    send_fd_.Reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(notification_port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!receive_fd_.valid() || !send_fd_.valid() ||
        bind(receive_fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        connect(send_fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      SetLastError(absl::FailedPreconditionError(
          absl::StrCat("cannot bind the notification port 127.0.0.1:", notification_port)));
      return SCTP_OUT_OF_RESOURCES;
    }
  }
  int flags = fcntl(receive_fd_.get(), F_GETFL);
  fcntl(receive_fd_.get(), F_SETFL, flags | O_NONBLOCK);

  client::ClientOptions options;
  if (const char* target = std::getenv("SCTPGW_TARGET")) options.target = target;
  options.client_name = "libsctpd";
  options.delivery = client::EventDelivery::kLibraryThread;
  auto connected = client::Client::Connect(options, this);
  if (!connected.ok()) {
    SetLastError(connected.status());
    return SCTP_MODULE_NOT_FOUND;  // sctpgw, the daemon, is not there.
  }
  client_ = std::move(*connected);
  SetLastError(absl::OkStatus());
  return SCTP_SUCCESS;
}

// ---------------------------------------------------------------- notices

void Library::Queue(Notice notice) {
  unsigned char datagram[SCTPD_NOTIFICATION_BYTES] = {};
  {
    absl::MutexLock lock(&mu_);
    // Full: this thread (the event stream's, or a receiver's) waits, and so
    // stops reading sctpgw's streams, until the application catches up.
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return notices_.size() < kMaxNotices;
    };
    mu_.Await(absl::Condition(&room));
    notice.id = next_notice_++;
    std::memcpy(datagram, kMagic, sizeof(kMagic));
    std::memcpy(datagram + sizeof(kMagic), &notice.id, sizeof(notice.id));
    notices_.push_back(std::move(notice));
  }
  // A full socket drops it: the datagrams already waiting run this notice too.
  (void)!send(send_fd_.get(), datagram, sizeof(datagram), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void Library::OnAssociationChange(const v1::Event& e, const v1::AssociationChange&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnPeerAddressChange(const v1::Event& e, const v1::PeerAddressChange&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnSendFailed(const v1::Event& e, const v1::SendFailed&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnShutdown(const v1::Event& e, const v1::ShutdownEvent&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnRemoteError(const v1::Event& e, const v1::RemoteError&) {
  Notice notice;
  notice.event = e;
  Queue(std::move(notice));
}
void Library::OnMessage(const v1::InboundMessage& message) {
  Notice notice;
  notice.message = message;
  Queue(std::move(notice));
}
void Library::OnAssociated(uint64_t tag, const absl::StatusOr<v1::Association>& result) {
  Notice notice;
  notice.tag = tag;
  notice.result = result;
  Queue(std::move(notice));
}
void Library::OnShutdownComplete(uint64_t, uint64_t association_id, const absl::Status& status) {
  Notice notice;
  notice.shut_down = association_id;
  notice.status = status;
  Queue(std::move(notice));
}
void Library::OnStreamStatus(const absl::Status& status) {
  // NOT_FOUND: the session is gone and the event stream stops. Other states
  // (reconnecting, reconnected) leave the associations as they are.
  if (status.code() != absl::StatusCode::kNotFound) return;
  Notice notice;
  notice.session_lost = true;
  notice.status = status;
  Queue(std::move(notice));
}

int Library::Dispatch(const unsigned char* buffer) {
  if (buffer == nullptr || std::memcmp(buffer, kMagic, sizeof(kMagic)) != 0) {
    return SCTP_PARAMETER_PROBLEM;
  }
  RunWaiting();
  return SCTP_SUCCESS;
}

int Library::RunWaiting() {
  int ran = 0;
  while (true) {
    Notice notice;
    {
      absl::MutexLock lock(&mu_);
      if (notices_.empty()) break;
      notice = std::move(notices_.front());
      notices_.pop_front();
    }
    Run(notice);  // Without the lock: callbacks may call the library.
    ++ran;
  }
  return ran;
}

int Library::DispatchWaiting() {
  unsigned char datagram[SCTPD_NOTIFICATION_BYTES];
  while (recv(receive_fd_.get(), datagram, sizeof(datagram), MSG_DONTWAIT) > 0) {
  }
  return RunWaiting();
}

void Library::Run(const Notice& notice) {
  if (notice.tag.has_value()) {
    RunAssociated(*notice.tag, notice.result);
  } else if (notice.shut_down.has_value()) {
    RunShutDown(*notice.shut_down, notice.status);
  } else if (notice.session_lost) {
    RunSessionLost(notice.status);
  } else if (notice.message.has_value()) {
    RunMessage(*notice.message);
  } else if (notice.event.has_value()) {
    RunEvent(*notice.event);
  }
}

// ---------------------------------------------------------------- lookups

Association* Library::Find(unsigned int id) {
  auto it = associations_.find(id);
  return it == associations_.end() ? nullptr : &it->second;
}

Association* Library::ByGateway(uint64_t gateway_id) {
  auto it = by_gateway_.find(gateway_id);
  return it == by_gateway_.end() ? nullptr : Find(it->second);
}

const Instance* Library::InstanceOf(const Association& association) const {
  auto it = instances_.find(association.instance);
  return it == instances_.end() ? nullptr : &it->second;
}

std::string Library::PeerAt(const Association& association, short path) const {
  if (path < 0 || static_cast<size_t>(path) >= association.peer_addresses.size()) return "";
  return association.peer_addresses[static_cast<size_t>(path)];
}

short Library::IndexOf(const Association& association, const std::string& address) const {
  auto it = std::find(association.peer_addresses.begin(), association.peer_addresses.end(),
                      address);
  return it == association.peer_addresses.end()
             ? -1
             : static_cast<short>(it - association.peer_addresses.begin());
}

uint32_t Library::ContextNumber(void* context) {
  if (context == nullptr) return 0;
  uint32_t number = next_context_++;
  if (next_context_ == 0) next_context_ = 1;
  contexts_[number] = context;
  while (contexts_.size() > kMaxContexts) contexts_.erase(contexts_.begin());
  return number;
}

void* Library::ContextPointer(uint32_t context) const {
  auto it = contexts_.find(context);
  return it == contexts_.end() ? nullptr : it->second;
}

}  // namespace sctpgw::sctpd
