// The run report as JSON (schema version 1), whole or streamed.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/fnv1a.hpp"
#include "imgflow/file_io.hpp"
#include "imgflow/options.hpp"
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

json summary_entry(const Summary& s) {
  return {{"total", s.total},
          {"ok", s.ok},
          {"failed", s.failed},
          {"skipped", s.skipped},
          {"seconds", s.seconds},
          {"cancelled", s.cancelled},
          {"stopped_on_errors", s.stopped_on_errors},
          // The code only: the summary's room is fixed (see Sink); the message
          // is in the failed file's entry and in every skipped one's.
          {"stopped_on_fault", s.stopped_on_fault == ErrorCode::ok
                                   ? json(nullptr)
                                   : json(std::string(error_code_name(s.stopped_on_fault)))}};
}

json job_entry(const JobInfo& job) {
  json inputs = json::array();  // as text (a non-UTF-8 name shows U+FFFD, as in put_path)
  for (const auto& input : job.inputs) inputs.push_back(input.native());
  json entry = {{"id", job.id}};
  entry["shard"] = job.shard_count > 0
                       ? json{{"index", job.shard_index}, {"count", job.shard_count}}
                       : json(nullptr);
  entry["inputs"] = std::move(inputs);
  if (!job.files_from.empty()) put_path(entry, "files_from", job.files_from);
  put_path(entry, "output", job.output);
  return entry;
}

// Paths are bytes on Linux: invalid UTF-8 is shown as U+FFFD, and put_path()
// has kept the exact bytes beside it.
std::string dump(const json& value, int indent) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

// `value` as to_json() lays it out `depth` levels deep (two spaces a level).
std::string nested(const json& value, int depth) {
  std::string text = dump(value, 2);
  const std::string margin(static_cast<std::size_t>(2 * depth), ' ');
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {  // JSON strings hold no raw newline: each one starts a line
    out += c;
    if (c == '\n') out += margin;
  }
  return out;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::string to_json(const Report& report, int indent) {
  json files = json::array();
  for (const auto& f : report.files) files.push_back(file_entry(f));
  json doc = {
      {"version", 1}, {"summary", summary_entry(report.summary)}, {"files", std::move(files)}};
  if (!report.job.id.empty()) doc["job"] = job_entry(report.job);
  return dump(doc, indent);
}

JobInfo job_of(const Options& options) {
  JobInfo job;
  job.shard_index = options.shard.count > 0 ? options.shard.index : 0;
  job.shard_count = options.shard.count;
  job.inputs = options.inputs;
  job.files_from = options.files_from;
  job.output = options.output_dir;
  json what = json::array();
  for (const auto& input : options.inputs) what.push_back(input.string());
  what.push_back(options.files_from.string());
  what.push_back(options.recursive);
  what.push_back(options.output_dir.lexically_normal().string());
  for (const auto& size : options.sizes) what.push_back(size.text);
  for (const auto format : options.formats) what.push_back(static_cast<int>(format));
  what.push_back(options.name);
  what.push_back(static_cast<int>(options.fit));
  const std::uint64_t hash =
      detail::fnv1a64(what.dump(-1, ' ', false, json::error_handler_t::replace));
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(hash));
  job.id = id;
  return job;
}

std::string to_json_line(const FileReport& file) {
  return dump(file_entry(file), -1);
}

void write_report(const Report& report, const std::filesystem::path& path) {
  ReportWriter writer(path);
  for (const auto& file : report.files) writer.add(file);
  writer.finish(report.summary);
}

// Where the streamed document goes. A regular file is written in place with
// room kept for the summary, which is only known at the end; a descriptor that
// cannot seek gets the entries spooled and the document written whole.
struct ReportWriter::Sink {
  // Room for the summary: eight fields, numbers of at most 20 digits.
  static constexpr std::size_t kSummaryRoom = 400;
  static constexpr std::size_t kBufferBytes = 1 << 16;

