// Internal: libtiff client procedures over a file held in memory, shared by
// tiff_decode.cpp (a read-only span) and tiff_encode.cpp (a growing vector).
// `File` has `bytes` (with data() and size()) and a position `at`.
#pragma once

#include <tiffio.h>

#include <cstdint>
#include <cstdio>

namespace imgflow::detail::tiff_io {

template <class File>
toff_t seek(thandle_t handle, toff_t offset, int whence) {
  auto* f = static_cast<File*>(handle);
  std::uint64_t base = 0;
  if (whence == SEEK_CUR) base = f->at;
  if (whence == SEEK_END) base = f->bytes.size();
  f->at = base + offset;
  return f->at;
}

template <class File>
toff_t size(thandle_t handle) {
  return static_cast<File*>(handle)->bytes.size();
}

inline int close(thandle_t) {
  return 0;
}

}  // namespace imgflow::detail::tiff_io
