// The running sctpgw's side of a planned handover (docs/handover.md): a
// unix socket on which a new sctpgw started with --take-over asks for
// everything this one holds. One taker at a time; only a process of this
// one's user (or root) is heard. The protocol is in
// proto/sctpgw/handover/v1/handover.proto.
//
// A handover that fails at any point before the taker says it is ready
// (it refused, crashed, went silent, or sent something that is not the
// protocol) leaves this process serving: the host is thawed and the error
// logged. Once the taker is ready, this process lets go for good.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/net/unique_fd.h"

namespace sctpgw::handover {

// What the listener asks of the service it hands over.
class HandoverHost {
 public:
  virtual ~HandoverHost() = default;
  struct Frozen {
    std::string state;     // A serialised HandoverState.
    std::vector<int> fds;  // Borrowed: valid until Thaw() or Release().
  };
  // Stops reading and serving, and takes the state.
  virtual absl::StatusOr<Frozen> Freeze() = 0;
  // The handover failed: carry on serving.
  virtual void Thaw(const absl::Status& why) = 0;
  // The taker serves now: end every call with HANDED_OVER and stop
  // listening (the listening sockets, now the taker's, stay as they are).
  virtual void Release() = 0;
};

class HandoverListener {
 public:
  // Listens at `path` (mode 0600; a stale socket there is replaced).
  static absl::StatusOr<std::unique_ptr<HandoverListener>> Open(const std::string& path,
                                                                HandoverHost& host,
                                                                std::string version);
  ~HandoverListener();  // Stops, and removes the socket file.
  HandoverListener(const HandoverListener&) = delete;
  HandoverListener& operator=(const HandoverListener&) = delete;

  // Serves handover requests on a thread of its own; `handed_over` runs on
  // it once the host has been released.
  void Start(std::function<void()> handed_over);
  void Stop();

 private:
  HandoverListener(std::string path, net::UniqueFd fd, HandoverHost& host, std::string version);
  void AcceptLoop();
  // One taker, start to end; true once the host was released.
  bool Serve(net::UniqueFd connection);

  const std::string path_;
  net::UniqueFd fd_;
  net::UniqueFd wake_fd_;  // eventfd: ends the accept loop.
  HandoverHost& host_;
  const std::string version_;
  std::function<void()> handed_over_;
  std::thread thread_;
};

}  // namespace sctpgw::handover
