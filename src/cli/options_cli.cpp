#include "cli/options_cli.hpp"

#include <charconv>
#include <stdexcept>

#include "cli/command_help.hpp"
#include "codec/encode_names.hpp"
#include "core/format_table.hpp"
#include "core/name_list.hpp"
#include "imgflow/imgflow.hpp"
#include "resize/resize_names.hpp"

namespace imgflow::cli {

using detail::choices_of;

namespace {

// Each option bound to an Options field: the field's name, which library
// messages start with ("quality: expected 1 to 100, got 0"), and the option's
// names on the command line, written once here for add_option() and for
// with_flag_names().
struct FieldOption {
  std::string_view field;
  const char* names;  // CLI11's "-q,--quality"; the last is the one messages show
};

constexpr FieldOption kFieldOptions[] = {
    {"inputs", "INPUT"},
    {"files_from", "--files-from"},
    {"files_from_nul", "-0,--null"},
    {"output_dir", "-o,--output"},
    {"sizes", "-s,--size"},
    {"fit", "--fit"},
    {"gravity", "--gravity"},
    {"enlarge", "--enlarge"},
    {"filter", "--filter"},
    {"background", "--background"},
    {"formats", "-f,--format"},
    {"name", "--name"},
    {"quality", "-q,--quality"},
    {"progressive", "--progressive"},
    {"shrink_margin", "--shrink-margin"},
    {"progressive_bits", "--progressive-bits"},
    {"chroma_444", "--chroma"},
    {"png_compression", "--png-compression"},
    {"lossless", "--lossless"},
    {"tiff_compression", "--tiff-compression"},
    {"recursive", "-r,--recursive"},
    {"threads", "-j,--threads"},
    {"readers", "--readers"},
    {"writers", "--writers"},
    {"max_in_flight", "--max-in-flight"},
    {"max_memory", "--max-memory"},
    {"shard", "--shard"},
    {"skip_existing", "--skip-existing"},
    {"max_pixels", "--max-pixels"},
    {"max_scans", "--max-scans"},
    {"max_frames", "--max-frames"},
    {"max_file_bytes", "--max-file-size"},
    {"timeout", "--timeout"},
    {"allow_truncated", "--allow-truncated"},
    {"max_errors", "--max-errors"},
    {"keep_icc", "--keep-icc"},
    {"keep_metadata", "--keep-metadata"},
    {"animated", "--animated"},
    {"strip_gps", "--strip-gps"},
};

// The command-line names of an Options field's option ("-q,--quality").
std::string names_of(std::string_view field) {
  for (const auto& option : kFieldOptions) {
    if (option.field == field) return option.names;
  }
  throw std::logic_error("no option for Options::" + std::string(field));
}

// --max-memory: "auto", or a size as CLI11 reads one ("512M", "2G", "0").
std::uint64_t parse_max_memory(const std::string& text) {
  if (text == kMaxMemoryAuto) return Options::max_memory_auto;
  std::string bytes = text;
  bool ok = !text.starts_with('-');  // CLI11 would wrap a negative number around
  try {
    ok = ok && CLI::AsSizeValue(false)(bytes).empty();
  } catch (const CLI::ValidationError&) {
    ok = false;
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), value);
  if (!ok || ec != std::errc() || end != bytes.data() + bytes.size()) {
    throw Error(
        ErrorCode::usage,
        "max_memory: expected auto, 0 (no limit) or a size such as 512M, got \"" + text + "\"");
  }
  return value;
}

}  // namespace

