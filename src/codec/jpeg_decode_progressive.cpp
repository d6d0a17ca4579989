// Progressive JPEGs decoded at a reduced scale, stopping early: a progressive
// file sends its DCT coefficients over several scans (low frequencies first,
// then the rest, each refined bit by bit). An M/8 scaled decode only shows the
// top-left M×M coefficients of each block, so once those have arrived to
// within `max_missing_bits` of full precision, the remaining scans change the
// output by less than its own 8-bit rounding and need not be decoded at all.
// Uses libjpeg's buffered-image mode: jpeg_consume_input scan by scan, then one
// output pass from the coefficients gathered so far.
//
// Every progressive JPEG is decoded here, at full scale too (reading every
// scan), because TurboJPEG's tjDecompress2 cannot be stopped: a file with its
// smallest scan repeated 50,000 times took 31 s in it. Our own loop over
// jpeg_consume_input checks the file's deadline (--timeout) every few calls.
#include <algorithm>
#include <vector>

#include "codec/decoders.hpp"
#include "codec/jpeg_metadata.hpp"
#include "codec/libjpeg_errors.hpp"
#include "codec/libjpeg_source.hpp"
#include "core/deadline.hpp"

namespace imgflow::detail {
namespace {

// Zigzag position of each coefficient of an 8×8 block, in natural (row-major)
// order: libjpeg's coef_bits are indexed by zigzag position.
constexpr int kZigzagOf[64] = {0,  1,  5,  6,  14, 15, 27, 28,  //
                               2,  4,  7,  13, 16, 26, 29, 42,  //
                               3,  8,  12, 17, 25, 30, 41, 43,  //
                               9,  11, 18, 24, 31, 40, 44, 53,  //
                               10, 19, 23, 32, 39, 45, 52, 54,  //
                               20, 22, 33, 38, 46, 51, 55, 60,  //
                               21, 34, 37, 47, 50, 56, 59, 61,  //
                               35, 36, 48, 49, 57, 58, 62, 63};

// Owns libjpeg's state; the setjmp section below holds no C++ objects with
// destructors, so a longjmp out of libjpeg skips nothing.
struct Decompressor {
  jpeg_decompress_struct cinfo{};
  LibjpegErrors err{};
  bool created = false;
  ~Decompressor() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

// Whether every coefficient that component `ci`'s scaled IDCT reads has
// arrived with at most `max_missing_bits` low bits still to come.
bool precise_enough(const jpeg_decompress_struct& cinfo, int ci, int max_missing_bits) {
  const int size = std::clamp(cinfo.comp_info[ci].DCT_scaled_size, 1, DCTSIZE);
  const int* bits = cinfo.coef_bits[ci];
  for (int row = 0; row < size; ++row) {
    for (int col = 0; col < size; ++col) {
      const int missing = bits[kZigzagOf[row * DCTSIZE + col]];
      if (missing < 0 || missing > max_missing_bits) return false;
    }
  }
  return true;
}

enum class Outcome { decoded, not_applicable, failed, timed_out, too_many_scans };

// `deadline` is trivially destructible, so a longjmp may cross it.
Outcome decode(Decompressor* d, InputSource* source, InputBytes* input, int scale_num,
               int scale_denom, int max_missing_bits, std::size_t max_scans, cv::Mat* pixels,
               int* scans_read, DeadlineCheck<64>* deadline) {
  jpeg_decompress_struct& cinfo = d->cinfo;
  if (setjmp(d->err.jump)) return Outcome::failed;
  jpeg_create_decompress(&cinfo);
  d->created = true;
  source->attach(cinfo, *input);
  jpeg_read_header(&cinfo, TRUE);
  const bool gray = cinfo.jpeg_color_space == JCS_GRAYSCALE && cinfo.num_components == 1;
  const bool ycc = cinfo.jpeg_color_space == JCS_YCbCr && cinfo.num_components == 3;
  if (!cinfo.progressive_mode || !(gray || ycc)) return Outcome::not_applicable;
  cinfo.scale_num = static_cast<unsigned int>(scale_num);
  cinfo.scale_denom = static_cast<unsigned int>(scale_denom);
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_EXT_BGR;
  cinfo.dct_method = JDCT_ISLOW;  // as TurboJPEG's default
  cinfo.buffered_image = TRUE;
  // Smoothing guesses missing AC coefficients of early scans; an early stop
  // has the ones it shows. Reading every scan, keep TurboJPEG's default.
  cinfo.do_block_smoothing = max_missing_bits < 0 ? TRUE : FALSE;
  jpeg_start_decompress(&cinfo);

  // One call reads one row of blocks of one scan: 6 us for the scan bomb's
  // 2400x1600 photo, so the clock is read every 0.4 ms.
  while (true) {
    if (deadline->passed()) return Outcome::timed_out;
    const int status = jpeg_consume_input(&cinfo);
    if (status == JPEG_REACHED_EOI) break;
    if (status == JPEG_SUSPENDED) return Outcome::failed;  // data ends: let the full path say so
    // Counted as they are read (a file read in pieces has no pre-pass).
    if (max_scans > 0 && static_cast<std::size_t>(cinfo.input_scan_number) > max_scans) {
      return Outcome::too_many_scans;
    }
    if (status != JPEG_SCAN_COMPLETED || max_missing_bits < 0) continue;
    bool enough = true;
    for (int ci = 0; ci < cinfo.num_components && enough; ++ci) {
      enough = precise_enough(cinfo, ci, max_missing_bits);
    }
    if (enough) break;
  }
  *scans_read = cinfo.input_scan_number;
  jpeg_start_output(&cinfo, cinfo.input_scan_number);
  pixels->create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width),
                 gray ? CV_8UC1 : CV_8UC3);
  while (cinfo.output_scanline < cinfo.output_height) {
    if (deadline->passed()) return Outcome::timed_out;
    JSAMPROW row = pixels->ptr<JSAMPLE>(static_cast<int>(cinfo.output_scanline));
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  // No jpeg_finish_output / jpeg_finish_decompress: they would read (and
  // Huffman-decode) the scans this function exists to skip.
  return Outcome::decoded;
}

}  // namespace

bool decode_progressive(std::span<const std::uint8_t> bytes, int scale_num, int scale_denom,
                        int max_missing_bits, cv::Mat& pixels) {
  InputBytes input = InputBytes::view(bytes);
  return decode_progressive(input, scale_num, scale_denom, max_missing_bits, 0, pixels);
}

bool decode_progressive(InputBytes& input, int scale_num, int scale_denom, int max_missing_bits,
                        std::size_t max_scans, cv::Mat& pixels) {
  if (scale_num >= scale_denom) max_missing_bits = -1;  // full scale: every coefficient shows
  Decompressor d;
  d.err.attach(*reinterpret_cast<jpeg_common_struct*>(&d.cinfo));
  InputSource source;
  int scans = 0;
  DeadlineCheck<64> deadline;
  const Outcome outcome = decode(&d, &source, &input, scale_num, scale_denom, max_missing_bits,
                                 max_scans, &pixels, &scans, &deadline);
  rethrow_read_error(source);
  if (outcome == Outcome::timed_out) throw timed_out_error("jpeg decode");
  if (outcome == Outcome::too_many_scans) throw too_many_scans_error(max_scans);
  // Any libjpeg warning (corrupt or missing data) goes to the full decoder,
  // which knows how to report each kind.
  if (outcome != Outcome::decoded || d.err.warnings > 0) {
    pixels.release();
    return false;
  }
  return true;
}

Error too_many_scans_error(std::size_t max_scans) {
  return Error(ErrorCode::too_complex, "jpeg has more than " + std::to_string(max_scans) +
                                           " progressive scans (the scan limit)");
}

namespace {

// Stops a decode from inside libjpeg (the progress monitor longjmps out, as
// error_exit does): jpeg_start_decompress reads every scan of a progressive
// file in one call, with no loop of ours around it.
struct Monitor {
  jpeg_progress_mgr base{};
  LibjpegErrors* err = nullptr;
  DeadlineCheck<64> deadline;
  std::size_t max_scans = 0;
  enum class Stop { none, timed_out, too_many_scans } stop = Stop::none;

