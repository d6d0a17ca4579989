// Internal: codec handles (TurboJPEG, libdeflate) kept one per thread and
// reused across files: creating one costs more than decoding a thumbnail.
#pragma once

#include <array>
#include <cstddef>

namespace imgflow::detail {

/// Up to `Slots` handles per thread (e.g. one per compression level), each
/// made on first use and released with `Destroy` when the thread ends.
template <class Handle, auto Destroy, std::size_t Slots = 1>
class ThreadHandleCache {
 public:
  /// This thread's handle in `slot`, made with `make()` if there is none yet
  /// (a null result is returned as is, and tried again next time).
  template <class Make>
  static Handle get(std::size_t slot, Make&& make) {
    thread_local Handles handles;
    Handle& handle = handles.by_slot[slot];
    if (!handle) handle = make();
    return handle;
  }

 private:
  struct Handles {
    std::array<Handle, Slots> by_slot{};
    Handles() = default;
    Handles(const Handles&) = delete;
    Handles& operator=(const Handles&) = delete;
    ~Handles() {
      for (Handle handle : by_slot) {
        if (handle) Destroy(handle);
      }
    }
  };
};

}  // namespace imgflow::detail
