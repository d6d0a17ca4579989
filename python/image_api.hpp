// The single-image functions of the module: thumbnail, decode, resize, encode.
// Each does its C++ work with the GIL released.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace imgflow::python {

/// Bytes of `source` (a path, a bytes-like object or a file object) resized
/// to `size` and encoded, exactly as a batch run with those options does.
pybind11::bytes thumbnail(pybind11::handle source, pybind11::handle size,
                          const pybind11::kwargs& options);

/// Upright, sRGB pixels of `source` as an H×W×C array (RGB or RGBA order,
/// uint8 or uint16), shrunk on load no smaller than `size` needs.
pybind11::array decode(pybind11::handle source, pybind11::handle size,
                       const pybind11::kwargs& options);

/// `pixels` (H×W or H×W×C, C 1, 3 or 4, uint8 or uint16) resized to `size`.
pybind11::array resize(const pybind11::array& pixels, pybind11::handle size,
                       const pybind11::kwargs& options);

/// `pixels` encoded as `format` ("jpeg", "png", "webp", "tiff").
pybind11::bytes encode(const pybind11::array& pixels, pybind11::handle format,
                       const pybind11::kwargs& options);

}  // namespace imgflow::python
