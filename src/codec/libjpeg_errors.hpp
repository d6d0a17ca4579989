// Internal: libjpeg's error handling for C++ callers. libjpeg reports a fatal
// error by calling error_exit, which must not return: ours formats the message
// and longjmps back to the setjmp in the caller's C-style section (which holds
// no C++ objects with destructors). Warnings are counted, never printed.
#pragma once

// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <csetjmp>

namespace imgflow::detail {

struct LibjpegErrors {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int warnings = 0;
  char first_warning[JMSG_LENGTH_MAX];  ///< the first warning's text, as TurboJPEG reports it

  /// Installs this manager into `cinfo` (call before jpeg_create_*).
  void attach(jpeg_common_struct& cinfo) {
    cinfo.err = jpeg_std_error(&base);
    base.error_exit = &LibjpegErrors::on_error;
    base.emit_message = &LibjpegErrors::on_message;
    message[0] = '\0';
    first_warning[0] = '\0';
  }

 private:
  static void on_error(j_common_ptr cinfo) {
    auto* self = reinterpret_cast<LibjpegErrors*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, self->message);
    std::longjmp(self->jump, 1);
  }
  // level < 0: a warning (corrupt or missing data); >= 0: trace output.
  static void on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    auto* self = reinterpret_cast<LibjpegErrors*>(cinfo->err);
    if (self->warnings++ == 0) (*cinfo->err->format_message)(cinfo, self->first_warning);
  }
};

}  // namespace imgflow::detail
