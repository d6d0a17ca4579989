#include "image_api.hpp"

#include <span>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "imgflow/imgflow.hpp"
#include "keywords.hpp"
#include "pipeline/run_settings.hpp"
#include "pipeline/stages.hpp"

namespace py = pybind11;

namespace imgflow::python {

namespace {

// The encoded bytes of a path, a bytes-like object or a file object. Built
// with the GIL held; bytes() may be called without it (it reads a path then).
class SourceBytes {
 public:
  explicit SourceBytes(py::handle source) {
    if (py::isinstance<py::str>(source) || py::hasattr(source, "__fspath__")) {
      path_ = path_text(source, "source");
      return;
    }
    holder_ = py::reinterpret_borrow<py::object>(source);
    if (!PyObject_CheckBuffer(source.ptr()) && py::hasattr(source, "read")) {
      holder_ = source.attr("read")();
    }
    if (PyObject_GetBuffer(holder_.ptr(), &view_, PyBUF_SIMPLE) != 0) {
      PyErr_Clear();
      throw py::type_error(
          "source: expected a path, a bytes-like object or a binary file object, got " +
          std::string(py::str(py::repr(source))));
    }
    has_view_ = true;
  }
  ~SourceBytes() {
    if (has_view_) PyBuffer_Release(&view_);
  }
  SourceBytes(const SourceBytes&) = delete;
  SourceBytes& operator=(const SourceBytes&) = delete;

  std::span<const std::uint8_t> bytes() {
    if (has_view_) {
      return {static_cast<const std::uint8_t*>(view_.buf), static_cast<std::size_t>(view_.len)};
    }
    if (read_.empty()) read_ = read_file(path_);
    return read_;
  }

 private:
  std::string path_;
  std::vector<std::uint8_t> read_;
  py::object holder_;
  Py_buffer view_{};
  bool has_view_ = false;
};

// The library's pixels are gray, BGR or BGRA; numpy's users expect RGB(A).
cv::Mat swap_red_blue(const cv::Mat& pixels) {
  if (pixels.channels() == 3) {
    cv::Mat out;
    cv::cvtColor(pixels, out, cv::COLOR_BGR2RGB);
    return out;
  }
  if (pixels.channels() == 4) {
    cv::Mat out;
    cv::cvtColor(pixels, out, cv::COLOR_BGRA2RGBA);
    return out;
  }
  return pixels;
}

// Hands `pixels` to numpy without a copy: the array's base is a capsule that
// owns the cv::Mat. Pixels that are not the Mat's own (a view of another
// buffer) are copied first.
py::array to_array(cv::Mat pixels) {
  if (!pixels.u) pixels = pixels.clone();
  auto* owned = new cv::Mat(std::move(pixels));
  py::capsule base(owned, [](void* mat) { delete static_cast<cv::Mat*>(mat); });
  const auto item = static_cast<py::ssize_t>(owned->elemSize1());
  const py::dtype dtype =
      owned->depth() == CV_16U ? py::dtype::of<std::uint16_t>() : py::dtype::of<std::uint8_t>();
  return py::array(
      dtype, {owned->rows, owned->cols, owned->channels()},
      {static_cast<py::ssize_t>(owned->step[0]), static_cast<py::ssize_t>(owned->elemSize()), item},
      owned->data, base);
}

// A cv::Mat over `array`'s pixels (no copy), which must stay alive while it is used.
cv::Mat as_mat(const py::array& array) {
  const auto fail = [&](const std::string& what) -> cv::Mat {
    throw Error(ErrorCode::usage, "pixels: expected " + what + ", got an array of shape " +
                                      std::string(py::str(array.attr("shape"))) + " and dtype " +
                                      std::string(py::str(array.dtype())));
  };
  int depth = 0;
  if (array.dtype().is(py::dtype::of<std::uint8_t>())) {
    depth = CV_8U;
  } else if (array.dtype().is(py::dtype::of<std::uint16_t>())) {
    depth = CV_16U;
  } else {
    return fail("uint8 or uint16 pixels");
  }
  const int channels = array.ndim() == 3 ? static_cast<int>(array.shape(2)) : 1;
  if (array.ndim() < 2 || array.ndim() > 3 || (channels != 1 && channels != 3 && channels != 4) ||
      array.shape(0) < 1 || array.shape(1) < 1) {
    return fail("H×W or H×W×C with C 1, 3 or 4");
  }
  // Rows may be strided (a crop of a bigger array); pixels within a row may not.
  const auto item = static_cast<py::ssize_t>(array.itemsize());
  if (array.strides(1) != item * channels || (array.ndim() == 3 && array.strides(2) != item)) {
    return fail("pixels contiguous within each row (numpy.ascontiguousarray)");
  }
  return cv::Mat(static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)),
                 CV_MAKETYPE(depth, channels), const_cast<void*>(array.data()),
                 static_cast<std::size_t>(array.strides(0)));
}

