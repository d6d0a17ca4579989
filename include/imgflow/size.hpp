// A size in pixels: the one type every layer (codecs, resizing, the batch) speaks.
#pragma once

namespace imgflow {

/// A width and height in pixels.
struct Size {
  int width = 0;
  int height = 0;
  friend bool operator==(const Size&, const Size&) = default;
};

}  // namespace imgflow
