// JPEG decoding with TurboJPEG: shrink-on-load by M/8 scaling factors, and
// truncation detected from libjpeg's warnings (which we capture, not print).
#include <turbojpeg.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "codec/color_management.hpp"
#include "codec/decoders.hpp"
#include "codec/jpeg_metadata.hpp"
#include "codec/thread_handle_cache.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// One decompressor per thread: creating one costs more than decoding a thumbnail.
tjhandle thread_decompressor() {
  const tjhandle handle = ThreadHandleCache<tjhandle, tjDestroy>::get(0, tjInitDecompress);
  if (!handle) throw Error(ErrorCode::decode_error, "cannot create a TurboJPEG decompressor");
  return handle;
}

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

// libjpeg reports running out of data as a warning and pads the image with grey.
bool is_truncation(const std::string& message) {
  return contains(message, "Premature end of JPEG file") ||
         contains(message, "premature end of data segment");
}

[[noreturn]] void throw_jpeg_error(const std::string& message) {
  if (is_truncation(message)) throw Error(ErrorCode::truncated_input, "jpeg data ends early");
  throw Error(ErrorCode::corrupt_input, "jpeg: " + message);
}

// The smallest of the scales 1/8, 1/4, 1/2 whose output still covers
// `at_least` on both sides, else 1/1. TurboJPEG offers every M/8, but only
// these have fast (SIMD) reduced IDCTs: decoding a 2000x1250 photo at 5/8
// took 6.15 ms, longer than at 1/1 (5.13 ms) and far longer than at 1/2
// (3.52 ms; bench/results/micro.md).
tjscalingfactor choose_scale(int width, int height, Size at_least) {
  if (at_least.width <= 0 && at_least.height <= 0) return {1, 1};
  for (const int denom : {8, 4, 2}) {
    const tjscalingfactor f{1, denom};
    if (TJSCALED(width, f) >= at_least.width && TJSCALED(height, f) >= at_least.height) return f;
  }
  return {1, 1};
}

// Without a profile: Adobe's CMYK JPEGs store inverted ink values
// (channel = ink' * black' / 255); others store plain ones.
cv::Mat naive_cmyk_to_bgr(const cv::Mat& cmyk, bool inverted) {
  cv::Mat bgr(cmyk.rows, cmyk.cols, CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const auto* in = cmyk.ptr<std::uint8_t>(y);
    auto* out = bgr.ptr<std::uint8_t>(y);
    for (int x = 0; x < cmyk.cols; ++x, in += 4, out += 3) {
      int v[4];
      for (int c = 0; c < 4; ++c) v[c] = inverted ? in[c] : 255 - in[c];
      out[0] = static_cast<std::uint8_t>(v[2] * v[3] / 255);
      out[1] = static_cast<std::uint8_t>(v[1] * v[3] / 255);
      out[2] = static_cast<std::uint8_t>(v[0] * v[3] / 255);
    }
  }
  return bgr;
}

// TurboJPEG cannot be stopped, so a decode that must run again in it (a
// progressive file libjpeg warned about, or a file tried once more with its
// end-of-image marker restored) is refused, timed-out, when it would end past
// the file's limit: a second pass costs about what the pass before it did.
void check_time_for_another_pass(DeadlineClock::time_point last_pass_started, const char* pass) {
  const Deadline& deadline = thread_deadline();
  if (deadline.none()) return;
  const auto now = DeadlineClock::now();
  if (now + (now - last_pass_started) <= deadline.at) return;
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", deadline.limit_seconds);
  throw Error(ErrorCode::timed_out, std::string("jpeg decode stopped: ") + pass +
                                        " would run past the file's " + limit +
                                        " s limit (--timeout)");
}

bool ends_with_eoi(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[bytes.size() - 2] == 0xFF && bytes.back() == 0xD9;
}

