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

/// Which job a run belongs to: the shards of one job array share `id`, so
/// that merge_reports() can tell a missing shard from a foreign report.
struct JobInfo {
  /// 16 hex digits over what decides the job's files and outputs: the inputs
  /// as given, --files-from, -r, the output folder, sizes, formats, the name
  /// template and --fit. Empty: unknown (the report has no "job").
  std::string id;
  int shard_index = 0;  ///< 1..shard_count
  int shard_count = 0;  ///< 0: not sharded
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path files_from;
  std::filesystem::path output;
};

struct Options;
/// The job of a run with these options (shard resolved).
JobInfo job_of(const Options& options);

struct Report {
  Summary summary;
  std::vector<FileReport> files;  ///< in planning order
  JobInfo job;
};

/// What merge_reports() found.
struct MergeResult {
  std::string job_id;
  int shard_count = 0;
  std::vector<int> shards_present, shards_missing;  ///< 1-based shard indices
  /// Inputs that more than one shard processed (ok or failed): a split that
  /// went wrong, or reports of two splits of the same files.
  std::vector<std::string> in_several_shards;
  Summary summary;      ///< over the merged files
  bool all_ok = false;  ///< every file written or up to date
  bool complete() const { return shards_missing.empty() && in_several_shards.empty(); }
  std::string merged_json;  ///< the merged report, as merge_reports() writes it
};

/// One report for a whole job from its shards' reports (each written by a run
/// with --report and --shard): the files of all of them, once each (when a
/// shard was run again, the better outcome of a file wins: written, up to
/// date, failed, never processed), the summary counted again, and a "merge"
/// block with the shards present and missing. Written to `out` atomically.
/// Throws Error{usage} for a report that cannot be read, is not an imgflow
/// report, or belongs to another job or split.
MergeResult merge_reports(const std::vector<std::filesystem::path>& reports,
                          const std::filesystem::path& out);

/// A report in memory, for merge_reports() on texts.
struct ReportText {
  std::string name;  ///< what errors call it: its path, or e.g. "reports[2]"
  std::string json;  ///< the report as --report writes it
};
/// merge_reports() on reports in memory (the Python module's merge_reports()):
/// the same checks and errors; the merged report is only returned, in
/// `merged_json`, not written.
MergeResult merge_reports(const std::vector<ReportText>& reports);

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
  /// Writes the summary (and the job, when known) and completes the document.
  void finish(const Summary& summary, const JobInfo& job = {});

 private:
  struct Sink;
  std::unique_ptr<Sink> sink_;
};

}  // namespace imgflow
