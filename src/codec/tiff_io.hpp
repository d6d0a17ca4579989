// Internal: libtiff client procedures over a file held in memory, shared by
// tiff_decode.cpp (a read-only span) and tiff_encode.cpp (a growing vector).
// `File` has `bytes` (with data() and size()) and a position `at`.
#pragma once

#include <tiffio.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

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

/// Copies up to `wanted` bytes at the position and moves past them; fewer
/// at the end of the bytes.
template <class File>
tmsize_t read(thandle_t handle, void* out, tmsize_t wanted) {
  auto* f = static_cast<File*>(handle);
  if (wanted <= 0) return 0;
  const std::uint64_t left = f->at < f->bytes.size() ? f->bytes.size() - f->at : 0;
  const std::uint64_t n = std::min<std::uint64_t>(static_cast<std::uint64_t>(wanted), left);
  if (n > 0) std::memcpy(out, f->bytes.data() + f->at, n);
  f->at += n;
  return static_cast<tmsize_t>(n);
}

template <class File>
toff_t size(thandle_t handle) {
  return static_cast<File*>(handle)->bytes.size();
}

inline int close(thandle_t) {
  return 0;
}

}  // namespace imgflow::detail::tiff_io
