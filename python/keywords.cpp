#include "keywords.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <vector>

#include "imgflow/error.hpp"

namespace py = pybind11;

namespace imgflow::python {

namespace {

[[noreturn]] void bad_value(std::string_view keyword, std::string_view expected, py::handle value) {
  throw Error(ErrorCode::usage, std::string(keyword) + ": expected " + std::string(expected) +
                                    ", got " + std::string(py::str(py::repr(value))));
}

long long as_integer(py::handle value, std::string_view keyword, long long min, long long max) {
  // bool is an int in Python; quality=True is a mistake, not 1.
  if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
    bad_value(keyword, "an integer", value);
  }
  long long result = 0;
  try {
    result = value.cast<long long>();
  } catch (const py::cast_error&) {
    bad_value(keyword, "an integer from " + std::to_string(min) + " to " + std::to_string(max),
              value);
  }
  if (result < min || result > max) {
    bad_value(keyword, "an integer from " + std::to_string(min) + " to " + std::to_string(max),
              value);
  }
  return result;
}

int as_int(py::handle value, std::string_view keyword) {
  return static_cast<int>(
      as_integer(value, keyword, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

std::uint64_t as_count(py::handle value, std::string_view keyword) {
  return static_cast<std::uint64_t>(
      as_integer(value, keyword, 0, std::numeric_limits<long long>::max()));
}

double as_double(py::handle value, std::string_view keyword) {
  const bool number = (py::isinstance<py::int_>(value) && !py::isinstance<py::bool_>(value)) ||
                      py::isinstance<py::float_>(value);
  if (!number) bad_value(keyword, "a number", value);
  return value.cast<double>();
}

std::string as_text(py::handle value, std::string_view keyword) {
  if (!py::isinstance<py::str>(value)) bad_value(keyword, "a string", value);
  return value.cast<std::string>();
}

// A string, or a list or tuple of them (size=["800x800", "200x200"]).
std::vector<std::string> as_texts(py::handle value, std::string_view keyword) {
  if (py::isinstance<py::str>(value)) return {value.cast<std::string>()};
  std::vector<std::string> texts;
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    for (const auto item : value) {
      if (!py::isinstance<py::str>(item))
        bad_value(keyword, "a string or a list of strings", value);
      texts.push_back(item.cast<std::string>());
    }
    return texts;
  }
  bad_value(keyword, "a string or a list of strings", value);
}

// size=: "800x800", 800 (an 800x800 box), a list of either, or None (keep the size).
std::vector<Geometry> as_sizes(py::handle value, std::string_view keyword) {
  std::vector<Geometry> sizes;
  if (value.is_none()) return sizes;
  auto one = [&](py::handle item) {
    if (py::isinstance<py::int_>(item) && !py::isinstance<py::bool_>(item)) {
      return parse_geometry(std::to_string(as_int(item, keyword)));
    }
    if (!py::isinstance<py::str>(item)) {
      bad_value(keyword, "a geometry such as \"800x800\" or a list of them", value);
    }
    return parse_geometry(item.cast<std::string>());
  };
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    for (const auto item : value) sizes.push_back(one(item));
  } else {
    sizes.push_back(one(value));
  }
  return sizes;
}

// shard=: "K/N", "auto", "auto/N" or (K, N).
Shard as_shard(py::handle value, std::string_view keyword) {
  if (py::isinstance<py::tuple>(value) && py::len(value) == 2) {
    const py::tuple pair = py::reinterpret_borrow<py::tuple>(value);
    return parse_shard(std::to_string(as_int(pair[0], keyword)) + "/" +
                       std::to_string(as_int(pair[1], keyword)));
  }
  if (!py::isinstance<py::str>(value))
    bad_value(keyword, "\"K/N\", (K, N), \"auto\" or \"auto/N\"", value);
  return parse_shard(value.cast<std::string>());
}

// max_memory=: "auto", a number of bytes, or a size such as "512M" (K, M, G, T: powers of 1024).
std::uint64_t as_memory(py::handle value, std::string_view keyword) {
  constexpr std::string_view expected = "\"auto\", 0 (no limit), bytes or a size such as \"512M\"";
  if (!py::isinstance<py::str>(value)) {
    if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
      bad_value(keyword, expected, value);
    }
    return as_count(value, keyword);
  }
  const std::string text = value.cast<std::string>();
  if (text == "auto") return Options::max_memory_auto;
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string_view unit(end, text.data() + text.size() - end);
  if (ec != std::errc() || unit.size() > 1) bad_value(keyword, expected, value);
  int shift = 0;
  if (!unit.empty()) {
    const auto units = std::string_view("kmgt");
    const auto at = units.find(static_cast<char>(unit[0] | 0x20));
    if (at == std::string_view::npos) bad_value(keyword, expected, value);
    shift = 10 * static_cast<int>(at + 1);
  }
  if (number > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    bad_value(keyword, expected, value);
  }
  return number << shift;
}

using Apply = void (*)(Options&, py::handle, std::string_view);

constexpr unsigned kBatch = 1u << static_cast<unsigned>(KeywordSet::batch);
constexpr unsigned kThumbnail = 1u << static_cast<unsigned>(KeywordSet::thumbnail);
constexpr unsigned kDecode = 1u << static_cast<unsigned>(KeywordSet::decode);
constexpr unsigned kResize = 1u << static_cast<unsigned>(KeywordSet::resize);
constexpr unsigned kEncode = 1u << static_cast<unsigned>(KeywordSet::encode);

struct Keyword {
  std::string_view name;   // the command's long option, `-` written `_`
  std::string_view field;  // the Options field the library's messages name
  unsigned sets;
  Apply apply;
};

// Every keyword once, with the functions that take it and how it sets Options.
const Keyword kKeywords[] = {
    {"size", "sizes", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.sizes = as_sizes(v, k); }},
    {"fit", "fit", kBatch | kThumbnail | kDecode | kResize,
     [](Options& o, py::handle v, std::string_view k) { o.fit = parse_fit(as_text(v, k)); }},
    {"gravity", "gravity", kBatch | kThumbnail | kDecode | kResize,
     [](Options& o, py::handle v, std::string_view k) {
       o.gravity = parse_gravity(as_text(v, k));
     }},
    {"enlarge", "enlarge", kBatch | kThumbnail | kDecode | kResize,
     [](Options& o, py::handle v, std::string_view k) { o.enlarge = as_bool(v, k); }},
    {"filter", "filter", kBatch | kThumbnail | kResize,
     [](Options& o, py::handle v, std::string_view k) { o.filter = parse_filter(as_text(v, k)); }},
    {"background", "background", kBatch | kThumbnail | kResize | kEncode,
     [](Options& o, py::handle v, std::string_view k) {
       o.background = parse_color(as_text(v, k));
     }},
    {"format", "formats", kBatch | kThumbnail | kEncode,
     [](Options& o, py::handle v, std::string_view k) {
       o.formats.clear();
       for (const auto& f : as_texts(v, k)) o.formats.push_back(parse_output_format(f));
     }},
    {"name", "name", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.name = as_text(v, k); }},
    {"quality", "quality", kBatch | kThumbnail | kEncode,
     [](Options& o, py::handle v, std::string_view k) { o.quality = as_int(v, k); }},
    {"progressive", "progressive", kBatch | kThumbnail | kEncode,
     [](Options& o, py::handle v, std::string_view k) { o.progressive = as_bool(v, k); }},
    {"shrink_margin", "shrink_margin", kBatch | kThumbnail | kDecode,
     [](Options& o, py::handle v, std::string_view k) { o.shrink_margin = as_double(v, k); }},
    {"progressive_bits", "progressive_bits", kBatch | kThumbnail | kDecode,
     [](Options& o, py::handle v, std::string_view k) { o.progressive_bits = as_int(v, k); }},
    {"chroma", "chroma_444", kBatch | kThumbnail | kEncode,
     [](Options& o, py::handle v, std::string_view k) {
       // chroma="444" or chroma=444, as the command's --chroma 444.
       o.chroma_444 = parse_chroma_444(py::isinstance<py::int_>(v) ? std::to_string(as_int(v, k))
                                                                   : as_text(v, k));
     }},
    {"png_compression", "png_compression", kBatch | kThumbnail | kEncode,
     [](Options& o, py::handle v, std::string_view k) { o.png_compression = as_int(v, k); }},
    {"lossless", "lossless", kBatch | kThumbnail | kEncode,
     [](Options& o, py::handle v, std::string_view k) { o.lossless = as_bool(v, k); }},
    {"tiff_compression", "tiff_compression", kBatch | kThumbnail | kEncode,
     [](Options& o, py::handle v, std::string_view k) {
       o.tiff_compression = parse_tiff_compression(as_text(v, k));
     }},
    {"recursive", "recursive", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.recursive = as_bool(v, k); }},
    {"threads", "threads", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.threads = as_int(v, k); }},
    {"readers", "readers", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.readers = as_int(v, k); }},
    {"writers", "writers", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.writers = as_int(v, k); }},
    {"max_in_flight", "max_in_flight", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.max_in_flight = as_int(v, k); }},
    {"max_memory", "max_memory", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.max_memory = as_memory(v, k); }},
    {"files_from", "files_from", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.files_from = path_text(v, k); }},
    {"null", "files_from_nul", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.files_from_nul = as_bool(v, k); }},
    {"shard", "shard", kBatch,
     [](Options& o, py::handle v, std::string_view k) {
       o.shard = v.is_none() ? Shard{} : as_shard(v, k);
     }},
    {"skip_existing", "skip_existing", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.skip_existing = as_bool(v, k); }},
    {"max_pixels", "max_pixels", kBatch | kThumbnail | kDecode,
     [](Options& o, py::handle v, std::string_view k) { o.max_pixels = as_count(v, k); }},
    {"max_scans", "max_scans", kBatch | kThumbnail | kDecode,
     [](Options& o, py::handle v, std::string_view k) { o.max_scans = as_count(v, k); }},
    {"max_frames", "max_frames", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.max_frames = as_count(v, k); }},
    {"max_file_size", "max_file_bytes", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.max_file_bytes = as_count(v, k); }},
    {"timeout", "timeout", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.timeout = as_double(v, k); }},
    {"allow_truncated", "allow_truncated", kBatch | kThumbnail | kDecode,
     [](Options& o, py::handle v, std::string_view k) { o.allow_truncated = as_bool(v, k); }},
    {"fail_fast", "", kBatch,
     [](Options& o, py::handle v, std::string_view k) {
       if (as_bool(v, k)) o.max_errors = 1;
     }},
    {"max_errors", "max_errors", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.max_errors = as_int(v, k); }},
    {"no_rotate", "auto_orient", kBatch | kThumbnail | kDecode,
     [](Options& o, py::handle v, std::string_view k) { o.auto_orient = !as_bool(v, k); }},
    {"keep_icc", "keep_icc", kBatch | kThumbnail,
     [](Options& o, py::handle v, std::string_view k) { o.keep_icc = as_bool(v, k); }},
    {"keep_metadata", "keep_metadata", kBatch | kThumbnail,
     [](Options& o, py::handle v, std::string_view k) { o.keep_metadata = as_bool(v, k); }},
    {"animated", "animated", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.animated = as_bool(v, k); }},
    {"strip_gps", "strip_gps", kBatch | kThumbnail,
     [](Options& o, py::handle v, std::string_view k) { o.strip_gps = as_bool(v, k); }},
    {"no_fsync", "fsync", kBatch,
     [](Options& o, py::handle v, std::string_view k) { o.fsync = !as_bool(v, k); }},
};

