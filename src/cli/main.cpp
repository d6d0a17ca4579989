// The imgflow command: a thin layer that fills imgflow::Options from the
// command line, runs the batch, and turns the report into messages and an
// exit code (0 all ok, 1 some file failed, 2 usage/setup error, 130/143 interrupted).
#include <malloc.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/progress_bar.hpp"
#include "cli/stderr_capture.hpp"
#include "core/format_table.hpp"
#include "core/name_list.hpp"
#include "imgflow/imgflow.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFileFailed = 1;
constexpr int kExitUsage = 2;

imgflow::Cancellation g_cancellation;
volatile std::sig_atomic_t g_signal = 0;

// First SIGINT/SIGTERM: stop reading new files, finish what is in flight.
// Second: leave at once, removing the temporary files being written (outputs
// are renamed into place whole, so none under a final name is partial).
extern "C" void on_signal(int sig) {
  if (g_signal != 0) {
    imgflow::remove_temporary_files();
    ::_exit(128 + sig);
  }
  g_signal = sig;
  g_cancellation.cancel();
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void print_error(const std::string& message) {
  std::cerr << "imgflow: " << message << '\n';
}

// Paths from --files-from: one a line, or NUL-separated with -0 ("-" is stdin).
std::vector<std::string> read_path_list(const std::string& source, bool nul_separated) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (source != "-") {
    file.open(source, std::ios::binary);
    if (!file) {
      throw imgflow::Error(imgflow::ErrorCode::usage, "--files-from: cannot read " + source);
    }
    in = &file;
  }
  std::vector<std::string> paths;
  std::string line;
  while (std::getline(*in, line, nul_separated ? '\0' : '\n')) {
    if (!nul_separated && !line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) paths.push_back(line);
  }
  return paths;
}

// --dry-run: every planned input and its outputs, nothing written.
int print_plan(const imgflow::Options& options) {
  const auto plan = imgflow::plan_inputs(options);
  imgflow::check_plan(plan, options);
  for (const auto& file : plan) {
    std::cout << file.input.string();
    const char* separator = " -> ";
    for (const auto& output : imgflow::expected_outputs(file, options)) {
      std::cout << separator << (output ? output->string() : "(named after its pixel size)");
      separator = ", ";
    }
    std::cout << '\n';
  }
  std::cout << std::flush;
  std::cerr << "imgflow: dry run: " << plan.size() << " files planned, nothing written\n";
  return kExitOk;
}

int write_report(const imgflow::Report& report, const std::string& path) {
  if (path.empty()) return kExitOk;
  try {
    if (path == "-") {
      std::cout << imgflow::to_json(report) << '\n' << std::flush;
    } else {
      imgflow::write_report(report, path);
    }
  } catch (const imgflow::Error& e) {
    print_error("--report: " + std::string(e.what()));
    return kExitFileFailed;
  }
  return kExitOk;
}

void print_summary(const imgflow::Summary& s) {
  const double rate = s.seconds > 0 ? double(s.ok + s.failed) / s.seconds : 0.0;
  const char* ending = s.cancelled           ? " - interrupted"
                       : s.stopped_on_errors ? " - stopped after too many errors"
                                             : "";
  std::fprintf(stderr,
               "imgflow: %zu files: %zu ok, %zu failed, %zu skipped in %.2f s (%.1f images/s)%s\n",
               s.total, s.ok, s.failed, s.skipped, s.seconds, rate, ending);
}

}  // namespace