OptionsCli::OptionsCli(CLI::App& app)
    : background_(color_name(line_.options.background)),
      fit_(detail::name_of(detail::fit_names(), line_.options.fit)),
      gravity_(detail::name_of(detail::gravity_names(), line_.options.gravity)),
      filter_(detail::name_of(detail::filter_names(), line_.options.filter)),
      chroma_(detail::name_of(detail::chroma_names(), line_.options.chroma_444)),
      tiff_compression_(
          detail::name_of(detail::tiff_compression_names(), line_.options.tiff_compression)) {
  Options& o = line_.options;
  app.add_option(names_of("inputs"), inputs_, "Image files and/or directories");
  app.add_option(names_of("output_dir"), output_dir_, "Output directory (created if missing)")
      ->required();
  // One value per -s (repeat -s for more), so "-s 800 photos/" keeps photos/ an input.
  app.add_option(names_of("sizes"), sizes_,
                 "WxH, W, Wx, xH, N%, N@, with an optional > (only shrink), < (only enlarge), "
                 "^ (cover the box) or ! (exactly); repeatable")
      ->allow_extra_args(false);
  app.add_option(names_of("fit"), fit_, choices_of(detail::fit_names()))->capture_default_str();
  app.add_option(names_of("gravity"), gravity_,
                 "What cover keeps / where contain places: " + choices_of(detail::gravity_names()))
      ->capture_default_str();
  app.add_flag(names_of("enlarge"), o.enlarge, "Allow enlarging images smaller than the box");
  app.add_option(names_of("filter"), filter_, choices_of(detail::filter_names()))
      ->capture_default_str();
  app.add_option(names_of("background"), background_,
                 "Padding for contain and backdrop for alpha in JPEG: white, black, transparent, "
                 "#rrggbb[aa] or r,g,b[,a]")
      ->capture_default_str();
  app.add_option(names_of("formats"), formats_,
                 "keep (default) | " + detail::names_as_choices(detail::writable_format_names()) +
                     " (heif is written as .heic, and -f heic names it too); repeat -f for "
                     "several formats")
      ->allow_extra_args(false);
  app.add_option(names_of("name"), o.name,
                 "Output file-name template: {stem} {ext} {width} {height} {size} {format}; "
                 "default {stem}.{ext}, or {stem}_{size}.{ext} with several sizes");
  app.add_option(names_of("quality"), o.quality,
                 "quality of lossy outputs, the same in every format (AVIF/HEIC: mapped onto "
                 "libheif's scale; JPEG XL: cjxl's distance)")
      ->capture_default_str();
  app.add_flag(names_of("progressive"), o.progressive, "JPEG: progressive scans");
  app.add_option(names_of("shrink_margin"), o.shrink_margin,
                 "Decode JPEGs at 1/2, 1/4 or 1/8 scale only while at least X times the output "
                 "size remains (1 = fastest, 2 = sharpest)")
      ->capture_default_str();
  app.add_option(names_of("progressive_bits"), o.progressive_bits,
                 "Progressive JPEG inputs shrunk on load: stop reading scans once the "
                 "coefficients shown are within N bits of full precision (-1 = read all)")
      ->capture_default_str();
  app.add_option(names_of("chroma_444"), chroma_,
                 "JPEG chroma subsampling: " + choices_of(detail::chroma_names()))
      ->capture_default_str();
  app.add_option(names_of("png_compression"), o.png_compression, "PNG: zlib level 0-9")
      ->capture_default_str();
  app.add_flag(names_of("lossless"), o.lossless, "WebP, AVIF, HEIC, JPEG XL: lossless");
  app.add_option(names_of("tiff_compression"), tiff_compression_,
                 "TIFF: " + choices_of(detail::tiff_compression_names()))
      ->capture_default_str();
  app.add_flag(names_of("recursive"), o.recursive, "Descend into subdirectories");
  app.add_option(names_of("threads"), o.threads, "CPU threads (0 = all cores)")
      ->capture_default_str();
  app.add_option(names_of("readers"), o.readers, "Threads reading input files")
      ->capture_default_str();
  app.add_option(names_of("writers"), o.writers, "Threads writing outputs")->capture_default_str();
  app.add_option(names_of("max_in_flight"), o.max_in_flight,
                 "Images in memory between read and write (0 = 2 x threads, at least 4)")
      ->capture_default_str();
  app.add_option(names_of("max_memory"), max_memory_,
                 "Bytes the files in flight may need together, estimated from their headers: "
                 "auto (half the cgroup memory limit or physical memory, after 64 MiB), "
                 "0 (no limit) or a size (e.g. 512M, 2G); a file larger than this runs alone")
      ->type_name("SIZE")
      ->capture_default_str();

  app.add_option(names_of("files_from"), files_from_,
                 "Also read input paths from FILE, one a line (- for stdin)");
  app.add_flag(names_of("files_from_nul"), nul_separated_,
               "--files-from paths are NUL-separated (find -print0)");
  app.add_option(names_of("shard"), shard_,
                 "Process only share K of N (K/N, 1-based), auto (Slurm array) or auto/N "
                 "(Kubernetes indexed job)");
  app.add_flag(names_of("skip_existing"), o.skip_existing,
               "Skip inputs whose outputs all exist and are newer (resume a killed run)");
  app.add_flag("--dry-run", line_.dry_run,
               "Print every input and its planned outputs; write nothing");

  app.add_option(names_of("max_pixels"), o.max_pixels,
                 "Refuse images whose header declares more pixels (0 = no limit)")
      ->capture_default_str();
  app.add_option(names_of("max_scans"), o.max_scans,
                 "Refuse progressive JPEGs with more scans, a decode time bomb (0 = no limit)")
      ->capture_default_str();
  app.add_option(names_of("max_frames"), o.max_frames,
                 "With --animated, refuse animations of more frames (0 = no limit)")
      ->capture_default_str();
  app.add_option(names_of("max_file_bytes"), o.max_file_bytes,
                 "Refuse input files larger than this many bytes (0 = no limit)")
      ->capture_default_str();
  app.add_option(names_of("timeout"), o.timeout,
                 "Seconds one file's decode, resize and encode may take; past it the file "
                 "fails with timed-out and the batch goes on (0 = no limit)")
      ->capture_default_str();
  app.add_flag(names_of("allow_truncated"), o.allow_truncated,
               "Accept truncated JPEGs (grey-padded) with a warning instead of failing them");
  app.add_flag("--fail-fast", fail_fast_, "Stop reading new files at the first failure");
  app.add_option(names_of("max_errors"), o.max_errors,
                 "Stop reading new files after N failures (0 = never)")
      ->capture_default_str();
  app.add_flag("--no-rotate", no_rotate_,
               "Keep pixels as stored instead of turning them upright by their EXIF orientation");
  app.add_flag(names_of("keep_icc"), o.keep_icc,
               "Keep the original ICC profile in the outputs instead of converting to sRGB");
  app.add_flag(names_of("keep_metadata"), o.keep_metadata,
               "Copy EXIF (orientation reset), XMP and ICC into the outputs (default: strip)");
  app.add_flag(names_of("strip_gps"), o.strip_gps,
               "--keep-metadata without location: GPS tags and XMP location fields removed");
  app.add_flag(names_of("animated"), o.animated,
               "Animated GIF and WebP: resize every frame into an animated WebP "
               "(default: the first frame)");
  app.add_flag("--no-fsync", no_fsync_, "Do not fsync outputs before renaming them into place");

  app.add_option("--report", line_.report_path,
                 "Write a JSON report of every file to this path (- for stdout)");
  app.add_flag("--log-json", line_.log_json,
               "Print one JSON object per file on stdout as it finishes");
  app.add_flag("--quiet", line_.quiet, "No progress bar or summary, errors only");

  app.set_version_flag("--version", version_text,
                       "Print imgflow's version and those of the libraries it runs with");
  group_options(app);
}

