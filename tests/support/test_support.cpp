#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <lcms2.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <regex>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/plan.hpp"

namespace imgflow::test {

fs::path sample_dir() {
  return IMGFLOW_SAMPLE_DIR;
}

std::vector<fs::path> sample_images() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(sample_dir())) {
    if (e.is_regular_file() && has_image_extension(e.path())) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path sample_jpeg() {
  for (const auto& p : sample_images()) {
    if (p.parent_path() != sample_dir() || p.extension() != ".jpg") continue;
    const cv::Mat m = cv::imread(p.string(), cv::IMREAD_REDUCED_COLOR_8);
    if (!m.empty() && m.cols > m.rows && m.cols * 8 >= 1000) return p;
  }
  throw std::runtime_error("no landscape JPEG in sample_images/");
}

ScratchDir::ScratchDir() {
  std::string templ = (fs::temp_directory_path() / "imgflow-test-XXXXXX").string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  // Restore permissions a test may have removed, so the tree can be deleted.
  for (auto it = fs::recursive_directory_iterator(path_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void write_text(const fs::path& path, const std::string& text) {
  write_bytes(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

std::string read_text(const fs::path& path) {
  const auto bytes = read_bytes(path);
  return {bytes.begin(), bytes.end()};
}

std::vector<std::string> list_files(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path().lexically_relative(dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

cv::Mat make_test_pixels(int width, int height, int channels, unsigned seed) {
  cv::Mat bgr(height, width, CV_8UC3);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-12, 12);
  for (int y = 0; y < height; ++y) {
    auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      const int n = noise(rng);
      row[x] = cv::Vec3b(cv::saturate_cast<uchar>(255 * x / std::max(1, width - 1) + n),
                         cv::saturate_cast<uchar>(255 * y / std::max(1, height - 1) + n),
                         cv::saturate_cast<uchar>(128 + ((x / 16 + y / 16) % 2 ? 60 : -60) + n));
    }
  }
  if (channels == 3) return bgr;
  cv::Mat out;
  if (channels == 1) {
    cv::cvtColor(bgr, out, cv::COLOR_BGR2GRAY);
  } else {
    cv::cvtColor(bgr, out, cv::COLOR_BGR2BGRA);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x)
        out.at<cv::Vec4b>(y, x)[3] = static_cast<uchar>(255 * x / std::max(1, width - 1));
    }
  }
  return out;
}

namespace {

void put_be32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
}

}  // namespace

std::vector<std::string> write_bad_inputs(const fs::path& dir) {
  fs::create_directories(dir);
  write_bytes(dir / "empty.jpg", {});
  write_text(dir / "text.jpg", "This is a text file that happens to be named .jpg\n");
  auto jpeg = read_bytes(sample_jpeg());
  jpeg.resize(jpeg.size() / 2);
  write_bytes(dir / "truncated.jpg", jpeg);

  // A PNG whose IHDR declares 60000x60000 RGB: only the header is real.
  std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<std::uint8_t> ihdr = {'I', 'H', 'D', 'R'};
  put_be32(ihdr, 60000);
  put_be32(ihdr, 60000);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  put_be32(png, 13);
  png.insert(png.end(), ihdr.begin(), ihdr.end());
  // CRC-32 of the chunk type and data (libpng checks it).
  std::uint32_t crc = 0xFFFFFFFFu;
  for (auto b : ihdr) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  put_be32(png, crc ^ 0xFFFFFFFFu);
  std::vector<std::uint8_t> idat(2048, 0);  // not valid deflate: must never be reached
  put_be32(png, static_cast<std::uint32_t>(idat.size()));
  png.insert(png.end(), {'I', 'D', 'A', 'T'});
  png.insert(png.end(), idat.begin(), idat.end());
  put_be32(png, 0);
  write_bytes(dir / "bomb.png", png);
  return {"empty.jpg", "text.jpg", "truncated.jpg", "bomb.png"};
}

CommandResult run_command(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());  // a bare name is looked up in PATH
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  CommandResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  expect_no_sanitizer_report(result.exit_code, result.err);
  return result;
}

void expect_no_sanitizer_report(int exit_code, const std::string& err) {
  static const char* const markers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                        "WARNING: ThreadSanitizer", ": runtime error: "};
  bool reported = exit_code == kSanitizerExitCode;
  for (const char* marker : markers) reported = reported || contains(err, marker);
  if (reported) ADD_FAILURE() << "sanitizer report (exit code " << exit_code << "):\n" << err;
}

fs::path imgflow_binary() {
  return IMGFLOW_BINARY;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

bool is_summary_line(const std::string& line, std::size_t total, std::size_t ok, std::size_t failed,
                     std::size_t skipped) {
  const std::regex re("imgflow: " + std::to_string(total) + " files: " + std::to_string(ok) +
                      " ok, " + std::to_string(failed) + " failed, " + std::to_string(skipped) +
                      R"( skipped in [0-9]+\.[0-9]+ s \([0-9]+\.[0-9]+ images/s\))");
  return std::regex_match(line, re);
}

nlohmann::json parse_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << "invalid JSON (" << e.what() << "):\n" << text;
    return nlohmann::json::object();
  }
}

// An Adobe RGB (1998) profile: its primaries, D65 white, gamma 563/256.
std::vector<std::uint8_t> adobe_rgb_profile() {
  const cmsCIExyY white = {0.3127, 0.3290, 1.0};
  const cmsCIExyYTRIPLE primaries = {{0.64, 0.33, 1.0}, {0.21, 0.71, 1.0}, {0.15, 0.06, 1.0}};
  cmsToneCurve* gamma = cmsBuildGamma(nullptr, 563.0 / 256.0);
  cmsToneCurve* curves[3] = {gamma, gamma, gamma};
  cmsHPROFILE profile = cmsCreateRGBProfile(&white, &primaries, curves);
  cmsFreeToneCurve(gamma);
  cmsUInt32Number size = 0;
  cmsSaveProfileToMem(profile, nullptr, &size);
  std::vector<std::uint8_t> bytes(size);
  cmsSaveProfileToMem(profile, bytes.data(), &size);
  cmsCloseProfile(profile);
  return bytes;
}

// A PNG with `icc` in an iCCP chunk right after IHDR.
std::vector<std::uint8_t> png_with_icc(std::vector<std::uint8_t> png,
                                       const std::vector<std::uint8_t>& icc) {
  std::vector<std::uint8_t> compressed(compressBound(icc.size()));
  uLongf size = compressed.size();
  EXPECT_EQ(compress2(compressed.data(), &size, icc.data(), icc.size(), 9), Z_OK);
  std::vector<std::uint8_t> chunk = {0, 0, 0, 0, 'i', 'C', 'C', 'P', 'i', 'c', 'c', 0, 0};
  chunk.insert(chunk.end(), compressed.begin(), compressed.begin() + static_cast<long>(size));
  const std::uint32_t length = static_cast<std::uint32_t>(chunk.size() - 8);
  for (int i = 0; i < 4; ++i) chunk[i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
  const std::uint32_t crc = static_cast<std::uint32_t>(crc32(0, chunk.data() + 4, length + 4));
  for (int i = 0; i < 4; ++i) chunk.push_back(static_cast<std::uint8_t>(crc >> (24 - 8 * i)));
  png.insert(png.begin() + 33, chunk.begin(), chunk.end());  // signature 8 + IHDR 25
  return png;
}

}  // namespace imgflow::test