  static void check(j_common_ptr common) {
    auto* self = reinterpret_cast<Monitor*>(common->progress);
    const auto* cinfo = reinterpret_cast<j_decompress_ptr>(common);
    if (self->max_scans > 0 &&
        static_cast<std::size_t>(cinfo->input_scan_number) > self->max_scans) {
      self->stop = Stop::too_many_scans;
    } else if (self->deadline.passed()) {
      self->stop = Stop::timed_out;
    } else {
      return;
    }
    std::longjmp(self->err->jump, 1);
  }
};

J_COLOR_SPACE out_space(int cv_type) {
  if (cv_type == CV_8UC1) return JCS_GRAYSCALE;
  if (cv_type == CV_8UC4) return JCS_CMYK;
  return JCS_EXT_BGR;
}

// As TurboJPEG's tjDecompress2 with no flags: default settings, every
// scanline, then jpeg_finish_decompress (which reads up to the end marker).
bool decode_lines(Decompressor* d, InputSource* source, InputBytes* input, int scale_num,
                  int scale_denom, int cv_type, Monitor* monitor, cv::Mat* pixels) {
  jpeg_decompress_struct& cinfo = d->cinfo;
  if (setjmp(d->err.jump)) return false;
  jpeg_create_decompress(&cinfo);
  d->created = true;
  cinfo.progress = &monitor->base;
  source->attach(cinfo, *input);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.scale_num = static_cast<unsigned int>(scale_num);
  cinfo.scale_denom = static_cast<unsigned int>(scale_denom);
  cinfo.out_color_space = out_space(cv_type);
  jpeg_start_decompress(&cinfo);
  pixels->create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width),
                 cv_type);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels->ptr<JSAMPLE>(static_cast<int>(cinfo.output_scanline));
    jpeg_read_scanlines(&cinfo, &row, 1);  // the monitor checks the deadline
  }
  jpeg_finish_decompress(&cinfo);
  return true;
}

