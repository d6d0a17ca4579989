#include "imgflow/library_versions.hpp"

#include <gif_lib.h>
#include <jconfig.h>
#include <jxl/decode.h>
#include <lcms2.h>
#include <libdeflate.h>
#include <libheif/heif.h>
#include <png.h>
#include <webp/decode.h>
#include <zlib.h>

#include <initializer_list>

#include <oneapi/tbb/version.h>
#include <opencv2/core/utility.hpp>

namespace imgflow {

namespace {

#define IMGFLOW_STRINGIFY_VALUE(x) #x
#define IMGFLOW_STRINGIFY(x) IMGFLOW_STRINGIFY_VALUE(x)

// "2.14.0" from {2, 14, 0}.
std::string dotted(std::initializer_list<int> parts) {
  std::string text;
  for (const int part : parts) {
    if (!text.empty()) text += '.';
    text += std::to_string(part);
  }
  return text;
}

// libwebp packs its version as 0xMMmmrr.
std::string webp_version(int packed) {
  return dotted({(packed >> 16) & 0xff, (packed >> 8) & 0xff, packed & 0xff});
}

// libjxl packs its version as major * 1000000 + minor * 1000 + patch.
std::string jxl_version(std::uint32_t packed) {
  return dotted({static_cast<int>(packed / 1000000), static_cast<int>(packed / 1000 % 1000),
                 static_cast<int>(packed % 1000)});
}

// Little CMS encodes 2.14 as 2140 (and 2.16.1 would be 2161).
std::string lcms_version(int encoded) {
  if (encoded % 10 != 0) return dotted({encoded / 1000, encoded % 1000 / 10, encoded % 10});
  return dotted({encoded / 1000, encoded % 1000 / 10});
}

}  // namespace

std::vector<LibraryVersion> library_versions() {
  // TurboJPEG, libdeflate and giflib have no run-time version call: these are the
  // headers' versions, which their sonames keep compatible.
  return {
      {"libjpeg-turbo", IMGFLOW_STRINGIFY(LIBJPEG_TURBO_VERSION)},
      {"libpng", png_get_libpng_ver(nullptr)},
      {"libdeflate", LIBDEFLATE_VERSION_STRING},
      {"libwebp", webp_version(WebPGetDecoderVersion())},
      {"Little CMS", lcms_version(cmsGetEncodedCMMversion())},
      {"OpenCV", cv::getVersionString()},
      {"oneTBB", TBB_runtime_version()},
      {"zlib", zlibVersion()},
      {"libheif", heif_get_version()},
      {"libjxl", jxl_version(JxlDecoderVersion())},
      {"giflib", dotted({GIFLIB_MAJOR, GIFLIB_MINOR, GIFLIB_RELEASE})},  // header's
  };
}

}  // namespace imgflow
