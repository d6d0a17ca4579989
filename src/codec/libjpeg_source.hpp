// Internal: a libjpeg data source reading an InputBytes, so that a JPEG read
// in pieces is decoded through one small buffer instead of from the whole
// file in memory. At the end of the data it does what jpeg_mem_src does (a
// "Premature end of JPEG file" warning and a fake end-of-image marker), so a
// decode from pieces sees exactly the bytes and warnings a decode of the
// whole file does, and records that the data ended.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "codec/libjpeg_errors.hpp"
// After jpeglib.h (libjpeg_errors.hpp), which it needs.
#include <jerror.h>

#include "core/input_bytes.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {

struct InputSource {
  jpeg_source_mgr base{};
  InputBytes* input = nullptr;
  std::uint64_t offset = 0;  ///< where the next read starts in the file
  bool ended = false;        ///< the data ended: a fake end-of-image marker was given
  bool read_failed = false;  ///< InputBytes::read threw (read-error): `why` says what
  std::string why;
  std::array<std::uint8_t, 64 * 1024> buffer{};

  /// Makes `cinfo` read `input` from its start: a whole one from memory
  /// (jpeg_mem_src), one in pieces through this source. Call after
  /// jpeg_create_decompress, inside the caller's setjmp section.
  void attach(jpeg_decompress_struct& cinfo, InputBytes& bytes) {
    input = &bytes;
    offset = 0;
    ended = false;
    if (bytes.whole()) {
      const auto all = bytes.bytes();
      jpeg_mem_src(&cinfo, all.data(), static_cast<unsigned long>(all.size()));
      return;
    }
    base.init_source = [](j_decompress_ptr) {};
    base.fill_input_buffer = &InputSource::fill;
    base.skip_input_data = &InputSource::skip;
    base.resync_to_restart = jpeg_resync_to_restart;
    base.term_source = [](j_decompress_ptr) {};
    base.next_input_byte = buffer.data();
    base.bytes_in_buffer = 0;
    cinfo.src = &base;
  }

 private:
  static InputSource& of(j_decompress_ptr cinfo) {
    return *reinterpret_cast<InputSource*>(cinfo->src);
  }

  static boolean fill(j_decompress_ptr cinfo) {
    InputSource& self = of(cinfo);
    std::size_t got = 0;
    try {
      got = self.input->read(self.offset, self.buffer.data(), self.buffer.size());
    } catch (const std::exception& e) {
      self.read_failed = true;
      self.why = e.what();
    }
    // Outside the handler: error_exit longjmps.
    if (self.read_failed) ERREXIT(cinfo, JERR_FILE_READ);
    if (got == 0) {
      WARNMS(cinfo, JWRN_JPEG_EOF);
      self.buffer[0] = 0xFF;
      self.buffer[1] = JPEG_EOI;
      got = 2;
      self.ended = true;
    } else {
      self.offset += got;
    }
    self.base.next_input_byte = self.buffer.data();
    self.base.bytes_in_buffer = got;
    return TRUE;
  }

  // Skipped segments (APP markers nobody saves) are not read at all.
  static void skip(j_decompress_ptr cinfo, long count) {
    InputSource& self = of(cinfo);
    if (count <= 0) return;
    const auto n = static_cast<std::size_t>(count);
    if (n <= self.base.bytes_in_buffer) {
      self.base.next_input_byte += n;
      self.base.bytes_in_buffer -= n;
      return;
    }
    if (!self.ended) self.offset += n - self.base.bytes_in_buffer;
    self.base.bytes_in_buffer = 0;
  }
};

/// Throws the read-error a source met, if it met one.
inline void rethrow_read_error(const InputSource& source) {
  if (source.read_failed) throw Error(ErrorCode::read_error, source.why);
}

}  // namespace imgflow::detail