int main(int argc, char** argv) {
  imgflow::Options options;
  std::vector<std::string> inputs;
  std::vector<std::string> sizes;
  std::vector<std::string> formats;
  std::string output_dir;
  std::string report_path;
  std::string files_from;
  std::string shard;
  bool nul_separated = false;
  bool quiet = false;
  bool log_json = false;
  bool dry_run = false;
  bool fail_fast = false;
  bool no_fsync = false;
  bool no_rotate = false;

  CLI::App app{"imgflow: resize whole directories of images on every core, with bounded memory.",
               "imgflow"};
  app.set_version_flag("--version", std::string(imgflow::version));
  app.add_option("INPUT", inputs, "Image files and/or directories");
  app.add_option("-o,--output", output_dir, "Output directory (created if missing)")->required();
  // One value per -s (repeat -s for more), so "-s 800 photos/" keeps photos/ an input.
  app.add_option("-s,--size", sizes,
                 "WxH, W, Wx, xH, N%, N@, with an optional > (only shrink), < (only enlarge), "
                 "^ (cover the box) or ! (exactly); repeatable")
      ->allow_extra_args(false);
  std::string fit = "inside", gravity = "centre", filter = "auto", background = "white";
  app.add_option("--fit", fit, "inside | cover (crop) | contain (pad) | fill (stretch) | outside")
      ->capture_default_str();
  app.add_option("--gravity", gravity,
                 "What cover keeps / where contain places: centre, north, northeast, ..., "
                 "northwest, entropy, attention")
      ->capture_default_str();
  app.add_flag("--enlarge", options.enlarge, "Allow enlarging images smaller than the box");
  app.add_option("--filter", filter, "auto | nearest | area | linear | cubic | lanczos")
      ->capture_default_str();
  app.add_option("--background", background,
                 "Padding for contain and backdrop for alpha in JPEG: white, black, transparent, "
                 "#rrggbb[aa] or r,g,b[,a]")
      ->capture_default_str();
  app.add_option("-f,--format", formats,
                 "keep (default) | " +
                     imgflow::detail::names_as_choices(imgflow::detail::writable_format_names()) +
                     "; repeat -f for several formats")
      ->allow_extra_args(false);
  app.add_option("--name", options.name,
                 "Output file-name template: {stem} {ext} {width} {height} {size} {format}; "
                 "default {stem}.{ext}, or {stem}_{size}.{ext} with several sizes");
  app.add_option("-q,--quality", options.quality, "JPEG/WebP quality")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  std::string chroma = "420", tiff_compression = "lzw";
  app.add_flag("--progressive", options.progressive, "JPEG: progressive scans");
  app.add_option("--shrink-margin", options.shrink_margin,
                 "Decode JPEGs at 1/2, 1/4 or 1/8 scale only while at least X times the output "
                 "size remains (1 = fastest, 2 = sharpest)")
      ->check(CLI::Range(1.0, 8.0))
      ->capture_default_str();
  app.add_option("--progressive-bits", options.progressive_bits,
                 "Progressive JPEG inputs shrunk on load: stop reading scans once the "
                 "coefficients shown are within N bits of full precision (-1 = read all)")
      ->check(CLI::Range(-1, 13))
      ->capture_default_str();
  app.add_option("--chroma", chroma, "JPEG chroma subsampling: 420 | 444")->capture_default_str();
  app.add_option("--png-compression", options.png_compression, "PNG: zlib level 0-9")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  app.add_flag("--lossless", options.lossless, "WebP: lossless");
  app.add_option("--tiff-compression", tiff_compression, "TIFF: none | lzw | deflate")
      ->capture_default_str();
  app.add_flag("-r,--recursive", options.recursive, "Descend into subdirectories");
  app.add_option("-j,--threads", options.threads, "CPU threads (0 = all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--readers", options.readers, "Threads reading input files")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--writers", options.writers, "Threads writing outputs")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--max-in-flight", options.max_in_flight,
                 "Images in memory between read and write (0 = 2 x threads, at least 4)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--max-memory", options.max_memory,
                 "Bytes the files in flight may need together, estimated from their headers "
                 "(e.g. 512M, 2G; 0 = no limit); a file larger than this runs alone")
      ->check(CLI::Validator(
          [](std::string& value) {
            return value.starts_with('-') ? std::string("expected a size, got ") + value : "";
          },
          "SIZE"))
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();

  app.add_option("--files-from", files_from,
                 "Also read input paths from FILE, one a line (- for stdin)");
  app.add_flag("-0,--null", nul_separated, "--files-from paths are NUL-separated (find -print0)");
  app.add_option("--shard", shard,
                 "Process only share K of N (K/N, 1-based), auto (Slurm array) or auto/N "
                 "(Kubernetes indexed job)");
  app.add_flag("--skip-existing", options.skip_existing,
               "Skip inputs whose outputs all exist and are newer (resume a killed run)");
  app.add_flag("--dry-run", dry_run, "Print every input and its planned outputs; write nothing");

  app.add_option("--max-pixels", options.max_pixels,
                 "Refuse images whose header declares more pixels (0 = no limit)")
      ->capture_default_str();
  app.add_option("--max-file-size", options.max_file_bytes,
                 "Refuse input files larger than this many bytes (0 = no limit)")
      ->capture_default_str();
  app.add_flag("--allow-truncated", options.allow_truncated,
               "Accept truncated JPEGs (grey-padded) with a warning instead of failing them");
  app.add_flag("--fail-fast", fail_fast, "Stop reading new files at the first failure");
  app.add_option("--max-errors", options.max_errors,
                 "Stop reading new files after N failures (0 = never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--no-rotate", no_rotate,
               "Keep pixels as stored instead of turning them upright by their EXIF orientation");
  app.add_flag("--keep-icc", options.keep_icc,
               "Keep the original ICC profile in JPEG outputs instead of converting to sRGB");
  app.add_flag("--keep-metadata", options.keep_metadata,
               "Copy EXIF (orientation reset) and ICC into JPEG outputs (default: strip)");
  app.add_flag("--no-fsync", no_fsync, "Do not fsync outputs before renaming them into place");

  app.add_option("--report", report_path,
                 "Write a JSON report of every file to this path (- for stdout)");
  app.add_flag("--log-json", log_json, "Print one JSON object per file on stdout as it finishes");
  app.add_flag("--quiet", quiet, "No progress bar or summary, errors only");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  try {
    for (const auto& s : sizes) options.sizes.push_back(imgflow::parse_geometry(s));
    if (!formats.empty()) {
      options.formats.clear();
      for (const auto& f : formats) options.formats.push_back(imgflow::parse_output_format(f));
    }
    options.fit = imgflow::parse_fit(fit);
    if (chroma != "420" && chroma != "444") {
      throw imgflow::Error(imgflow::ErrorCode::usage,
                           "--chroma: expected 420 or 444, got \"" + chroma + "\"");
    }
    options.chroma_444 = chroma == "444";
    if (tiff_compression == "none") {
      options.tiff_compression = imgflow::TiffCompression::none;
    } else if (tiff_compression == "deflate") {
      options.tiff_compression = imgflow::TiffCompression::deflate;
    } else if (tiff_compression != "lzw") {
      throw imgflow::Error(
          imgflow::ErrorCode::usage,
          "--tiff-compression: expected none, lzw or deflate, got \"" + tiff_compression + "\"");
    }
    options.gravity = imgflow::parse_gravity(gravity);
    options.filter = imgflow::parse_filter(filter);
    options.background = imgflow::parse_color(background);
    if (!shard.empty()) options.shard = imgflow::parse_shard(shard);
    if (!files_from.empty()) {
      for (auto& path : read_path_list(files_from, nul_separated)) inputs.push_back(path);
    }
  } catch (const imgflow::Error& e) {
    print_error(e.what());
    return kExitUsage;
  }
  options.inputs.assign(inputs.begin(), inputs.end());
  options.output_dir = output_dir;
  options.fsync = !no_fsync;
  options.auto_orient = !no_rotate;
  if (fail_fast) options.max_errors = 1;

  if (dry_run) {
    try {
      if (const auto problems = options.validate(); !problems.empty()) {
        for (const auto& p : problems) print_error(p);
        return kExitUsage;
      }
      return print_plan(options);
    } catch (const imgflow::Error& e) {
      print_error(e.what());
      return kExitUsage;
    }
  }

  // Decoded photos are large, short-lived buffers. glibc's adaptive mmap
  // threshold lets them pile up in per-thread heaps (peak RSS creeps with the
  // number of files), while a low fixed threshold makes every buffer fresh
  // pages (page faults: 30% of the CPU time). Measured on 100 vs 1,000 JPEG
  // photos, 2 threads: adaptive 221 -> 253 MB, 0.43 s system time per 100;
  // 1 MiB threshold 199 -> 205 MB but 1.8 s; 8 MiB threshold with a 256 MiB
  // trim threshold 237 -> 253 MB (+7%) and 0.40 s. One arena instead of one
  // per thread: peak RSS 243 -> 220 MB (median of 3, 100 JPEGs, -j 2), same
  // CPU time (a few hundred allocations per image never contend).
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_ARENA_MAX, 1);

  install_signal_handlers();
  imgflow::cli::ProgressBar bar(!quiet && ::isatty(STDERR_FILENO));
  imgflow::RunCallbacks callbacks;
  callbacks.cancellation = &g_cancellation;
  callbacks.on_file_done = [&](const imgflow::FileReport& file, const imgflow::Progress& progress) {
    if (file.status == imgflow::FileStatus::failed) {
      bar.print_line("imgflow: " + file.input.string() + ": " +
                     std::string(imgflow::error_code_name(file.error)) + ": " + file.message);
    }
    if (!quiet) {
      for (const auto& w : file.warnings) {
        bar.print_line("imgflow: " + file.input.string() + ": warning: " + w);
      }
    }
    if (log_json) std::cout << imgflow::to_json_line(file) << '\n' << std::flush;
    bar.update(progress);
  };

  imgflow::Report report;
  try {
    // Codec libraries that write to stderr themselves get their lines printed
    // as warnings above the bar.
    imgflow::cli::StderrCapture capture(
        [&](const std::string& line) { bar.print_line("imgflow: warning: " + line); });
    if (capture.terminal()) bar.set_output(capture.terminal());
    report = imgflow::run(options, callbacks);
    bar.clear();
    bar.set_output(stderr);
  } catch (const imgflow::Error& e) {
    bar.clear();
    bar.set_output(stderr);
    print_error(e.what());
    return kExitUsage;
  }

  // Files the run never reached (interrupted, --max-errors) get their line
  // too, so --log-json has one object for every file, like the report.
  if (log_json) {
    for (const auto& file : report.files) {
      if (file.error == imgflow::ErrorCode::cancelled) {
        std::cout << imgflow::to_json_line(file) << '\n';
      }
    }
    std::cout << std::flush;
  }
  int rc = report.summary.failed ? kExitFileFailed : kExitOk;
  if (write_report(report, report_path) != kExitOk) rc = kExitFileFailed;
  if (!quiet) print_summary(report.summary);
  if (report.summary.cancelled) return 128 + (g_signal ? g_signal : SIGINT);
  return rc;
}