// A decode that libjpeg warned about (`message`, as TurboJPEG reports it):
// the image with a warning, or an error. `only_end_marker_missing` is asked
// only of a truncation: whether the data was all there but its end marker.
template <typename OnlyEndMarkerMissing>
void take_warning(const std::string& message, OnlyEndMarkerMissing only_end_marker_missing,
                  const DecodeOptions& options, Image& image) {
  if (!is_truncation(message)) {
    image.warnings.push_back("jpeg: " + message);
  } else if (only_end_marker_missing()) {
    image.warnings.push_back("jpeg: missing end-of-image marker (image data complete)");
  } else if (options.allow_truncated) {
    image.warnings.push_back("jpeg: data ends early; the missing part is grey (--allow-truncated)");
  } else {
    throw_jpeg_error(message);
  }
}

// The file's last two bytes, read from the file when it is in pieces.
bool ends_with_eoi(InputBytes& input) {
  std::uint8_t last[2] = {0, 0};
  return input.size() >= 2 && input.read(input.size() - 2, last, 2) == 2 &&
         ends_with_eoi(std::span<const std::uint8_t>(last, 2));
}

// The pixels of a CMYK decode in sRGB, or the others as they are, with the
// profile that goes with them.
void finish_pixels(cv::Mat pixels, bool cmyk, const JpegMetadata& meta, Image& image) {
  if (cmyk) {
    // Through its CMYK profile when there is one; otherwise a naive conversion.
    if (meta.icc.empty() || !cmyk_to_srgb(pixels, meta.adobe, meta.icc, image.pixels)) {
      image.pixels = naive_cmyk_to_bgr(pixels, meta.adobe);
    }
  } else {
    image.pixels = std::move(pixels);
    image.icc = meta.icc;
  }
}

}  // namespace

Image decode_jpeg(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options) {
  tjhandle tj = thread_decompressor();
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, bytes.data(), static_cast<unsigned long>(bytes.size()), &width,
                          &height, &subsampling, &colorspace) != 0) {
    throw_jpeg_error(tjGetErrorStr2(tj));
  }
  Image image;
  image.source = {Format::jpeg, width, height};
  check_pixel_limit(image.source, options.max_pixels);
  // Each scan of a progressive JPEG is decoded over the whole coefficient
  // buffer: a file repeating its smallest scan 50,000 times took 31 s at full
  // size. Counted before decoding; real photos have 10 to 12.
  const bool progressive = header.coefficient_bytes > 0;
  if (progressive && options.max_scans > 0) {
    const std::size_t scans = count_jpeg_scans(bytes, options.max_scans + 1);
    if (scans > options.max_scans) {
      throw too_many_scans_error(options.max_scans);
    }
  }

  const tjscalingfactor scale = choose_scale(width, height, options.at_least);
  const int out_w = TJSCALED(width, scale);
  const int out_h = TJSCALED(height, scale);
  int pixel_format = TJPF_BGR;
  int cv_type = CV_8UC3;
  if (colorspace == TJCS_GRAY) {
    pixel_format = TJPF_GRAY;
    cv_type = CV_8UC1;
  } else if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    pixel_format = TJPF_CMYK;
    cv_type = CV_8UC4;
  }
  cv::Mat pixels;
  // Many writers drop only the final end-of-image marker while all pixels are
  // there: decoding again with the marker restored tells that from truncation.
  auto pass_started = DeadlineClock::now();
  auto decodes_with_eoi_restored = [&] {
    check_time_for_another_pass(pass_started, "decoding again with the end marker restored");
    std::vector<std::uint8_t> repaired(bytes.begin(), bytes.end());
    repaired.push_back(0xFF);
    repaired.push_back(0xD9);
    return tjDecompress2(tj, repaired.data(), static_cast<unsigned long>(repaired.size()),
                         pixels.data, out_w, static_cast<int>(pixels.step), out_h, pixel_format,
                         0) == 0;
  };
  // A progressive file goes through libjpeg's API, which --timeout can stop
  // (TurboJPEG cannot), stopping early at a reduced scale. One without its
  // end-of-image marker reads every scan: libjpeg then warns of the missing
  // data, and TurboJPEG decodes it again to tell a missing marker from
  // missing data. That second decode takes about as long as the first, and
  // is refused when it would end past the limit (check_time_for_another_pass).
  // On the bench's 37 progressive JPEGs at full
  // scale libjpeg's API gave the same bytes as TurboJPEG, in CPU time within
  // the noise of a loaded machine (two passes each: 13.9 s against 14.1 s
  // run second, 15.5 s against 13.5 s run first). Baseline files stay with
  // TurboJPEG, since one scan is bounded by --max-pixels: random noise at q100
  // 4:4:4, the costliest to decode, ran at 59 MP/s, so 4.5 s of CPU at the
  // 268 MP limit (a photo upscaled to 168 MP: 0.4 s). So do CMYK progressive
  // files, rare enough to leave to --max-scans.
  const bool early =
      progressive && pixel_format != TJPF_CMYK &&
      decode_progressive(bytes, scale.num, scale.denom,
                         ends_with_eoi(bytes) ? options.progressive_bits : -1, pixels) &&
      pixels.cols == out_w && pixels.rows == out_h && pixels.type() == cv_type;
  if (!early) {
    if (progressive) check_time_for_another_pass(pass_started, "decoding again in TurboJPEG");
    pass_started = DeadlineClock::now();
    pixels.create(out_h, out_w, cv_type);
  }
  if (!early &&
      tjDecompress2(tj, bytes.data(), static_cast<unsigned long>(bytes.size()), pixels.data, out_w,
                    static_cast<int>(pixels.step), out_h, pixel_format, 0) != 0) {
    const std::string message = tjGetErrorStr2(tj);
    if (tjGetErrorCode(tj) != TJERR_WARNING) throw_jpeg_error(message);
    take_warning(
        message, [&] { return !ends_with_eoi(bytes) && decodes_with_eoi_restored(); }, options,
        image);
  }
  finish_pixels(std::move(pixels), pixel_format == TJPF_CMYK, read_jpeg_metadata(bytes), image);
  return image;
}