// The one size a single-image function takes (None: keep the size).
std::vector<Geometry> one_size(py::handle size) {
  py::dict keywords;
  keywords["size"] = size;
  Options options;
  apply_keywords(options, keywords, KeywordSet::batch, "size");
  if (options.sizes.size() > 1) {
    throw Error(ErrorCode::usage,
                "size: expected one geometry, got " + std::to_string(options.sizes.size()));
  }
  return options.sizes;
}

// The keywords with `format` and `quality` at their defaults unless given.
py::dict with_defaults(const py::kwargs& options, py::handle format) {
  py::dict keywords(options);
  if (!format.is_none()) keywords["format"] = format;
  if (!keywords.contains("format")) keywords["format"] = "jpeg";
  if (!keywords.contains("quality")) keywords["quality"] = EncodeOptions{}.quality;
  return keywords;
}

// Checks `options` as a run would, leaving out what only a run has.
void validate_single(const Options& options) {
  validate_keywords(options, {"inputs", "output_dir"});
}

}  // namespace

py::bytes thumbnail(py::handle source, py::handle size, const py::kwargs& kwargs) {
  Options options;
  apply_keywords(options, with_defaults(kwargs, py::none()), KeywordSet::thumbnail, "thumbnail");
  options.sizes = one_size(size);
  validate_single(options);
  const detail::RunSettings settings(options);
  SourceBytes source_bytes(source);
  std::vector<std::uint8_t> encoded;
  {
    py::gil_scoped_release nogil;
    const Image image = detail::decode_stage(source_bytes.bytes(), settings.decode);
    const auto resized = detail::resize_stage(image, settings.resize);
    const auto& recipe = settings.outputs.recipes.at(0);
    const cv::Mat& pixels = resized.at(recipe.spec.size_index);
    encoded = encode(
        pixels, detail::encoding_for(recipe, image, settings.outputs, {pixels.cols, pixels.rows}));
  }
  return py::bytes(reinterpret_cast<const char*>(encoded.data()), encoded.size());
}

py::array decode(py::handle source, py::handle size, const py::kwargs& kwargs) {
  Options options;
  apply_keywords(options, kwargs, KeywordSet::decode, "decode");
  options.sizes = one_size(size);
  options.formats = {OutputFormat::png};  // keeps 16-bit samples
  validate_single(options);
  const detail::DecodePolicy policy(options);
  SourceBytes source_bytes(source);
  cv::Mat pixels;
  {
    py::gil_scoped_release nogil;
    pixels = swap_red_blue(detail::decode_stage(source_bytes.bytes(), policy).pixels);
  }
  return to_array(std::move(pixels));
}

py::array resize(const py::array& array, py::handle size, const py::kwargs& kwargs) {
  Options options;
  apply_keywords(options, kwargs, KeywordSet::resize, "resize");
  options.sizes = one_size(size);
  if (options.sizes.empty()) throw Error(ErrorCode::usage, "size: expected a geometry, got None");
  validate_single(options);
  ResizeOptions resizing = detail::ResizeSettings(options).resizing;
  const cv::Mat pixels = as_mat(array);
  // Gravities that look at the pixels need them in the library's BGR order;
  // otherwise the channels are resampled alike and only the padding's red
  // and blue need to trade places.
  const bool reorder = pixels.channels() >= 3 && (options.gravity == Gravity::entropy ||
                                                  options.gravity == Gravity::attention);
  if (!reorder) std::swap(resizing.background.r, resizing.background.b);
  cv::Mat resized;
  {
    py::gil_scoped_release nogil;
    if (reorder) {
      resized = swap_red_blue(imgflow::resize(swap_red_blue(pixels), options.sizes[0], resizing));
    } else {
      resized = imgflow::resize(pixels, options.sizes[0], resizing);
    }
  }
  return to_array(std::move(resized));
}

py::bytes encode(const py::array& array, py::handle format, const py::kwargs& kwargs) {
  Options options;
  apply_keywords(options, with_defaults(kwargs, format), KeywordSet::encode, "encode");
  validate_single(options);
  const detail::OutputRecipes outputs(options);
  const auto& recipe = outputs.recipes.at(0);
  EncodeOptions encoding = recipe.encoding;
  encoding.format = choose_output_format(recipe.spec.format, Format::unknown);
  const cv::Mat pixels = as_mat(array);
  std::vector<std::uint8_t> encoded;
  {
    py::gil_scoped_release nogil;
    encoded = imgflow::encode(swap_red_blue(pixels), encoding);
  }
  return py::bytes(reinterpret_cast<const char*>(encoded.data()), encoded.size());
}

}  // namespace imgflow::python
