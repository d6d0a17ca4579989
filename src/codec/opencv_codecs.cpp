// Loads the OpenCV codecs plugin from libimgflow's own directory (see
// opencv_codecs.hpp), once, on first use.
#include "codec/opencv_codecs.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "imgflow/error.hpp"

namespace imgflow::detail {

#ifdef IMGFLOW_OPENCV_CODECS_BUILTIN

const OpenCvCodecs& opencv_codecs() {
  return *imgflow_opencv_codecs();
}

#else

namespace {

constexpr const char* kPlugin = "libimgflow_opencv_codecs.so";

struct Loaded {
  const OpenCvCodecs* codecs = nullptr;
  std::string error;
};

Loaded load() {
  Loaded loaded;
  Dl_info self{};
  if (!dladdr(reinterpret_cast<const void*>(&opencv_codecs), &self) || !self.dli_fname) {
    loaded.error = "cannot tell where libimgflow is";
    return loaded;
  }
  const auto path = std::filesystem::path(self.dli_fname).parent_path() / kPlugin;
  // Never unloaded: OpenCV keeps global state.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    loaded.error = dlerror();
    return loaded;
  }
  using Entry = const OpenCvCodecs* (*)();
  const auto entry = reinterpret_cast<Entry>(dlsym(handle, "imgflow_opencv_codecs"));
  if (!entry) {
    loaded.error = path.string() + " has no entry point";
    return loaded;
  }
  loaded.codecs = entry();
  return loaded;
}

}  // namespace

const OpenCvCodecs& opencv_codecs() {
  static const Loaded loaded = load();  // thread-safe, once
  if (!loaded.codecs) {
    throw Error(ErrorCode::unsupported_format,
                "BMP, PNM and JPEG 2000 need OpenCV's codecs plugin: " + loaded.error);
  }
  return *loaded.codecs;
}

#endif

}  // namespace imgflow::detail
