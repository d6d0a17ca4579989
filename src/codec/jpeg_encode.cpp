// JPEG encoding with libjpeg(-turbo)'s full API: optimised Huffman tables,
// progressive scans, chroma subsampling and metadata segments, none of which
// TurboJPEG's simple API offers.
#include <cstdlib>
#include <cstring>

#include "codec/encoders.hpp"
#include "codec/libjpeg_errors.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// Owns what libjpeg allocates; the setjmp section below holds no C++ objects
// with destructors, so a longjmp out of libjpeg skips nothing.
struct Compressor {
  jpeg_compress_struct cinfo{};
  LibjpegErrors err{};
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  bool created = false;
  ~Compressor() {
    if (created) jpeg_destroy_compress(&cinfo);
    std::free(buffer);
  }
};

enum class Compressed { done, failed, timed_out };

// An APP1 segment: `prefix` (with its NUL), then `data`. One segment holds
// 65,533 bytes; larger EXIF or XMP (extended XMP spans several) is left out.
void write_app1(jpeg_compress_struct* cinfo, const char* prefix, std::size_t prefix_size,
                const std::vector<std::uint8_t>& data) {
  if (data.empty() || prefix_size + data.size() > 65533) return;
  jpeg_write_m_header(cinfo, JPEG_APP0 + 1, static_cast<unsigned int>(prefix_size + data.size()));
  for (std::size_t i = 0; i < prefix_size; ++i) jpeg_write_m_byte(cinfo, prefix[i]);
  for (const std::uint8_t byte : data) jpeg_write_m_byte(cinfo, byte);
}

constexpr char kExifPrefix[] = "Exif\0";                       // and the literal's NUL
constexpr char kXmpPrefix[] = "http://ns.adobe.com/xap/1.0/";  // and the literal's NUL

// `deadline` is trivially destructible, so a longjmp may cross it.
Compressed compress(Compressor* c, const cv::Mat* pixels, const EncodeOptions* s,
                    DeadlineCheck<16>* deadline) {
  if (setjmp(c->err.jump)) return Compressed::failed;
  jpeg_create_compress(&c->cinfo);
  c->created = true;
  jpeg_mem_dest(&c->cinfo, &c->buffer, &c->size);
  c->cinfo.image_width = static_cast<JDIMENSION>(pixels->cols);
  c->cinfo.image_height = static_cast<JDIMENSION>(pixels->rows);
  const bool gray = pixels->channels() == 1;
  c->cinfo.input_components = gray ? 1 : 3;
  c->cinfo.in_color_space = gray ? JCS_GRAYSCALE : JCS_EXT_BGR;
  jpeg_set_defaults(&c->cinfo);
  jpeg_set_quality(&c->cinfo, s->quality, TRUE);
  c->cinfo.optimize_coding = TRUE;
  c->cinfo.dct_method = JDCT_ISLOW;
  if (!gray) {
    const int h = s->chroma_444 ? 1 : 2;
    c->cinfo.comp_info[0].h_samp_factor = h;
    c->cinfo.comp_info[0].v_samp_factor = h;
    for (int i = 1; i < 3; ++i) {
      c->cinfo.comp_info[i].h_samp_factor = 1;
      c->cinfo.comp_info[i].v_samp_factor = 1;
    }
  }
  if (s->progressive) jpeg_simple_progression(&c->cinfo);
  jpeg_start_compress(&c->cinfo, TRUE);
  write_app1(&c->cinfo, kExifPrefix, sizeof kExifPrefix, s->exif);
  write_app1(&c->cinfo, kXmpPrefix, sizeof kXmpPrefix, s->xmp);
  if (!s->icc.empty()) {
    jpeg_write_icc_profile(&c->cinfo, s->icc.data(), static_cast<unsigned int>(s->icc.size()));
  }
  // jpeg_finish_compress is left undone on a timeout: the encoder is
  // destroyed with its half-written buffer.
  while (c->cinfo.next_scanline < c->cinfo.image_height) {
    if (deadline->passed()) return Compressed::timed_out;
    JSAMPROW row =
        const_cast<JSAMPROW>(pixels->ptr<JSAMPLE>(static_cast<int>(c->cinfo.next_scanline)));
    jpeg_write_scanlines(&c->cinfo, &row, 1);
  }
  jpeg_finish_compress(&c->cinfo);
  return Compressed::done;
}

}  // namespace

std::vector<std::uint8_t> encode_jpeg(const cv::Mat& pixels, const EncodeOptions& settings) {
  if (pixels.depth() != CV_8U || (pixels.channels() != 1 && pixels.channels() != 3)) {
    throw Error(ErrorCode::encode_error, "jpeg: needs 8-bit gray or BGR pixels");
  }
  Compressor c;
  c.err.attach(*reinterpret_cast<jpeg_common_struct*>(&c.cinfo));
  DeadlineCheck<16> deadline;
  const Compressed result = compress(&c, &pixels, &settings, &deadline);
  if (result == Compressed::timed_out) throw timed_out_error("jpeg encode");
  if (result == Compressed::failed) {
    throw Error(ErrorCode::encode_error, std::string("jpeg: ") + c.err.message);
  }
  return {c.buffer, c.buffer + c.size};
}

}  // namespace imgflow::detail
