// Stage micro-benchmarks (Google Benchmark): what one image costs in each of
// imgflow's CPU stages, on one thread, on the real photos in sample_images/.
//
//   bench/micro.sh [--benchmark_filter=REGEX ...]     (see bench/README.md)
//
// Names are <stage>/<format>/<photo>/<variant>; the label says which size was
// decoded, resized or encoded. Times are per image. items_per_second is images
// per second; bytes_per_second counts the encoded input (decode, path) or the
// pixels in (resize, encode); Mpx (a rate: megapixels per second) counts the
// decoded pixels (decode), the pixels in (resize, encode) or the full-size
// source (path).
//
// Only the public single-image API is used. The photos are read from disk once;
// a PNG, a WebP and a progressive JPEG of the baseline photo are encoded in
// memory at start-up, so every format is measured on the same pixels too.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "imgflow/imgflow.hpp"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// One encoded photo, from a file or encoded at start-up.
struct Photo {
  std::string name;  // e.g. "kite"
  fs::path path;     // empty when encoded in memory
  Bytes bytes;
  imgflow::SourceInfo header;
};

// Everything the benchmarks work on, loaded before any of them runs.
struct Corpus {
  Photo jpeg_baseline;          // kite.jpg
  Photo jpeg_progressive;       // kite, re-encoded progressive q88 (same pixels as the baseline)
  Photo jpeg_progressive_real;  // cold_ripple.jpg, a progressive JPEG as shipped
  Photo png;                    // kite as PNG
  Photo png_real;               // more/colorful_cups.png
  Photo webp;                   // kite as WebP q90
  Photo webp_real;              // more/evening_glow.webp
};

std::string size_text(int width, int height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

std::string size_text(const cv::Mat& pixels) {
  return size_text(pixels.cols, pixels.rows);
}

imgflow::Geometry box800() {
  return imgflow::parse_geometry("800x800");
}

imgflow::Size full_size(const imgflow::Image& image) {
  return {image.source.width, image.source.height};
}

// The pipeline's JPEG output settings in bench/compare.sh's job: quality 85.
imgflow::EncodeOptions jpeg_q85() {
  return imgflow::EncodeOptions(imgflow::Format::jpeg, 85);
}

// What the pipeline asks the decoder for when every output fits `box`: the
// fitted size times the default shrink-on-load margin (Options::shrink_margin),
// so JPEGs are shrunk on load exactly as in a batch run.
imgflow::DecodeOptions pipeline_decode_options(const imgflow::SourceInfo& header,
                                               const imgflow::Geometry& box) {
  const double margin = imgflow::Options{}.shrink_margin;
  imgflow::Size upright{header.width, header.height};
  if (imgflow::swaps_sides(header.orientation)) std::swap(upright.width, upright.height);
  const imgflow::Size fit = imgflow::fit_inside(upright, box);
  imgflow::DecodeOptions options;
  options.at_least = {static_cast<int>(std::ceil(fit.width * margin)),
                      static_cast<int>(std::ceil(fit.height * margin))};
  return options;
}

// Options under which the library's shrink-on-load picks exactly the scale
// 1/denominator for `header` (denominator 1: no shrinking).
imgflow::DecodeOptions scale_decode_options(const imgflow::SourceInfo& header, int denominator) {
  imgflow::DecodeOptions options;
  if (denominator > 1) {
    // TurboJPEG's scaled sides round up.
    options.at_least = {(header.width + denominator - 1) / denominator,
                        (header.height + denominator - 1) / denominator};
  }
  return options;
}

Photo photo_from_file(const fs::path& path) {
  Photo photo;
  photo.name = path.stem().string();
  photo.path = path;
  photo.bytes = imgflow::read_file(path);
  photo.header = imgflow::read_header(photo.bytes);
  return photo;
}

Photo photo_from_pixels(const std::string& name, const cv::Mat& pixels,
                        const imgflow::EncodeOptions& options) {
  Photo photo;
  photo.name = name;
  photo.bytes = imgflow::encode(pixels, options);
  photo.header = imgflow::read_header(photo.bytes);
  return photo;
}

Corpus load_corpus(const fs::path& samples) {
  Corpus c;
  c.jpeg_baseline = photo_from_file(samples / "kite.jpg");
  c.jpeg_progressive_real = photo_from_file(samples / "cold_ripple.jpg");
  c.png_real = photo_from_file(samples / "more" / "colorful_cups.png");
  c.webp_real = photo_from_file(samples / "more" / "evening_glow.webp");

  const cv::Mat kite = imgflow::decode(c.jpeg_baseline.bytes).pixels;
  imgflow::EncodeOptions progressive(imgflow::Format::jpeg, 88);
  progressive.progressive = true;
  c.jpeg_progressive = photo_from_pixels("kite", kite, progressive);
  c.png = photo_from_pixels("kite", kite, imgflow::EncodeOptions(imgflow::Format::png, 85));
  c.webp = photo_from_pixels("kite", kite, imgflow::EncodeOptions(imgflow::Format::webp, 90));
  return c;
}

// Runs `once` outside the timing (a failure skips the benchmark with its
// message instead of aborting the whole run), then times it. Returns false if
// it failed.
bool time_it(benchmark::State& state, const std::function<void()>& once) {
  try {
    once();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return false;
  }
  for (auto _ : state) once();
  state.SetItemsProcessed(state.iterations());
  return true;
}

void set_megapixels(benchmark::State& state, double pixels) {
  state.counters["Mpx"] =
      benchmark::Counter(pixels / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}

void bench_decode(benchmark::State& state, const Photo& photo, imgflow::DecodeOptions options) {
  cv::Size decoded;
  const bool ok = time_it(state, [&] {
    imgflow::Image image = imgflow::decode(photo.bytes, options);
    benchmark::DoNotOptimize(image.pixels.data);
    decoded = image.pixels.size();
  });
  if (!ok) return;
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(photo.bytes.size()));
  set_megapixels(state, decoded.area());
  state.SetLabel(size_text(decoded.width, decoded.height) + " of " +
                 size_text(photo.header.width, photo.header.height));
}

void bench_resize(benchmark::State& state, const cv::Mat& pixels, imgflow::Size source) {
  const imgflow::Geometry box = box800();
  cv::Mat resized;
  const bool ok = time_it(state, [&] {
    resized = imgflow::resize(pixels, box, {}, source);
    benchmark::DoNotOptimize(resized.data);
  });
  if (!ok) return;
  const double pixel_bytes = static_cast<double>(pixels.total() * pixels.elemSize());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(pixel_bytes));
  set_megapixels(state, static_cast<double>(pixels.total()));
  state.SetLabel(size_text(pixels) + " -> " + size_text(resized));
}