bool read_frame(Decompressor* d, InputSource* source, InputBytes* input, JpegFrame* frame) {
  jpeg_decompress_struct& cinfo = d->cinfo;
  if (setjmp(d->err.jump)) return false;
  jpeg_create_decompress(&cinfo);
  d->created = true;
  source->attach(cinfo, *input);
  // What read_jpeg_metadata() reads from a whole file (an ICC profile may
  // span many APP2 segments).
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xFFFF);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 14, 0xFFFF);
  jpeg_read_header(&cinfo, TRUE);
  frame->width = static_cast<int>(cinfo.image_width);
  frame->height = static_cast<int>(cinfo.image_height);
  frame->gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  frame->cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  return true;
}

}  // namespace

LibjpegResult decode_jpeg_lines(InputBytes& input, int scale_num, int scale_denom, int cv_type,
                                std::size_t max_scans, cv::Mat& pixels) {
  Decompressor d;
  d.err.attach(*reinterpret_cast<jpeg_common_struct*>(&d.cinfo));
  InputSource source;
  Monitor monitor;
  monitor.base.progress_monitor = &Monitor::check;
  monitor.err = &d.err;
  monitor.max_scans = max_scans;
  LibjpegResult result;
  result.decoded =
      decode_lines(&d, &source, &input, scale_num, scale_denom, cv_type, &monitor, &pixels);
  rethrow_read_error(source);
  if (monitor.stop == Monitor::Stop::timed_out) throw timed_out_error("jpeg decode");
  if (monitor.stop == Monitor::Stop::too_many_scans) throw too_many_scans_error(max_scans);
  if (!result.decoded) result.error = d.err.message;
  result.warnings = d.err.warnings;
  result.first_warning = d.err.first_warning;
  result.data_ended = source.ended;
  return result;
}

JpegFrame read_jpeg_frame(InputBytes& input) {
  Decompressor d;
  d.err.attach(*reinterpret_cast<jpeg_common_struct*>(&d.cinfo));
  InputSource source;
  JpegFrame frame;
  const bool read = read_frame(&d, &source, &input, &frame);
  rethrow_read_error(source);
  if (!read) {
    frame.error = d.err.message;
    return frame;
  }
  std::vector<JpegSegment> segments;
  for (jpeg_saved_marker_ptr m = d.cinfo.marker_list; m; m = m->next) {
    segments.push_back({static_cast<std::uint8_t>(m->marker), {m->data, m->data_length}});
  }
  frame.meta = jpeg_metadata_of(segments);
  frame.data_ended = source.ended;
  return frame;
}

}  // namespace imgflow::detail
