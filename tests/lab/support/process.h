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

namespace sctpgw::testing {

class Subprocess {
 public:
  // Starts argv[0] (searched in PATH) with stdout (and stderr, when
  // `capture_stderr`) captured; stdin from /dev/null unless `keep_stdin`,
  // in which case WriteStdin()/CloseStdin() feed it.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          bool keep_stdin = false);
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
  int pidfd_ = -1;
  int stdout_fd_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> exit_status_;
  std::string stdout_;
};

// The resident set size of process `pid`, bytes (VmRSS).
absl::StatusOr<size_t> ResidentBytes(pid_t pid);

}  // namespace sctpgw::testing
