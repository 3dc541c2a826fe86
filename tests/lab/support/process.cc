#include "tests/lab/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace sctpgw::testing {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// A pipe's two ends, close-on-exec; invalid until Open() succeeds.
struct Pipe {
  bool Open() {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) return false;
    read_end.Reset(ends[0]);
    write_end.Reset(ends[1]);
    return true;
  }
  net::UniqueFd read_end;
  net::UniqueFd write_end;
};

}  // namespace

absl::StatusOr<Subprocess> Subprocess::Start(const std::vector<std::string>& argv,
                                             Streams streams) {
  // The child's ends close here once it has its copies; the parent's move
  // into the Subprocess.
  Pipe out, in;
  if (streams.capture_stdout && !out.Open()) return absl::InternalError("pipe2");
  if (streams.keep_stdin && !in.Open()) return absl::InternalError("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (streams.capture_stdout) {
    posix_spawn_file_actions_adddup2(&actions, out.write_end.get(), STDOUT_FILENO);
  }
  if (streams.keep_stdin) {
    posix_spawn_file_actions_adddup2(&actions, in.read_end.get(), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  Subprocess process;
  int rc = posix_spawnp(&process.pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start ", absl::StrJoin(argv, " "), ": ", std::strerror(rc)));
  }
  process.stdout_fd_ = std::move(out.read_end);
  process.stdin_fd_ = std::move(in.write_end);
  if (process.stdout_fd_.valid()) fcntl(process.stdout_fd_.get(), F_SETFL, O_NONBLOCK);
  process.pidfd_.Reset(static_cast<int>(syscall(SYS_pidfd_open, process.pid_, 0)));
  if (!process.pidfd_.valid()) return absl::InternalError("pidfd_open");
  return process;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      stdout_fd_(std::move(other.stdout_fd_)),
      stdin_fd_(std::move(other.stdin_fd_)),
      exit_status_(other.exit_status_),
      stdout_(std::move(other.stdout_)) {}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_status_) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

absl::Status Subprocess::WriteStdin(const std::string& bytes) {
  if (!stdin_fd_.valid()) return absl::FailedPreconditionError("stdin is not kept");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(stdin_fd_.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) return absl::InternalError(absl::StrCat("write: ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void Subprocess::CloseStdin() { stdin_fd_.Reset(); }

void Subprocess::Signal(int signal) {
  if (pid_ > 0 && !exit_status_) kill(pid_, signal);
}

absl::StatusOr<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (exit_status_) return *exit_status_;
  pollfd fd{pidfd_.get(), POLLIN, 0};
  int rc = poll(&fd, 1, static_cast<int>(timeout.count()));
  if (rc == 0) return absl::DeadlineExceededError("the process is still running");
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return absl::InternalError("waitpid");
  exit_status_ = status;
  return status;
}

std::string Subprocess::ReadStdout(std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  char buffer[65536];
  for (;;) {
    ssize_t n = read(stdout_fd_.get(), buffer, sizeof(buffer));
    if (n > 0) {
      stdout_.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;  // EOF: the child closed stdout.
    if (errno != EAGAIN) break;
    pollfd fd{stdout_fd_.get(), POLLIN, 0};
    if (poll(&fd, 1, RemainingMs(deadline)) <= 0) break;
  }
  return stdout_;
}

absl::StatusOr<std::string> Subprocess::ReadStdoutUntil(const std::string& needle,
                                                        std::chrono::milliseconds timeout) {
  if (!stdout_fd_.valid()) return absl::FailedPreconditionError("stdout is not captured");
  Clock::time_point deadline = Clock::now() + timeout;
  char buffer[65536];
  while (stdout_.find(needle) == std::string::npos) {
    ssize_t n = read(stdout_fd_.get(), buffer, sizeof(buffer));
    if (n > 0) {
      stdout_.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return absl::NotFoundError(absl::StrCat("stdout ended without \"", needle, "\""));
    pollfd fd{stdout_fd_.get(), POLLIN, 0};
    if (poll(&fd, 1, RemainingMs(deadline)) <= 0) {
      return absl::DeadlineExceededError(absl::StrCat("no \"", needle, "\" on stdout in time"));
    }
  }
  return stdout_;
}

absl::StatusOr<size_t> ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    size_t kib = 0;
    if (!absl::SimpleAtoi(digits, &kib)) break;
    return kib * 1024;
  }
  return absl::NotFoundError("no VmRSS");
}

}  // namespace sctpgw::testing
