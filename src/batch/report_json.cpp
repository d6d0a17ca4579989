// The run report as JSON (schema version 1).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "imgflow/file_io.hpp"
#include "imgflow/report.hpp"

namespace imgflow {

std::string_view file_status_name(FileStatus status) noexcept {
  switch (status) {
    case FileStatus::ok:
      return "ok";
    case FileStatus::failed:
      return "failed";
    case FileStatus::skipped:
      return "skipped";
  }
  return "unknown";
}

namespace {

using json = nlohmann::ordered_json;

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    unsigned min = 0, code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1, min = 0x80, code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2, min = 0x800, code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // cut short
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  static constexpr char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? digits[(v >> (18 - 6 * k)) & 0x3F] : '=';
    }
  }
  return out;
}

// A path as the report writes it: `key` holds the name as text (bytes that
// are not UTF-8 shown as U+FFFD), and only for such a name `key`_base64 holds
// its exact bytes, so every entry maps back to its file.
void put_path(json& object, const std::string& key, const std::filesystem::path& path) {
  const std::string& bytes = path.native();
  object[key] = bytes;
  if (!is_valid_utf8(bytes)) object[key + "_base64"] = base64(bytes);
}

json file_entry(const FileReport& f) {
  json entry;
  put_path(entry, "input", f.input);
  entry["status"] = file_status_name(f.status);
  if (f.error != ErrorCode::ok) {
    entry["error"] = {{"code", error_code_name(f.error)}, {"message", f.message}};
  }
  if (!f.warnings.empty()) entry["warnings"] = f.warnings;
  if (f.source.format != Format::unknown) {
    entry["source"] = {{"width", f.source.width},
                       {"height", f.source.height},
                       {"format", format_name(f.source.format)},
                       {"orientation", f.source.orientation}};
  }
  json outputs = json::array();
  for (const auto& o : f.outputs) {
    json output;
    put_path(output, "path", o.path);
    output["width"] = o.width;
    output["height"] = o.height;
    output["bytes"] = o.bytes;
    outputs.push_back(std::move(output));
  }
  entry["outputs"] = std::move(outputs);
  const auto ms = [](double seconds) { return std::round(seconds * 1e6) / 1e3; };
  const auto& t = f.timings;
  entry["timings_ms"] = {{"read", ms(t.read)},
                         {"decode", ms(t.decode)},
                         {"resize", ms(t.resize)},
                         {"encode", ms(t.encode)},
                         {"write", ms(t.write)}};
  return entry;
}

}  // namespace

std::string to_json(const Report& report, int indent) {
  json files = json::array();
  for (const auto& f : report.files) files.push_back(file_entry(f));
  const auto& s = report.summary;
  json doc = {{"version", 1},
              {"summary",
               {{"total", s.total},
                {"ok", s.ok},
                {"failed", s.failed},
                {"skipped", s.skipped},
                {"seconds", s.seconds},
                {"cancelled", s.cancelled},
                {"stopped_on_errors", s.stopped_on_errors}}},
              {"files", std::move(files)}};
  // Paths are bytes on Linux: invalid UTF-8 is shown as U+FFFD, and put_path()
  // has kept the exact bytes beside it.
  return doc.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string to_json_line(const FileReport& file) {
  return file_entry(file).dump(-1, ' ', false, json::error_handler_t::replace);
}

void write_report(const Report& report, const std::filesystem::path& path) {
  const std::string text = to_json(report) + "\n";
  // A device or pipe (/dev/stdout, a FIFO) is written to directly: renaming
  // a temporary file over it would replace it.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.flush();
    if (!out) throw Error(ErrorCode::write_error, "cannot write the report to " + path.string());
    return;
  }
  // Like the output directory, the report's folder is made when missing
  // (`--report reports/$TASK.json` in a job array's fresh folder).
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  write_file_atomic(path,
                    std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace imgflow
