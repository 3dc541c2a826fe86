// Child processes for lab tests: the sctpgw service itself and independent
// SCTP peers (socat, ncat, python). Waits are bounded and never sleep: they
// poll a pidfd with the remaining time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/net/unique_fd.h"

namespace sctpgw::testing {

class Subprocess {
 public:
  // The child's standard streams; stderr is always this process's.
  struct Streams {
    // stdin: a pipe that WriteStdin()/CloseStdin() feed, or /dev/null.
    bool keep_stdin = false;
    // stdout: a pipe that ReadStdout()/ReadStdoutUntil() read, or this
    // process's own stdout.
    bool capture_stdout = true;
  };
  // Starts argv[0] (searched in PATH) with `streams`.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv, Streams streams);
  // Starts argv[0] with stdout captured; stdin from /dev/null unless
  // `keep_stdin`.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          bool keep_stdin = false) {
    Streams streams;
    streams.keep_stdin = keep_stdin;
    return Start(argv, streams);
  }
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  // Kills (SIGKILL) and reaps a child still running.
  ~Subprocess();

  pid_t pid() const { return pid_; }
  absl::Status WriteStdin(const std::string& bytes);
  void CloseStdin();
  // Sends `signal`.
  void Signal(int signal);
  // Waits for the exit status (the raw wait status); DEADLINE_EXCEEDED when
  // the child is still running after `timeout`.
  absl::StatusOr<int> Wait(std::chrono::milliseconds timeout);
  // Everything the child wrote to stdout so far (read after it exited, or
  // until `timeout` while it runs).
  std::string ReadStdout(std::chrono::milliseconds timeout);
  // Reads stdout until it contains `needle` or `timeout` passes.
  absl::StatusOr<std::string> ReadStdoutUntil(const std::string& needle,
                                              std::chrono::milliseconds timeout);

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  net::UniqueFd pidfd_;
  net::UniqueFd stdout_fd_;  // Invalid unless stdout is captured.
  net::UniqueFd stdin_fd_;   // Invalid unless stdin is kept (and until CloseStdin()).
  std::optional<int> exit_status_;
  std::string stdout_;
};

// The resident set size of process `pid`, bytes (VmRSS).
absl::StatusOr<size_t> ResidentBytes(pid_t pid);

}  // namespace sctpgw::testing
