// The run report as JSON (schema version 1).
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

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

json file_entry(const FileReport& f) {
  json entry = {{"input", f.input.string()}, {"status", file_status_name(f.status)}};
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
    outputs.push_back(
        {{"path", o.path.string()}, {"width", o.width}, {"height", o.height}, {"bytes", o.bytes}});
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
  // Paths are bytes on Linux; replace invalid UTF-8 rather than fail the report.
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
  write_file_atomic(path,
                    std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace imgflow
