// GIF decoding with giflib's record-level API: the first frame only, drawn
// on the logical screen (transparent where the frame does not cover it, and
// where its Graphic Control Extension names a transparent index). The
// screen's size is checked against max_pixels from the header, and the frame
// is read a row at a time, so no frame of an animation but the first is ever
// decompressed. Output: BGRA if any pixel is transparent, else BGR.
#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "codec/decoders.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

struct Reader {
  std::span<const std::uint8_t> bytes;
  std::size_t at = 0;
  bool ran_out = false;  ///< giflib asked for bytes past the end
};

int read_bytes(GifFileType* gif, GifByteType* out, int wanted) {
  auto* reader = static_cast<Reader*>(gif->UserData);
  const std::size_t n =
      std::min(static_cast<std::size_t>(std::max(wanted, 0)), reader->bytes.size() - reader->at);
  std::memcpy(out, reader->bytes.data() + reader->at, n);
  reader->at += n;
  if (n < static_cast<std::size_t>(std::max(wanted, 0))) reader->ran_out = true;
  return static_cast<int>(n);
}

// giflib names the step that failed (e.g. "no screen descriptor" for a file
// cut inside it), not the cause: data that ran out is a truncated file.
[[noreturn]] void throw_gif_error(int code, const Reader& reader) {
  const char* text = GifErrorString(code);
  const std::string what = std::string("gif: ") + (text ? text : "unknown error");
  if (reader.ran_out || code == D_GIF_ERR_EOF_TOO_SOON) {
    throw Error(ErrorCode::truncated_input, what);
  }
  if (code == D_GIF_ERR_NOT_ENOUGH_MEM) throw Error(ErrorCode::decode_error, what);
  throw Error(ErrorCode::corrupt_input, what);
}

void check(int result, GifFileType* gif) {
  if (result == GIF_ERROR) throw_gif_error(gif->Error, *static_cast<Reader*>(gif->UserData));
}

struct GifCloser {
  void operator()(GifFileType* gif) const { DGifCloseFile(gif, nullptr); }
};

// The interlaced row order: four passes, each starting at `first` every `step` rows.
constexpr std::array<int, 4> kPassFirst = {0, 4, 2, 1};
constexpr std::array<int, 4> kPassStep = {8, 8, 4, 2};

// Reads the first frame's rows onto `canvas` (BGRA, the screen's size).
void draw_frame(GifFileType* gif, int transparent, cv::Mat& canvas) {
  const GifImageDesc& frame = gif->Image;
  const ColorMapObject* map = frame.ColorMap ? frame.ColorMap : gif->SColorMap;
  if (!map || !map->Colors || map->ColorCount <= 0) {
    throw Error(ErrorCode::corrupt_input, "gif: the first frame has no colour table");
  }
  if (frame.Width <= 0 || frame.Height <= 0) {
    throw Error(ErrorCode::corrupt_input, "gif: the first frame has no size");
  }
  std::vector<GifPixelType> row(static_cast<std::size_t>(frame.Width));
  // A frame may declare up to 65535x65535 pixels over a screen of one: every
  // row is still read, so the file's deadline (--timeout) is checked.
  DeadlineCheck<16> deadline;
  const auto draw_row = [&](int y) {
    if (deadline.passed()) throw timed_out_error("gif decode");
    check(DGifGetLine(gif, row.data(), frame.Width), gif);
    const int screen_y = frame.Top + y;
    if (screen_y < 0 || screen_y >= canvas.rows) return;  // frames may overhang the screen
    auto* out = canvas.ptr<cv::Vec4b>(screen_y);
    for (int x = 0; x < frame.Width; ++x) {
      const int screen_x = frame.Left + x;
      if (screen_x < 0 || screen_x >= canvas.cols) continue;
      const int index = row[static_cast<std::size_t>(x)];
      if (index == transparent) continue;
      // An index past the table is damage; browsers show black.
      const GifColorType c = index < map->ColorCount ? map->Colors[index] : GifColorType{0, 0, 0};
      out[screen_x] = {c.Blue, c.Green, c.Red, 255};
    }
  };
  if (frame.Interlace) {
    for (std::size_t pass = 0; pass < kPassFirst.size(); ++pass) {
      for (int y = kPassFirst[pass]; y < frame.Height; y += kPassStep[pass]) draw_row(y);
    }
  } else {
    for (int y = 0; y < frame.Height; ++y) draw_row(y);
  }
}

// The transparent index of a Graphic Control Extension, or -1.
int transparent_index(GifFileType* gif) {
  int code = 0;
  GifByteType* block = nullptr;
  check(DGifGetExtension(gif, &code, &block), gif);
  int transparent = NO_TRANSPARENT_COLOR;
  if (code == GRAPHICS_EXT_FUNC_CODE && block) {
    GraphicsControlBlock gcb;
    if (DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK) {
      transparent = gcb.TransparentColor;
    }
  }
  while (block) {
    check(DGifGetExtensionNext(gif, &block), gif);
  }
  return transparent;
}

}  // namespace

SourceInfo read_gif_header(std::span<const std::uint8_t> bytes) {
  // "GIF8?a", then the logical screen's width and height (little-endian).
  if (bytes.size() < 10) {
    throw Error(ErrorCode::truncated_input, "gif data ends before the image size");
  }
  const int width = bytes[6] | (bytes[7] << 8), height = bytes[8] | (bytes[9] << 8);
  if (width == 0 || height == 0) {
    throw Error(ErrorCode::corrupt_input, "gif declares a zero width or height");
  }
  return {Format::gif, width, height};
}

Image decode_gif(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                 const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  Reader reader{bytes};
  int error = 0;
  const std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&reader, read_bytes, &error));
  if (!gif) throw_gif_error(error, reader);
  cv::Mat canvas(gif->SHeight, gif->SWidth, CV_8UC4, cv::Scalar::all(0));
  int transparent = NO_TRANSPARENT_COLOR;
  while (true) {
    GifRecordType record = UNDEFINED_RECORD_TYPE;
    check(DGifGetRecordType(gif.get(), &record), gif.get());
    if (record == EXTENSION_RECORD_TYPE) {
      transparent = transparent_index(gif.get());
    } else if (record == IMAGE_DESC_RECORD_TYPE) {
      check(DGifGetImageDesc(gif.get()), gif.get());
      draw_frame(gif.get(), transparent, canvas);
      break;
    } else {
      throw Error(ErrorCode::corrupt_input, "gif has no image");
    }
  }
  Image image;
  image.source = {Format::gif, canvas.cols, canvas.rows};
  cv::Mat alpha;
  cv::extractChannel(canvas, alpha, 3);
  if (cv::countNonZero(alpha) == static_cast<int>(alpha.total())) {  // alpha is 0 or 255
    cv::cvtColor(canvas, image.pixels, cv::COLOR_BGRA2BGR);
  } else {
    image.pixels = std::move(canvas);
  }
  return image;
}

}  // namespace imgflow::detail