  std::optional<AtomicFile> file;  // a regular file
  int fd = -1;                     // or a descriptor, with a spool
  bool owns_fd = false;
  std::FILE* spool = nullptr;
  std::string buffer;  // entries not yet written out
  bool any_entry = false;

  ~Sink() {
    if (spool) std::fclose(spool);
    if (owns_fd) ::close(fd);
  }

  // Everything before the first entry; at least `room` bytes up to the comma
  // after the summary, blanks filling the rest.
  static std::string head(const Summary& summary, std::size_t room) {
    std::string text = "{\n  \"version\": 1,\n  \"summary\": " + nested(summary_entry(summary), 1);
    if (text.size() < room) text.append(room - text.size(), ' ');
    return text + ",\n  \"files\": [";
  }
  static std::string tail(const JobInfo& job) {
    if (job.id.empty()) return "\n  ]\n}\n";
    return "\n  ],\n  \"job\": " + nested(job_entry(job), 1) + "\n}\n";
  }

  void start_spool(int descriptor, bool owned) {
    fd = descriptor;
    owns_fd = owned;
    spool = std::tmpfile();
    if (!spool) {
      throw Error(
          ErrorCode::write_error,
          std::string("cannot make a temporary file for the report: ") + std::strerror(errno));
    }
  }

  void flush() {
    if (buffer.empty()) return;
    if (file) {
      file->append(as_bytes(buffer));
    } else if (std::fwrite(buffer.data(), 1, buffer.size(), spool) != buffer.size()) {
      throw Error(ErrorCode::write_error, "cannot write the report's temporary file");
    }
    buffer.clear();
  }

  void write_fd(std::string_view text) const {
    while (!text.empty()) {
      const ssize_t n = ::write(fd, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        throw Error(ErrorCode::write_error,
                    std::string("cannot write the report: ") + std::strerror(errno));
      }
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }
};

ReportWriter::ReportWriter(const std::filesystem::path& path) : sink_(std::make_unique<Sink>()) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    // A device or pipe is written to directly: renaming over it would replace it.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      throw Error(ErrorCode::write_error,
                  "cannot open " + path.string() + ": " + std::strerror(errno));
    }
    sink_->start_spool(fd, true);
    return;
  }
  // Like the output directory, the report's folder is made when missing
  // (`--report reports/$TASK.json` in a job array's fresh folder).
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  sink_->file.emplace(path);
  sink_->file->append(as_bytes(Sink::head(Summary{}, Sink::kSummaryRoom)));
}

ReportWriter::ReportWriter(int fd) : sink_(std::make_unique<Sink>()) {
  sink_->start_spool(fd, false);
}

ReportWriter::~ReportWriter() = default;

void ReportWriter::add(const FileReport& file) {
  sink_->buffer += sink_->any_entry ? ",\n    " : "\n    ";
  sink_->buffer += nested(file_entry(file), 2);
  sink_->any_entry = true;
  if (sink_->buffer.size() >= Sink::kBufferBytes) sink_->flush();
}

void ReportWriter::finish(const Summary& summary, const JobInfo& job) {
  Sink& sink = *sink_;
  sink.flush();
  if (sink.file) {
    sink.file->overwrite(0, as_bytes(Sink::head(summary, Sink::kSummaryRoom)));
    sink.file->append(as_bytes(Sink::tail(job)));
    sink.file->commit();
    sink.file.reset();
    return;
  }
  sink.write_fd(Sink::head(summary, 0));
  if (std::fflush(sink.spool) != 0 || std::fseek(sink.spool, 0, SEEK_SET) != 0) {
    throw Error(ErrorCode::write_error, "cannot read back the report's temporary file");
  }
  char chunk[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, sink.spool)) > 0) {
    sink.write_fd({chunk, n});
  }
  sink.write_fd(Sink::tail(job));
}

}  // namespace imgflow
