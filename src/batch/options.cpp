#include "imgflow/options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <thread>
#include <utility>

#include "core/format_table.hpp"
#include "core/memory_limit.hpp"
#include "core/name_list.hpp"
#include "imgflow/error.hpp"
#include "imgflow/name_template.hpp"

namespace imgflow {

namespace {

// Each OutputFormat but keep, and the format it writes.
constexpr std::array<std::pair<OutputFormat, Format>, 7> kOutputFormats = {{
    {OutputFormat::jpeg, Format::jpeg},
    {OutputFormat::png, Format::png},
    {OutputFormat::webp, Format::webp},
    {OutputFormat::tiff, Format::tiff},
    {OutputFormat::heic, Format::heif},
    {OutputFormat::avif, Format::avif},
    {OutputFormat::jxl, Format::jxl},
}};

}  // namespace

OutputFormat parse_output_format(std::string_view text) {
  if (text == "keep") return OutputFormat::keep;
  for (const auto& [output, format] : kOutputFormats) {
    if (text == format_name(format) || text == format_extension(format)) return output;
  }
  std::vector<std::string_view> names = {"keep"};
  for (const auto name : detail::writable_format_names()) names.push_back(name);
  throw Error(ErrorCode::usage, "formats: expected " + detail::names_in_prose(names) + ", got \"" +
                                    std::string(text) + "\"");
}

Format choose_output_format(OutputFormat requested, Format source) noexcept {
  for (const auto& [output, format] : kOutputFormats) {
    if (output == requested) return format;
  }
  return is_writable(source) ? source : Format::jpeg;
}

Format choose_output_format(OutputFormat requested, Format source, bool animated) noexcept {
  if (animated && requested == OutputFormat::keep && source == Format::gif) return Format::webp;
  return choose_output_format(requested, source);
}

namespace {

[[noreturn]] void bad_shard(std::string_view text, const std::string& why) {
  throw Error(ErrorCode::usage, "shard: expected K/N (1 <= K <= N), auto or auto/N, got \"" +
                                    std::string(text) + "\": " + why);
}

int parse_positive(std::string_view whole, std::string_view part) {
  int value = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (ec != std::errc() || end != part.data() + part.size() || value < 0) {
    std::string why(part);
    why.append(" is not a number");
    bad_shard(whole, why);
  }
  return value;
}

std::optional<int> env_int(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  int parsed = 0;
  const std::string_view text(value);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return parsed;
}

}  // namespace

Shard parse_shard(std::string_view text) {
  Shard shard;
  const auto slash = text.find('/');
  const std::string_view first = text.substr(0, slash);
  const bool has_count = slash != std::string_view::npos;
  if (has_count) shard.count = parse_positive(text, text.substr(slash + 1));
  if (first == "auto") {
    if (const auto k8s = env_int("JOB_COMPLETION_INDEX"); k8s && has_count) {
      shard.index = *k8s + 1;  // Kubernetes indexes are 0-based
    } else if (const auto task = env_int("SLURM_ARRAY_TASK_ID")) {
      const int min = env_int("SLURM_ARRAY_TASK_MIN").value_or(0);
      shard.index = *task - min + 1;
      if (!has_count) {
        if (const auto count = env_int("SLURM_ARRAY_TASK_COUNT")) {
          shard.count = *count;
        } else if (const auto max = env_int("SLURM_ARRAY_TASK_MAX")) {
          shard.count = *max - min + 1;
        }
      }
    } else {
      bad_shard(text, has_count ? "neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set"
                                : "SLURM_ARRAY_TASK_ID is not set (for Kubernetes use auto/N)");
    }
  } else {
    if (!has_count) bad_shard(text, "missing /N");
    shard.index = parse_positive(text, first);
  }
  if (shard.count < 1) bad_shard(text, "N must be at least 1");
  if (shard.index < 1 || shard.index > shard.count) {
    bad_shard(text, "K is " + std::to_string(shard.index) + ", outside 1.." +
                        std::to_string(shard.count));
  }
  return shard;
}

std::vector<std::string> Options::validate() const {
  std::vector<std::string> problems;
  auto expect = [&](bool ok, const char* option, const char* what, const std::string& got) {
    if (!ok) problems.push_back(std::string(option) + ": expected " + what + ", got " + got);
  };
  expect(!inputs.empty() || !files_from.empty(), "inputs", "at least one file or directory",
         "none");
  expect(!output_dir.empty(), "output_dir", "a directory", "nothing");
  expect(quality >= 1 && quality <= 100, "quality", "1 to 100", std::to_string(quality));
  expect(threads >= 0 && threads <= 1024, "threads", "0 (all cores) to 1024",
         std::to_string(threads));
  expect(readers >= 1 && readers <= 64, "readers", "1 to 64", std::to_string(readers));
  expect(writers >= 1 && writers <= 64, "writers", "1 to 64", std::to_string(writers));
  expect(max_in_flight >= 0, "max_in_flight", "0 (automatic) or more",
         std::to_string(max_in_flight));
  expect(max_errors >= 0, "max_errors", "0 (never stop) or more", std::to_string(max_errors));
  expect(shard.count == 0 || (shard.index >= 1 && shard.index <= shard.count), "shard",
         "K/N with 1 <= K <= N", std::to_string(shard.index) + "/" + std::to_string(shard.count));
  expect(png_compression >= 0 && png_compression <= 9, "png_compression", "0 to 9",
         std::to_string(png_compression));
  char margin[32];  // shortest form that reads back: "0.5", not "0.500000"
  const auto written = std::to_chars(margin, margin + sizeof margin, shrink_margin).ptr;
  expect(shrink_margin >= 1.0 && shrink_margin <= 8.0, "shrink_margin", "1 to 8",
         std::string(margin, written));
  const auto timeout_written = std::to_chars(margin, margin + sizeof margin, timeout).ptr;
  // Up to a week: a finite limit a steady_clock deadline can hold.
  expect(timeout >= 0 && timeout <= kMaxTimeout, "timeout", "0 (none) to 604800 seconds",
         std::string(margin, timeout_written));
  expect(progressive_bits >= -1 && progressive_bits <= 13, "progressive_bits", "-1 to 13",
         std::to_string(progressive_bits));
  expect(!formats.empty(), "formats", "at least one format", "none");
  if (!name.empty()) {
    const std::string why = validate_name_template(name);
    expect(why.empty(), "name", "a template with {stem} inside the output folder",
           "\"" + name + "\" (" + why + ")");
  }
  for (const auto& g : sizes) {
    const std::string why = geometry_problem(g);
    expect(why.empty(), "sizes", "a valid geometry", "\"" + g.text + "\" (" + why + ")");
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

std::uint64_t Options::effective_max_memory() const noexcept {
  if (max_memory != max_memory_auto) return max_memory;
  return detail::auto_memory_budget(detail::cgroup_memory_limit(), detail::physical_memory());
}

}  // namespace imgflow