void bench_encode(benchmark::State& state, const cv::Mat& pixels,
                  const imgflow::EncodeOptions& options) {
  std::size_t encoded = 0;
  const bool ok = time_it(state, [&] {
    Bytes bytes = imgflow::encode(pixels, options);
    benchmark::DoNotOptimize(bytes.data());
    encoded = bytes.size();
  });
  if (!ok) return;
  const double pixel_bytes = static_cast<double>(pixels.total() * pixels.elemSize());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(pixel_bytes));
  set_megapixels(state, static_cast<double>(pixels.total()));
  state.counters["out_KiB"] = static_cast<double>(encoded) / 1024.0;
  state.SetLabel(size_text(pixels) + " -> " + std::to_string(encoded / 1024) + " KiB");
}

// One image the way a batch run treats it, minus the file write: read the
// file, read its header, decode (shrunk on load for the box), resize to fit
// 800x800 (never enlarging), encode JPEG q85.
void bench_path(benchmark::State& state, const Photo& photo) {
  const imgflow::Geometry box = box800();
  cv::Size decoded;
  cv::Size output;
  const bool ok = time_it(state, [&] {
    const Bytes bytes = imgflow::read_file(photo.path);
    const imgflow::SourceInfo header = imgflow::read_header(bytes);
    const imgflow::Image image = imgflow::decode(bytes, pipeline_decode_options(header, box));
    const cv::Mat resized = imgflow::resize(image.pixels, box, {}, full_size(image));
    Bytes encoded = imgflow::encode(resized, jpeg_q85());
    benchmark::DoNotOptimize(encoded.data());
    decoded = image.pixels.size();
    output = resized.size();
  });
  if (!ok) return;
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(photo.bytes.size()));
  set_megapixels(state, static_cast<double>(photo.header.width) * photo.header.height);
  state.SetLabel(size_text(photo.header.width, photo.header.height) + " (decoded " +
                 size_text(decoded.width, decoded.height) + ") -> " +
                 size_text(output.width, output.height) + " jpeg");
}

void add(const std::string& name, std::function<void(benchmark::State&)> fn) {
  benchmark::RegisterBenchmark(name.c_str(), std::move(fn))->Unit(benchmark::kMillisecond);
}

// Decoding with what the pipeline asks for when every output fits 800x800
// (the label shows whether, and how far, the decoder shrank the image).
void add_box800_decode(const std::string& name, const Photo& photo) {
  add(name, [&photo](benchmark::State& state) {
    bench_decode(state, photo, pipeline_decode_options(photo.header, box800()));
  });
}