std::string with_flag_names(std::string_view message) {
  for (const auto& option : kFieldOptions) {
    if (message.starts_with(option.field) && message.substr(option.field.size()).starts_with(':')) {
      const std::string_view names = option.names;
      const auto comma = names.rfind(',');
      std::string text(comma == std::string_view::npos ? names : names.substr(comma + 1));
      return text.append(message.substr(option.field.size()));
    }
  }
  return std::string(message);
}

CommandLine OptionsCli::command_line() {
  Options& o = line_.options;
  for (const auto& s : sizes_) o.sizes.push_back(parse_geometry(s));
  if (!formats_.empty()) {
    o.formats.clear();
    for (const auto& f : formats_) o.formats.push_back(parse_output_format(f));
  }
  o.fit = parse_fit(fit_);
  o.chroma_444 = parse_chroma_444(chroma_);
  o.tiff_compression = parse_tiff_compression(tiff_compression_);
  o.gravity = parse_gravity(gravity_);
  o.filter = parse_filter(filter_);
  o.background = parse_color(background_);
  if (!shard_.empty()) o.shard = parse_shard(shard_);
  o.max_memory = parse_max_memory(max_memory_);
  o.files_from = files_from_;
  o.files_from_nul = nul_separated_;
  o.inputs.assign(inputs_.begin(), inputs_.end());
  o.output_dir = output_dir_;
  o.fsync = !no_fsync_;
  o.auto_orient = !no_rotate_;
  if (fail_fast_) o.max_errors = 1;
  return line_;
}

}  // namespace imgflow::cli
