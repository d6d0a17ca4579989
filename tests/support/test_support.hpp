// Shared test helpers: scratch directories, fixture files, running the real binary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace imgflow::test {

namespace fs = std::filesystem;

/// The committed real photos (sample_images/).
fs::path sample_dir();
/// Every regular file under sample_images/ with an image extension, sorted.
std::vector<fs::path> sample_images();
/// A sample JPEG photo (landscape, at least 1000 px wide).
fs::path sample_jpeg();

/// A fresh directory under the system temp dir, removed (recursively) on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const fs::path& p) const { return path_ / p; }

 private:
  fs::path path_;
};

std::vector<std::uint8_t> read_bytes(const fs::path& path);
void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes);
void write_text(const fs::path& path, const std::string& text);
std::string read_text(const fs::path& path);

/// All regular files below `dir` (recursive), relative to it, sorted.
/// Includes hidden files, so leftover temporaries show up.
std::vector<std::string> list_files(const fs::path& dir);

/// A synthetic but textured test image (gradients plus noise) of the given
/// size and channel count, deterministic for a given seed.
cv::Mat make_test_pixels(int width, int height, int channels, unsigned seed = 1);

/// An Adobe RGB (1998) ICC profile: its primaries, D65 white, gamma 563/256.
std::vector<std::uint8_t> adobe_rgb_profile();

/// `png` with `icc` in an iCCP chunk right after IHDR.
std::vector<std::uint8_t> png_with_icc(std::vector<std::uint8_t> png,
                                       const std::vector<std::uint8_t>& icc);

/// The bad inputs every batch must survive, written into `dir`:
///   empty.jpg (0 bytes), text.jpg (text), truncated.jpg (a real JPEG cut in
///   half), bomb.png (a few hundred bytes declaring 60000x60000).
/// Returns their names.
std::vector<std::string> write_bad_inputs(const fs::path& dir);

struct CommandResult {
  int exit_code = -1;  ///< exit status, or 128 + signal
  std::string out;
  std::string err;
};

/// The exit code scripts/sanitize.sh gives ASan, UBSan, LSan and TSan
/// (exitcode= in their *_OPTIONS): distinct from imgflow's own 0, 1, 2, 130
/// and 143, so a sanitizer report can never pass as "a file failed".
constexpr int kSanitizerExitCode = 86;

/// Fails the current test when a child's exit code or stderr shows a
/// sanitizer report (the child's own exit code may be checked as well).
void expect_no_sanitizer_report(int exit_code, const std::string& err);

/// Runs `argv` (argv[0] is the program path, or a name looked up in PATH) with no shell, capturing
/// stdout and stderr, stdin from /dev/null.
CommandResult run_command(const std::vector<std::string>& argv);

/// The lines of `text`, without their '\n' (a final unterminated line counts too).
std::vector<std::string> lines_of(const std::string& text);
bool starts_with(const std::string& s, const std::string& prefix);
bool contains(const std::string& s, const std::string& what);

/// The CLI's end-of-run summary line, exactly as the README spells it.
bool is_summary_line(const std::string& line, std::size_t total, std::size_t ok, std::size_t failed,
                     std::size_t skipped);

/// Parses a JSON document, failing the test (and returning {}) if it is not valid.
nlohmann::json parse_json(const std::string& text);

/// Path of the built imgflow binary.
fs::path imgflow_binary();

}  // namespace imgflow::test