void register_decodes(const Corpus& c) {
  const auto jpeg_scales = [](const std::string& kind, const Photo& photo) {
    for (const int denominator : {1, 2, 4, 8}) {
      add("decode/" + kind + "/" + photo.name + "/scale:1/" + std::to_string(denominator),
          [&photo, denominator](benchmark::State& state) {
            bench_decode(state, photo, scale_decode_options(photo.header, denominator));
          });
    }
    add_box800_decode("decode/" + kind + "/" + photo.name + "/box800", photo);
  };
  jpeg_scales("jpeg-baseline", c.jpeg_baseline);
  jpeg_scales("jpeg-progressive", c.jpeg_progressive);
  jpeg_scales("jpeg-progressive", c.jpeg_progressive_real);

  // PNG and WebP: in full, and for an 800x800 box.
  for (const auto& [kind, photo] : {std::pair{"png", &c.png}, std::pair{"png", &c.png_real},
                                    std::pair{"webp", &c.webp}, std::pair{"webp", &c.webp_real}}) {
    const std::string prefix = std::string("decode/") + kind + "/" + photo->name;
    add(prefix + "/full", [photo](benchmark::State& state) { bench_decode(state, *photo, {}); });
    add_box800_decode(prefix + "/box800", *photo);
  }
}

void register_resizes(const Corpus& c) {
  // Each source is decoded once here; the benchmarks time only the resize.
  const auto from = [](const std::string& name, const Photo& photo,
                       const imgflow::DecodeOptions& options) {
    const imgflow::Image image = imgflow::decode(photo.bytes, options);
    add(name, [pixels = image.pixels, source = full_size(image)](benchmark::State& state) {
      bench_resize(state, pixels, source);
    });
  };
  const Photo& kite = c.jpeg_baseline;
  from("resize/jpeg/kite/from-full", kite, {});
  from("resize/jpeg/kite/from-box800-shrink", kite, pipeline_decode_options(kite.header, box800()));
  from("resize/jpeg/kite/from-scale:1/2", kite, scale_decode_options(kite.header, 2));
  from("resize/png/" + c.png_real.name + "/from-full", c.png_real, {});
  from("resize/webp/" + c.webp_real.name + "/from-full", c.webp_real, {});
}

void register_encodes(const Corpus& c) {
  // An 800x533 crop (3:2) of the baseline photo.
  imgflow::ResizeOptions cover;
  cover.spec.fit = imgflow::Fit::cover;
  const cv::Mat pixels = imgflow::resize(imgflow::decode(c.jpeg_baseline.bytes).pixels,
                                         imgflow::parse_geometry("800x533"), cover);
  const std::string suffix = "/kite/" + size_text(pixels);
  for (const auto& [name, options] :
       {std::pair{"jpeg-q85", jpeg_q85()},
        std::pair{"png", imgflow::EncodeOptions(imgflow::Format::png, 85)},
        std::pair{"webp-q85", imgflow::EncodeOptions(imgflow::Format::webp, 85)}}) {
    add(std::string("encode/") + name + suffix,
        [pixels, options](benchmark::State& state) { bench_encode(state, pixels, options); });
  }
}

void register_paths(const Corpus& c) {
  for (const auto& [kind, photo] :
       {std::pair{"jpeg", &c.jpeg_baseline}, std::pair{"png", &c.png_real},
        std::pair{"webp", &c.webp_real}}) {
    add(std::string("path/") + kind + "/" + photo->name + "/box800-q85",
        [photo](benchmark::State& state) { bench_path(state, *photo); });
  }
}

fs::path sample_dir() {
  if (const char* dir = std::getenv("IMGFLOW_SAMPLE_DIR"); dir && *dir) return dir;
  return IMGFLOW_SAMPLE_DIR;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // The imgflow CLI's allocator settings (src/cli/main.cpp). With glibc's
  // adaptive defaults, large image buffers keep going back to the kernel and
  // being faulted in again: path/webp took 46 ms per image instead of 38.
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // One thread per image, as in a batch run (the pipeline sets OpenCV to one
  // thread too): these are the per-image costs a scheduler has to spread.
  cv::setNumThreads(1);

  static Corpus corpus;
  try {
    corpus = load_corpus(sample_dir());
    register_decodes(corpus);
    register_resizes(corpus);
    register_encodes(corpus);
    register_paths(corpus);
  } catch (const std::exception& e) {
    std::cerr << "imgflow_stages_bench: cannot prepare the photos in " << sample_dir() << ": "
              << e.what() << " (set IMGFLOW_SAMPLE_DIR)\n";
    return 1;
  }
  benchmark::AddCustomContext("imgflow_version", imgflow::version);
  benchmark::AddCustomContext("sample_dir", sample_dir().string());
  benchmark::AddCustomContext("imgflow_build_type", IMGFLOW_BUILD_TYPE);
  benchmark::AddCustomContext("opencv_threads", "1");
  benchmark::AddCustomContext("malloc",
                              "mmap threshold 8 MiB, trim threshold 256 MiB (as the CLI)");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