// The fields whose keyword is not their own name, and the ones no keyword sets.
constexpr std::pair<std::string_view, std::string_view> kOtherNames[] = {{"inputs", "inputs"},
                                                                         {"output_dir", "output"}};

}  // namespace

bool as_bool(py::handle value, std::string_view keyword) {
  if (!py::isinstance<py::bool_>(value)) bad_value(keyword, "True or False", value);
  return value.cast<bool>();
}

py::object take_keyword(py::dict& keywords, const char* name) {
  if (!keywords.contains(name)) return py::none();
  py::object value = keywords[name];
  PyDict_DelItemString(keywords.ptr(), name);
  return value;
}

std::string path_text(py::handle value, std::string_view keyword) {
  if (!py::isinstance<py::str>(value) && !py::hasattr(value, "__fspath__")) {
    bad_value(keyword, "a path (str or os.PathLike)", value);
  }
  py::object path = py::module_::import("os").attr("fsdecode")(value);
  return path.cast<std::string>();
}

void apply_keywords(Options& options, const py::dict& keywords, KeywordSet set,
                    std::string_view function) {
  const unsigned bit = 1u << static_cast<unsigned>(set);
  for (const auto& [key, value] : keywords) {
    const std::string name = py::str(key);
    const Keyword* found = nullptr;
    for (const auto& keyword : kKeywords) {
      if (keyword.name == name && (keyword.sets & bit)) found = &keyword;
    }
    if (!found) {
      throw py::type_error(std::string(function) + "() got an unexpected keyword argument '" +
                           name + "'");
    }
    try {
      found->apply(options, value, found->name);
    } catch (const Error& e) {
      throw Error(e.code(), with_keyword_names(e.what()));
    }
  }
}

std::string with_keyword_names(std::string_view message) {
  auto renamed = [&](std::string_view field, std::string_view name) -> std::optional<std::string> {
    if (field.empty() || !message.starts_with(field) ||
        !message.substr(field.size()).starts_with(':')) {
      return std::nullopt;
    }
    return std::string(name).append(message.substr(field.size()));
  };
  for (const auto& keyword : kKeywords) {
    if (auto text = renamed(keyword.field, keyword.name)) return *text;
  }
  for (const auto& [field, name] : kOtherNames) {
    if (auto text = renamed(field, name)) return *text;
  }
  return std::string(message);
}

void validate_keywords(const Options& options, std::initializer_list<std::string_view> ignore) {
  std::string message;
  for (const auto& problem : options.validate()) {
    bool ignored = false;
    for (const auto field : ignore) {
      ignored = ignored || (problem.starts_with(field) &&
                            std::string_view(problem).substr(field.size()).starts_with(':'));
    }
    if (ignored) continue;
    if (!message.empty()) message += '\n';
    message += with_keyword_names(problem);
  }
  if (!message.empty()) throw Error(ErrorCode::usage, message);
}

}  // namespace imgflow::python
