#include "imgflow/options.hpp"

#include <algorithm>
#include <thread>

#include "imgflow/error.hpp"

namespace imgflow {

std::string_view format_name(Format format) noexcept {
  switch (format) {
    case Format::jpeg:
      return "jpeg";
    case Format::png:
      return "png";
    case Format::webp:
      return "webp";
    case Format::tiff:
      return "tiff";
    case Format::bmp:
      return "bmp";
    case Format::pnm:
      return "pnm";
    case Format::jpeg2000:
      return "jpeg2000";
    case Format::gif:
      return "gif";
    case Format::svg:
      return "svg";
    case Format::heif:
      return "heif";
    case Format::unknown:
      break;
  }
  return "unknown";
}

std::string_view format_extension(Format format) noexcept {
  switch (format) {
    case Format::jpeg:
      return "jpg";
    case Format::png:
      return "png";
    case Format::webp:
      return "webp";
    case Format::tiff:
      return "tif";
    case Format::bmp:
      return "bmp";
    case Format::pnm:
      return "pnm";
    case Format::jpeg2000:
      return "jp2";
    case Format::gif:
      return "gif";
    case Format::svg:
      return "svg";
    case Format::heif:
      return "heic";
    case Format::unknown:
      break;
  }
  return "bin";
}

bool is_writable(Format format) noexcept {
  return format == Format::jpeg || format == Format::png || format == Format::webp ||
         format == Format::tiff;
}

OutputFormat parse_output_format(std::string_view text) {
  if (text == "keep") return OutputFormat::keep;
  if (text == "jpeg" || text == "jpg") return OutputFormat::jpeg;
  if (text == "png") return OutputFormat::png;
  if (text == "webp") return OutputFormat::webp;
  if (text == "tiff" || text == "tif") return OutputFormat::tiff;
  throw Error(ErrorCode::usage, "--format: expected keep, jpeg, png, webp or tiff, got \"" +
                                    std::string(text) + "\"");
}

std::vector<std::string> Options::validate() const {
  std::vector<std::string> problems;
  auto expect = [&](bool ok, const char* option, const char* what, const std::string& got) {
    if (!ok) problems.push_back(std::string(option) + ": expected " + what + ", got " + got);
  };
  expect(!inputs.empty(), "INPUT", "at least one file or directory", "none");
  expect(!output_dir.empty(), "--output", "a directory", "nothing");
  expect(quality >= 1 && quality <= 100, "--quality", "1 to 100", std::to_string(quality));
  expect(threads >= 0 && threads <= 1024, "--threads", "0 (all cores) to 1024",
         std::to_string(threads));
  expect(readers >= 1 && readers <= 64, "--readers", "1 to 64", std::to_string(readers));
  expect(writers >= 1 && writers <= 64, "--writers", "1 to 64", std::to_string(writers));
  expect(max_in_flight >= 0, "--max-in-flight", "0 (automatic) or more",
         std::to_string(max_in_flight));
  for (const auto& g : sizes) {
    expect(g.width >= 0 && g.height >= 0 && (g.width > 0 || g.height > 0), "--size",
           "a box with at least one side", "\"" + g.text + "\"");
  }
  return problems;
}

int Options::effective_threads() const noexcept {
  if (threads > 0) return threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int Options::effective_max_in_flight() const noexcept {
  if (max_in_flight > 0) return max_in_flight;
  return std::max(4, 2 * effective_threads());
}

}  // namespace imgflow
