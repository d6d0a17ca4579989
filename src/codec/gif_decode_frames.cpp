// Animated GIF, every frame: first the blocks are walked without
// decompressing anything (frames, loop count, whether the data ends inside a
// frame), then giflib draws each frame onto the logical screen as browsers
// show it. Before a frame is drawn, the previous one is disposed of by its
// Graphic Control Extension's method: 0 (unspecified) and 1 (keep) leave it,
// 2 clears its rectangle to transparent (what browsers do, rather than
// painting the background colour), 3 puts back what was under it. Only the
// screen, and for method 3 a copy of the rectangle it covers, are held.
#include <algorithm>
#include <string>

#include "codec/animation.hpp"
#include "codec/decoders.hpp"
#include "codec/gif_reading.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// The GIF block structure (GIF89a spec, sections 18-26).
constexpr std::uint8_t kExtension = 0x21, kImage = 0x2C, kTrailer = 0x3B;
constexpr std::uint8_t kApplicationLabel = 0xFF;
constexpr std::size_t kScreenDescriptorEnd = 13, kImageDescriptorSize = 9;

// Walks GIF blocks without decompressing them; `ended` once the data runs
// out inside one.
class BlockWalker {
 public:
  explicit BlockWalker(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool ended() const { return ended_; }
  bool at_end() const { return at_ >= bytes_.size(); }
  std::uint8_t byte() { return take(1) ? bytes_[at_ - 1] : 0; }
  std::span<const std::uint8_t> take_span(std::size_t n) {
    return take(n) ? bytes_.subspan(at_ - n, n) : std::span<const std::uint8_t>{};
  }
  bool skip(std::size_t n) { return take(n); }
  // A colour table of the size a packed field declares, if its flag is set.
  bool skip_colour_table(std::uint8_t packed) {
    return (packed & 0x80) == 0 || skip(3u << ((packed & 0x07) + 1));
  }
  // Sub-blocks up to their zero terminator; `first` gets the first one.
  bool skip_sub_blocks(std::span<const std::uint8_t>* first = nullptr,
                       std::span<const std::uint8_t>* second = nullptr) {
    for (int index = 0;; ++index) {
      const std::size_t length = byte();
      if (ended_) return false;
      if (length == 0) return true;
      const auto block = take_span(length);
      if (ended_) return false;
      if (index == 0 && first) *first = block;
      if (index == 1 && second) *second = block;
    }
  }

 private:
  bool take(std::size_t n) {
    if (ended_ || bytes_.size() - at_ < n) {
      ended_ = true;
      at_ = bytes_.size();
      return false;
    }
    at_ += n;
    return true;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
  bool ended_ = false;
};

// A NETSCAPE2.0 (or ANIMEXTS1.0) application extension's loop count, in
// WebP's terms (see AnimationInfo::loop_count); -1 for another extension.
int loop_count_of(std::span<const std::uint8_t> id, std::span<const std::uint8_t> data) {
  const std::string name(id.begin(), id.end());
  if ((name != "NETSCAPE2.0" && name != "ANIMEXTS1.0") || data.size() < 3 || data[0] != 1) {
    return -1;
  }
  const int repeats = data[1] | (data[2] << 8);
  return repeats == 0 ? 0 : std::min(repeats + 1, 65535);
}

// A rectangle of the frame just read, clipped to the screen.
cv::Rect on_screen(const GifImageDesc& frame, const cv::Mat& canvas) {
  return cv::Rect(frame.Left, frame.Top, frame.Width, frame.Height) &
         cv::Rect(0, 0, canvas.cols, canvas.rows);
}

}  // namespace

AnimationInfo read_gif_animation(std::span<const std::uint8_t> bytes) {
  const SourceInfo header = read_gif_header(bytes);
  AnimationInfo info;
  info.format = Format::gif;
  info.width = header.width;
  info.height = header.height;
  info.loop_count = 1;  // no NETSCAPE2.0 block: browsers play it once
  BlockWalker walk(bytes);
  walk.skip(kScreenDescriptorEnd - 3);
  const std::uint8_t packed = walk.byte();
  walk.skip(2);
  walk.skip_colour_table(packed);
  // Data that ends between blocks (no trailer) is taken as the end.
  while (!walk.ended() && !walk.at_end()) {
    const std::uint8_t introducer = walk.byte();
    if (introducer == kTrailer) break;
    if (introducer == kExtension) {
      const std::uint8_t label = walk.byte();
      std::span<const std::uint8_t> id, data;
      walk.skip_sub_blocks(&id, &data);
      if (label == kApplicationLabel && !walk.ended()) {
        if (const int loops = loop_count_of(id, data); loops >= 0) info.loop_count = loops;
      }
    } else if (introducer == kImage) {
      ++info.frames;
      const auto descriptor = walk.take_span(kImageDescriptorSize);
      if (walk.ended()) break;
      walk.skip_colour_table(descriptor[8]);
      walk.skip(1);  // LZW minimum code size
      walk.skip_sub_blocks();
    } else {
      break;  // damage: giflib reports it when the frames are decoded
    }
  }
  info.truncated = walk.ended();
  return info;
}

void decode_gif_frames(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                       const FrameSink& sink) {
  InputBytes input = InputBytes::view(bytes);
  gif::Reader reader{&input};
  const gif::File file = gif::open(reader);
  cv::Mat canvas(file->SHeight, file->SWidth, CV_8UC4, cv::Scalar::all(0));
  gif::FrameControl control;
  // The frame drawn last: its rectangle, how it goes, and (method 3) what it covered.
  cv::Rect previous;
  int previous_disposal = DISPOSAL_UNSPECIFIED;
  cv::Mat covered;
  while (true) {
    GifRecordType record = UNDEFINED_RECORD_TYPE;
    // A file without its trailer ends after its last complete frame.
    if (reader.at == bytes.size()) break;
    gif::check(DGifGetRecordType(file.get(), &record), file.get());
    if (record == TERMINATE_RECORD_TYPE) break;
    if (record == EXTENSION_RECORD_TYPE) {
      gif::read_extension(file.get(), control);
      continue;
    }
    if (record != IMAGE_DESC_RECORD_TYPE) {
      throw Error(ErrorCode::corrupt_input, "gif: unknown record between frames");
    }
    check_deadline("gif decode");
    gif::check(DGifGetImageDesc(file.get()), file.get());
    gif::check_frame_cost(file->Image, canvas.rows, options.max_pixels);
    if (previous_disposal == DISPOSE_BACKGROUND) {
      canvas(previous).setTo(cv::Scalar::all(0));
    } else if (previous_disposal == DISPOSE_PREVIOUS && !covered.empty()) {
      covered.copyTo(canvas(previous));
    }
    previous = on_screen(file->Image, canvas);
    previous_disposal = control.disposal;
    if (previous_disposal == DISPOSE_PREVIOUS) {
      canvas(previous).copyTo(covered);
    } else {
      covered.release();
    }
    if (!gif::draw_frame(file.get(), control.transparent, canvas)) gif::skip_frame_data(reader);
    // giflib keeps a record (and colour table) of every frame it has read:
    // dropped as we go, so a file of many frames costs no more than one.
    GifFreeSavedImages(file.get());
    file->ImageCount = 0;
    sink(canvas, control.delay_cs * 10);
    control = {};  // a Graphic Control Extension applies to one frame
  }
}

}  // namespace imgflow::detail