// decode_jpeg's steps with libjpeg's API in place of TurboJPEG, from a source
// that reads the file in pieces. Where decode_jpeg decodes again with the end
// marker appended, the source here has already given libjpeg that marker
// when the data ended (as jpeg_mem_src does): if its "premature end" warning
// is the only one, the data was complete but for the marker.
Image decode_jpeg_in_pieces(InputBytes& input, const SourceInfo& header,
                            const DecodeOptions& options) {
  const JpegFrame frame = read_jpeg_frame(input);
  if (!frame.error.empty()) throw_jpeg_error(frame.error);
  Image image;
  image.source = {Format::jpeg, frame.width, frame.height};
  check_pixel_limit(image.source, options.max_pixels);
  const bool progressive = header.coefficient_bytes > 0;
  const std::size_t max_scans = progressive ? options.max_scans : 0;
  const tjscalingfactor scale = choose_scale(frame.width, frame.height, options.at_least);
  const int out_w = TJSCALED(frame.width, scale);
  const int out_h = TJSCALED(frame.height, scale);
  const int cv_type = frame.gray ? CV_8UC1 : frame.cmyk ? CV_8UC4 : CV_8UC3;
  const bool has_eoi = ends_with_eoi(input);
  cv::Mat pixels;
  auto pass_started = DeadlineClock::now();
  const bool early =
      progressive && !frame.cmyk &&
      decode_progressive(input, scale.num, scale.denom, has_eoi ? options.progressive_bits : -1,
                         max_scans, pixels) &&
      pixels.cols == out_w && pixels.rows == out_h && pixels.type() == cv_type;
  if (!early) {
    if (progressive) check_time_for_another_pass(pass_started, "decoding again");
    const LibjpegResult result =
        decode_jpeg_lines(input, scale.num, scale.denom, cv_type, max_scans, pixels);
    // TurboJPEG 2.1 reports a fatal error that follows a warning as a
    // warning (tjGetErrorCode), with the fatal error's text, and keeps the
    // rows decoded until then: so does this.
    if (!result.decoded && result.warnings == 0) throw_jpeg_error(result.error);
    if (result.warnings > 0) {
      take_warning(
          result.decoded ? result.first_warning : result.error,
          [&] { return result.decoded && !has_eoi && result.data_ended && result.warnings == 1; },
          options, image);
    }
  }
  finish_pixels(std::move(pixels), frame.cmyk, frame.meta, image);
  return image;
}

}  // namespace imgflow::detail
