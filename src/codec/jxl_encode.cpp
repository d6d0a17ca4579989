// JPEG XL encoding with libjxl, tagged sRGB.
//
// Quality: -q (1..100) becomes libjxl's Butteraugli distance on the scale
// cjxl documents for its own -q: 90 is distance 1 ("visually lossless"),
// each point below 90 adds 0.09 down to 30, then the distance grows
// geometrically. -q 100 is distance 0.1 (near-lossless), not lossless:
// --lossless asks for that (modular, exact, the samples in their own space).
//
// Effort: libjxl's 1 (fastest) to 9; see kEffort for the measurements. The
// encoder runs single-threaded (no parallel runner): a batch already encodes
// one image per core.
#include <jxl/encode.h>
#include <jxl/encode_cxx.h>

#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "codec/encoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

/// libjxl's effort (its own default is 7). Measured with cjxl 0.7 at
/// distance 1.45 (our -q 85), one thread, on 8 bench photos made 800 px wide
/// by imgflow (PNG), totals (CPU seconds include cjxl's PNG read):
///   effort 3: 257,484 B, mean PSNR 41.03 dB, 0.82 s
///   effort 5: 251,905 B, mean PSNR 42.14 dB, 1.01 s
///   effort 7: 254,762 B, mean PSNR 42.20 dB, 2.59 s
///   (JPEG q85 4:2:0 of the same: 374,636 B, 40.93 dB)
/// and on the 4 top-level sample photos: effort 5 124,313 B / 41.31 dB /
/// 0.49 s, 7 126,763 B / 41.31 dB / 0.76 s, 9 123,356 B / 41.20 dB / 7.11 s.
/// Effort 5 costs 40-60% less than 7 for the same bytes and 0.06 dB.
constexpr int kEffort = 5;

float distance_for(int quality) {
  if (quality >= 30) return 0.1f + static_cast<float>(100 - quality) * 0.09f;
  return 6.4f + static_cast<float>(std::pow(2.5, (30 - quality) / 5.0) / 6.25);
}

void check(JxlEncoderStatus status, const char* step) {
  if (status != JXL_ENC_SUCCESS) {
    throw Error(ErrorCode::encode_error, std::string("jxl: ") + step + " failed");
  }
}

// An Exif box holds the offset of the TIFF header (0 here) before it.
std::vector<std::uint8_t> exif_box(const std::vector<std::uint8_t>& tiff) {
  std::vector<std::uint8_t> box(4, 0);
  box.insert(box.end(), tiff.begin(), tiff.end());
  return box;
}

}  // namespace

std::vector<std::uint8_t> encode_jxl(const cv::Mat& pixels, const EncodeOptions& settings) {
  const int quality = settings.quality;
  const bool lossless = settings.lossless;
  const bool deep = pixels.depth() == CV_16U;
  if ((pixels.depth() != CV_8U && !deep) || pixels.channels() == 2 || pixels.channels() > 4) {
    throw Error(ErrorCode::encode_error, "jxl: needs 8- or 16-bit gray, BGR or BGRA");
  }
  const bool gray = pixels.channels() == 1, alpha = pixels.channels() == 4;
  // A new buffer: the caller's pixels are only read.
  cv::Mat rgb;
  if (gray) {
    rgb = pixels.isContinuous() ? pixels : pixels.clone();
  } else {
    cv::cvtColor(pixels, rgb, alpha ? cv::COLOR_BGRA2RGBA : cv::COLOR_BGR2RGB);
  }

  const JxlEncoderPtr encoder = JxlEncoderMake(nullptr);
  if (!encoder) throw Error(ErrorCode::encode_error, "libjxl: out of memory");
  JxlEncoder* e = encoder.get();

  JxlBasicInfo info;
  JxlEncoderInitBasicInfo(&info);
  info.xsize = static_cast<std::uint32_t>(rgb.cols);
  info.ysize = static_cast<std::uint32_t>(rgb.rows);
  info.bits_per_sample = deep ? 16 : 8;
  info.num_color_channels = gray ? 1 : 3;
  info.num_extra_channels = alpha ? 1 : 0;
  info.alpha_bits = alpha ? info.bits_per_sample : 0;
  // Lossless keeps the samples as they are; lossy converts them to XYB.
  info.uses_original_profile = lossless ? JXL_TRUE : JXL_FALSE;
  check(JxlEncoderSetBasicInfo(e, &info), "basic info");
  if (settings.icc.empty()) {
    JxlColorEncoding srgb;
    JxlColorEncodingSetToSRGB(&srgb, gray ? JXL_TRUE : JXL_FALSE);
    check(JxlEncoderSetColorEncoding(e, &srgb), "colour encoding");
  } else {
    check(JxlEncoderSetICCProfile(e, settings.icc.data(), settings.icc.size()), "ICC profile");
  }
  // Metadata boxes go before the image, where readers look first.
  if (!settings.exif.empty() || !settings.xmp.empty()) {
    check(JxlEncoderUseBoxes(e), "boxes");
    if (!settings.exif.empty()) {
      const std::vector<std::uint8_t> box = exif_box(settings.exif);
      check(JxlEncoderAddBox(e, "Exif", box.data(), box.size(), JXL_FALSE), "Exif box");
    }
    if (!settings.xmp.empty()) {
      check(JxlEncoderAddBox(e, "xml ", settings.xmp.data(), settings.xmp.size(), JXL_FALSE),
            "xml box");
    }
    JxlEncoderCloseBoxes(e);
  }

  JxlEncoderFrameSettings* frame = JxlEncoderFrameSettingsCreate(e, nullptr);
  if (!frame) throw Error(ErrorCode::encode_error, "libjxl: out of memory");
  check(JxlEncoderFrameSettingsSetOption(frame, JXL_ENC_FRAME_SETTING_EFFORT, kEffort), "effort");
  if (lossless) {
    check(JxlEncoderSetFrameLossless(frame, JXL_TRUE), "lossless");
  } else {
    check(JxlEncoderSetFrameDistance(frame, distance_for(quality)), "distance");
  }
  const JxlPixelFormat format{static_cast<std::uint32_t>(rgb.channels()),
                              deep ? JXL_TYPE_UINT16 : JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  check(JxlEncoderAddImageFrame(frame, &format, rgb.data, rgb.total() * rgb.elemSize()), "frame");
  JxlEncoderCloseInput(e);

  std::vector<std::uint8_t> out(64 * 1024);
  std::size_t used = 0;
  for (;;) {
    std::uint8_t* next = out.data() + used;
    std::size_t available = out.size() - used;
    const JxlEncoderStatus status = JxlEncoderProcessOutput(e, &next, &available);
    used = static_cast<std::size_t>(next - out.data());
    if (status == JXL_ENC_SUCCESS) break;
    if (status != JXL_ENC_NEED_MORE_OUTPUT) check(status, "encoding");
    out.resize(out.size() * 2);
  }
  out.resize(used);
  return out;
}

}  // namespace imgflow::detail
