// Internal: what PNG's row filters share between decoding and encoding.
#pragma once

#include <cstdlib>

namespace imgflow::detail {

/// The Paeth predictor (PNG filter 4) from the left, upper and upper-left
/// bytes: whichever is nearest to left + upper - upper-left, ties in that order.
inline int paeth(int a, int b, int c) {
  const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

}  // namespace imgflow::detail
