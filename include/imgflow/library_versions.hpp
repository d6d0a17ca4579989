// The versions of the libraries imgflow decodes, encodes and runs with, for
// `imgflow --version` and bug reports.
#pragma once

#include <string>
#include <vector>

namespace imgflow {

/// One library imgflow uses and its version.
struct LibraryVersion {
  std::string name;     ///< e.g. "libpng", "Little CMS"
  std::string version;  ///< e.g. "1.6.39"
};

/// The libraries imgflow runs with, in a fixed order: libjpeg-turbo, libpng,
/// libdeflate, libwebp, Little CMS, OpenCV, oneTBB, zlib. Each version is the
/// one loaded at run time where the library reports it (libpng, libwebp,
/// Little CMS, OpenCV, oneTBB, zlib), else the one imgflow was built against
/// (libjpeg-turbo, libdeflate). Thread-safe; never throws except std::bad_alloc.
std::vector<LibraryVersion> library_versions();

}  // namespace imgflow
