#include "support/imgflow_runner.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <regex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "support/test_support.hpp"

extern char** environ;

namespace imgflow::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uid_t kNobody = 65534;

// Everything the child needs, prepared before fork: after it, only
// async-signal-safe calls are allowed.
struct ExecPlan {
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string cwd;
  long long file_size_limit;
  bool as_nobody;

  explicit ExecPlan(const RunSpec& spec)
      : cwd(spec.cwd.string()), file_size_limit(spec.file_size_limit), as_nobody(spec.as_nobody) {
    argv_storage.push_back(imgflow_binary().string());
    argv_storage.insert(argv_storage.end(), spec.args.begin(), spec.args.end());
    for (char** e = environ; e && *e; ++e) {
      const std::string var = *e;
      if (starts_with(var, "SLURM_") || starts_with(var, "JOB_COMPLETION_INDEX=")) continue;
      env_storage.push_back(var);
    }
    env_storage.insert(env_storage.end(), spec.env.begin(), spec.env.end());
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
};

// In the child, after fork: set up and exec, or _exit(126) / _exit(127).
[[noreturn]] void exec_child(ExecPlan& plan, int in_fd, int out_fd, int err_fd) {
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  if (!plan.cwd.empty() && ::chdir(plan.cwd.c_str()) != 0) ::_exit(126);
  if (plan.file_size_limit >= 0) {
    // write() past the limit then fails with EFBIG instead of killing the process.
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(plan.file_size_limit);
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
  }
  if (plan.as_nobody) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
      ::_exit(126);
    }
  }
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  ::_exit(127);
}

}  // namespace

RunResult run_imgflow(const RunSpec& spec) {
  ExecPlan plan(spec);
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) exec_child(plan, devnull, out_pipe[1], err_pipe[1]);
  ::close(devnull);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  RunResult result;
  const auto deadline = Clock::now() + spec.timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 && !result.timed_out) {
      // Still running (or its output still open) at the deadline: kill it; the
      // pipes then close and the loop ends.
      result.timed_out = true;
      ::kill(pid, SIGKILL);
    }
    const int ready = ::poll(fds, 2, result.timed_out ? 1000 : static_cast<int>(left));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  result.max_rss_kb = usage.ru_maxrss;
  result.minor_faults = usage.ru_minflt;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
    result.exit_code = 128 + result.term_signal;
  }
  expect_no_sanitizer_report(result.exit_code, result.err);
  return result;
}

std::string describe(const RunResult& r) {
  std::string s = "exit code " + std::to_string(r.exit_code);
  if (r.timed_out) s += " (TIMED OUT, killed)";
  return s + "\n--- stdout ---\n" + r.out + "\n--- stderr ---\n" + r.err;
}

AsyncRun::AsyncRun(const RunSpec& spec, const fs::path& out_file, const fs::path& err_file) {
  ExecPlan plan(spec);
  const std::string out_name = out_file.string();
  const std::string err_name = err_file.string();
  pid_ = ::fork();
  if (pid_ == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    exec_child(plan, in, out, err);
  }
}

AsyncRun::~AsyncRun() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool AsyncRun::running() {
  if (reaped_ || pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    record(status);
    return false;
  }
  return true;
}

void AsyncRun::signal(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

void AsyncRun::wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    record(status);
    timed_out_ = true;
  }
}

void AsyncRun::record(int status) {
  reaped_ = true;
  exited_ = WIFEXITED(status);
  exit_code_ = exited_ ? WEXITSTATUS(status) : -1;
  term_signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (exited_ && exit_code_ == kSanitizerExitCode) {
    ADD_FAILURE() << "sanitizer report: exit code " << exit_code_ << " (its stderr file has it)";
  }
}

std::vector<std::string> temporaries_in(const fs::path& dir) {
  // Not list_files(): the tree may hold symlink loops and FIFOs, which must
  // neither throw nor be followed.
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (contains(name, ".imgflow-")) found.push_back(it->path().lexically_relative(dir).string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::vector<std::uint8_t> encoded_image(const std::string& ext, int width, int height, int channels,
                                        unsigned seed) {
  std::vector<std::uint8_t> bytes;
  if (!cv::imencode(ext, make_test_pixels(width, height, channels, seed), bytes)) {
    throw std::runtime_error("cannot encode a test image as " + ext);
  }
  return bytes;
}

cv::Size decoded_size(const fs::path& path) {
  const cv::Mat m = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
  if (m.empty()) return {-1, -1};
  return m.size();
}

std::uint32_t png_crc(const std::uint8_t* data, std::size_t size) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

bool running_as_root() {
  return ::geteuid() == 0;
}

}  // namespace imgflow::test
