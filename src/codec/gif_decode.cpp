// GIF decoding with giflib's record-level API: the first frame only, drawn
// on the logical screen (transparent where the frame does not cover it, and
// where its Graphic Control Extension names a transparent index). The
// screen's size is checked against max_pixels from the header, and the frame
// is read a row at a time, so no frame of an animation but the first is ever
// decompressed; read in pieces, no byte after it is read either. Output: BGRA
// if any pixel is transparent, else BGR.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "codec/decoders.hpp"
#include "codec/gif_reading.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace gif {
namespace {

int read_bytes(GifFileType* file, GifByteType* out, int wanted) {
  auto* reader = static_cast<Reader*>(file->UserData);
  const auto n_wanted = static_cast<std::size_t>(std::max(wanted, 0));
  std::size_t n = 0;
  try {
    n = reader->input->read(reader->at, out, n_wanted);
  } catch (...) {  // giflib is C: nothing may be thrown through it
    reader->failed = std::current_exception();
    return 0;
  }
  reader->at += n;
  if (n < n_wanted) reader->ran_out = true;
  return static_cast<int>(n);
}

// giflib names the step that failed (e.g. "no screen descriptor" for a file
// cut inside it), not the cause: data that ran out is a truncated file.
[[noreturn]] void throw_gif_error(int code, const Reader& reader) {
  const char* text = GifErrorString(code);
  const std::string what = std::string("gif: ") + (text ? text : "unknown error");
  if (reader.failed) std::rethrow_exception(reader.failed);
  if (reader.ran_out || code == D_GIF_ERR_EOF_TOO_SOON) {
    throw Error(ErrorCode::truncated_input, what);
  }
  if (code == D_GIF_ERR_NOT_ENOUGH_MEM) throw Error(ErrorCode::decode_error, what);
  throw Error(ErrorCode::corrupt_input, what);
}

// The interlaced row order: four passes, each starting at `first` every `step` rows.
constexpr std::array<int, 4> kPassFirst = {0, 4, 2, 1};
constexpr std::array<int, 4> kPassStep = {8, 8, 4, 2};

}  // namespace

File open(Reader& reader) {
  int error = 0;
  File file(DGifOpen(&reader, read_bytes, &error));
  if (!file) throw_gif_error(error, reader);
  return file;
}

void check(int result, GifFileType* file) {
  if (result == GIF_ERROR) throw_gif_error(file->Error, *static_cast<Reader*>(file->UserData));
}

void read_extension(GifFileType* file, FrameControl& control) {
  int code = 0;
  GifByteType* block = nullptr;
  check(DGifGetExtension(file, &code, &block), file);
  if (code == GRAPHICS_EXT_FUNC_CODE && block) {
    GraphicsControlBlock gcb;
    if (DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK) {
      control.transparent = gcb.TransparentColor;
      control.disposal = gcb.DisposalMode;
      control.delay_cs = gcb.DelayTime;
    }
  }
  while (block) {
    check(DGifGetExtensionNext(file, &block), file);
  }
}

std::uint64_t frame_cost(const GifImageDesc& frame, int screen_height) {
  const auto width = static_cast<std::uint64_t>(std::max(frame.Width, 0));
  const int rows =
      frame.Interlace ? frame.Height : std::clamp(screen_height - frame.Top, 0, frame.Height);
  return width * static_cast<std::uint64_t>(std::max(rows, 0));
}

bool draw_frame(GifFileType* file, int transparent, cv::Mat& canvas) {
  const GifImageDesc& frame = file->Image;
  const ColorMapObject* map = frame.ColorMap ? frame.ColorMap : file->SColorMap;
  if (!map || !map->Colors || map->ColorCount <= 0) {
    throw Error(ErrorCode::corrupt_input, "gif: a frame has no colour table");
  }
  if (frame.Width <= 0 || frame.Height <= 0) {
    throw Error(ErrorCode::corrupt_input, "gif: a frame has no size");
  }
  std::vector<GifPixelType> row(static_cast<std::size_t>(frame.Width));
  // A frame may declare up to 65535x65535 pixels over a screen of one: the
  // rows that are read are checked against the file's deadline (--timeout).
  DeadlineCheck<16> deadline;
  const auto draw_row = [&](int y) {
    if (deadline.passed()) throw timed_out_error("gif decode");
    check(DGifGetLine(file, row.data(), frame.Width), file);
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
    return true;
  }
  // Rows below the screen are never shown: a frame taller than the screen
  // costs no more than the screen's rows.
  const int rows = std::clamp(canvas.rows - frame.Top, 0, frame.Height);
  for (int y = 0; y < rows; ++y) draw_row(y);
  return rows == frame.Height;
}

void skip_frame_data(Reader& reader) {
  const std::uint64_t size = reader.input->size();
  while (true) {
    std::uint8_t length = 0;
    if (reader.input->read(reader.at, &length, 1) != 1) {
      throw Error(ErrorCode::truncated_input, "gif data ends inside a frame");
    }
    ++reader.at;
    if (length == 0) return;
    if (size - reader.at < length) {
      throw Error(ErrorCode::truncated_input, "gif data ends inside a frame");
    }
    reader.at += length;
  }
}

void check_frame_cost(const GifImageDesc& frame, int screen_height, std::uint64_t max_pixels) {
  const std::uint64_t cost = frame_cost(frame, screen_height);
  if (max_pixels != 0 && cost > max_pixels) {
    throw Error(ErrorCode::too_many_pixels,
                "gif: a frame of " + std::to_string(frame.Width) + "x" +
                    std::to_string(frame.Height) + " decodes " + std::to_string(cost) +
                    " pixels, over the limit of " + std::to_string(max_pixels));
  }
}

}  // namespace gif

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
  InputBytes input = InputBytes::view(bytes);
  return decode_gif(input, header, options);
}

Image decode_gif(InputBytes& input, const SourceInfo& header, const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  gif::Reader reader{&input};
  const gif::File file = gif::open(reader);
  cv::Mat canvas(file->SHeight, file->SWidth, CV_8UC4, cv::Scalar::all(0));
  gif::FrameControl control;
  while (true) {
    GifRecordType record = UNDEFINED_RECORD_TYPE;
    gif::check(DGifGetRecordType(file.get(), &record), file.get());
    if (record == EXTENSION_RECORD_TYPE) {
      gif::read_extension(file.get(), control);
    } else if (record == IMAGE_DESC_RECORD_TYPE) {
      gif::check(DGifGetImageDesc(file.get()), file.get());
      gif::check_frame_cost(file->Image, canvas.rows, options.max_pixels);
      gif::draw_frame(file.get(), control.transparent, canvas);
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
