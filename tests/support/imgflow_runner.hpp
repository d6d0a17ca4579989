// Running the real imgflow binary from tests (CLI, hostile-input and batch-trust
// suites) with a controlled environment (extra variables, working
// directory, RLIMIT_FSIZE, another user, a timeout) and measuring it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace imgflow::test {

namespace fs = std::filesystem;

/// How to run the binary: RunSpec({"-o", "out", "in"}).with_timeout(...) etc.
struct RunSpec {
  RunSpec() = default;
  explicit RunSpec(std::vector<std::string> arguments) : args(std::move(arguments)) {}
  RunSpec& with_env(std::vector<std::string> variables) {
    env = std::move(variables);
    return *this;
  }
  RunSpec& in_dir(fs::path dir) {
    cwd = std::move(dir);
    return *this;
  }
  RunSpec& with_file_size_limit(long long bytes) {
    file_size_limit = bytes;
    return *this;
  }
  RunSpec& as_user_nobody(bool yes = true) {
    as_nobody = yes;
    return *this;
  }
  RunSpec& with_timeout(std::chrono::milliseconds t) {
    timeout = t;
    return *this;
  }

  std::vector<std::string> args;  ///< arguments after the program name
  /// Extra NAME=VALUE variables. The child never inherits SLURM_* or
  /// JOB_COMPLETION_INDEX from the test's own environment (CI may set them).
  std::vector<std::string> env;
  fs::path cwd;                    ///< working directory (empty: the test's)
  long long file_size_limit = -1;  ///< RLIMIT_FSIZE in bytes, SIGXFSZ ignored (-1: none)
  bool as_nobody = false;          ///< drop to uid/gid 65534 first (needs root)
  std::chrono::milliseconds timeout{120'000};  ///< then SIGKILL
};

struct RunResult {
  int exit_code = -1;   ///< exit status, or 128 + signal
  int term_signal = 0;  ///< the signal that ended it, 0 if it exited
  bool timed_out = false;
  long max_rss_kb = 0;    ///< peak resident set of the child (getrusage via wait4)
  long minor_faults = 0;  ///< page faults served without I/O (ru_minflt)
  std::string out;
  std::string err;
};

/// Runs the imgflow binary (no shell), stdin from /dev/null.
RunResult run_imgflow(const RunSpec& spec);

/// Exit code, stdout and stderr, for failure messages.
std::string describe(const RunResult& r);

/// A child imgflow whose stdout/stderr go to files and that the test
/// signals or waits for itself.
class AsyncRun {
 public:
  AsyncRun(const RunSpec& spec, const fs::path& out_file, const fs::path& err_file);
  ~AsyncRun();  ///< SIGKILLs and reaps a child still running
  AsyncRun(const AsyncRun&) = delete;
  AsyncRun& operator=(const AsyncRun&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  /// Waits up to `timeout`; SIGKILLs the child if it is still running then.
  void wait(std::chrono::milliseconds timeout);
  bool timed_out() const { return timed_out_; }
  bool exited() const { return exited_; }
  int exit_code() const { return exit_code_; }
  int term_signal() const { return term_signal_; }

 private:
  void record(int status);
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool exited_ = false;
  bool timed_out_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

/// Files below `dir` (recursively, hidden ones too) whose name marks them as
/// imgflow's temporaries (".NAME.imgflow-XXXXXX").
std::vector<std::string> temporaries_in(const fs::path& dir);

/// A synthetic image (make_test_pixels) encoded by OpenCV, `ext` like ".png".
std::vector<std::uint8_t> encoded_image(const std::string& ext, int width, int height,
                                        int channels = 3, unsigned seed = 1);

/// The stored size of the image at `path` (no EXIF rotation), or -1x-1 if it
/// does not decode.
cv::Size decoded_size(const fs::path& path);

/// CRC-32 as PNG uses it.
std::uint32_t png_crc(const std::uint8_t* data, std::size_t size);

/// True when the test runs as root (where chmod does not keep anyone out).
bool running_as_root();

}  // namespace imgflow::test
