// What a run did, per file and in total, and its JSON form.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "imgflow/decode.hpp"
#include "imgflow/error.hpp"

namespace imgflow {

enum class FileStatus { ok, failed, skipped };
std::string_view file_status_name(FileStatus status) noexcept;

struct OutputRecord {
  std::filesystem::path path;
  int width = 0;
  int height = 0;
  std::uint64_t bytes = 0;
};

/// Seconds a file spent in each stage (0 for stages it never reached). Their
/// sum over a run on one thread, divided by the cores, is the compute floor:
/// the wall time no scheduler can beat with these codecs.
struct StageTimings {
  double read = 0;
  double decode = 0;
  double resize = 0;
  double encode = 0;
  double write = 0;
};

struct FileReport {
  std::filesystem::path input;
  FileStatus status = FileStatus::skipped;
  ErrorCode error = ErrorCode::ok;  ///< set when status is failed (or skipped: cancelled)
  std::string message;              ///< human-readable detail for `error`
  std::vector<std::string> warnings;
  SourceInfo source;  ///< zero until the header was read
  std::vector<OutputRecord> outputs;
  StageTimings timings;
};

struct Summary {
  std::size_t total = 0;
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::size_t skipped = 0;
  double seconds = 0;
  bool cancelled = false;          ///< stopped by Cancellation (e.g. SIGINT)
  bool stopped_on_errors = false;  ///< stopped by Options::max_errors
  /// disk-full or output-unavailable when a fault of the output file system
  /// stopped the run (no later file could have been written); else ok.
  ErrorCode stopped_on_fault = ErrorCode::ok;
  std::string fault_message;  ///< what failed, when stopped_on_fault is set
};

struct Report {
  Summary summary;
  std::vector<FileReport> files;  ///< in planning order
};

/// The report as JSON (schema version 1; see README).
std::string to_json(const Report& report, int indent = 2);

/// One file's entry of the report, on one line (for --log-json).
std::string to_json_line(const FileReport& file);

/// Writes the JSON report atomically (temporary file + rename).
/// Throws imgflow::Error{ErrorCode::write_error}.
void write_report(const Report& report, const std::filesystem::path& path);

/// The JSON report written while a run goes, so that a run over millions of
/// files holds none of their entries: add() appends each file's entry as it
/// comes, finish() fills in the summary and puts the document in place. The
/// result parses to the same JSON as to_json() (the layout differs only in
/// blanks). Every member throws imgflow::Error{ErrorCode::write_error}.
class ReportWriter {
 public:
  /// A report file, made beside `path` and renamed over it by finish(), so a
  /// reader sees the old report or the whole new one; its folder is created
  /// when missing. A path that is not a regular file (a FIFO, /dev/stdout) is
  /// written like the file descriptor below.
  explicit ReportWriter(const std::filesystem::path& path);
  /// An open file descriptor that may not seek (standard output, a pipe): the
  /// entries wait in an unnamed temporary file, and finish() writes the whole
  /// document to `fd` (which stays open).
  explicit ReportWriter(int fd);
  ~ReportWriter();  ///< without finish(), leaves no file behind
  ReportWriter(const ReportWriter&) = delete;
  ReportWriter& operator=(const ReportWriter&) = delete;

  /// Appends one file's entry (call in planning order).
  void add(const FileReport& file);
  /// Writes the summary and completes the document.
  void finish(const Summary& summary);

 private:
  struct Sink;
  std::unique_ptr<Sink> sink_;
};

}  // namespace imgflow
