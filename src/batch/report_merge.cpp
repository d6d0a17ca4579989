// One report for a whole job from the reports of its shards (a Slurm array,
// a Kubernetes indexed job): checked to belong together, files combined, the
// summary counted again, and what is missing or done twice stated.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "imgflow/error.hpp"
#include "imgflow/file_io.hpp"
#include "imgflow/report.hpp"

namespace imgflow {
namespace {

using json = nlohmann::ordered_json;

[[noreturn]] void refuse(const std::string& report, const std::string& why) {
  throw Error(ErrorCode::usage, "merge_reports: " + report + ": " + why);
}

json parse_report(const ReportText& report) {
  const std::string& path = report.name;
  json doc = json::parse(report.json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("version", 0) != 1 ||
      !doc.contains("files") || !doc["files"].is_array()) {
    refuse(path, "not an imgflow report (JSON with \"version\": 1 and \"files\")");
  }
  if (!doc.contains("job") || !doc["job"].is_object() || !doc["job"].contains("id")) {
    refuse(path, "the report names no job (written by an imgflow without merge_reports?)");
  }
  return doc;
}

// How good a file's outcome is, when two reports name it: written beats up to
// date beats failed beats never processed.
int rank(const json& file) {
  const std::string status = file.value("status", "");
  if (status == "ok") return 3;
  if (status == "skipped" && !file.contains("error")) return 2;  // --skip-existing: up to date
  if (status == "failed") return 1;
  return 0;
}

bool processed(const json& file) {
  const std::string status = file.value("status", "");
  return status == "ok" || status == "failed";
}

// A file's identity: its input name, with the exact bytes of a non-UTF-8 name.
std::string key_of(const json& file) {
  return file.value("input", "") + '\0' + file.value("input_base64", "");
}

}  // namespace

MergeResult merge_reports(const std::vector<std::filesystem::path>& reports,
                          const std::filesystem::path& out) {
  std::vector<ReportText> texts;
  for (const auto& path : reports) {
    std::vector<std::uint8_t> bytes;
    try {
      bytes = read_file(path);
    } catch (const Error& e) {
      refuse(path.string(), e.what());
    }
    texts.push_back({path.string(), std::string(bytes.begin(), bytes.end())});
  }
  MergeResult result = merge_reports(texts);
  const std::string& text = result.merged_json;
  write_file_atomic(out, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return result;
}

MergeResult merge_reports(const std::vector<ReportText>& reports) {
  if (reports.empty()) throw Error(ErrorCode::usage, "merge_reports: no reports given");
  MergeResult result;
  json job;
  std::set<int> present;
  struct Kept {
    json file;
    int shard;
  };
  std::vector<Kept> files;                   // in shard, then planning order
  std::map<std::string, std::size_t> where;  // key -> index in files
  std::set<std::string> in_several;
  double seconds = 0;

  std::vector<std::pair<int, json>> docs;
  for (const auto& report : reports) {
    const std::string& path = report.name;
    json doc = parse_report(report);
    const json& this_job = doc["job"];
    const int count = this_job["shard"].is_object() ? this_job["shard"].value("count", 0) : 1;
    const int index = this_job["shard"].is_object() ? this_job["shard"].value("index", 0) : 1;
    if (count < 1 || index < 1 || index > count) refuse(path, "its shard is not K/N");
    if (job.is_null()) {
      job = this_job;
      result.job_id = this_job["id"];
      result.shard_count = count;
    } else if (this_job["id"] != job["id"]) {
      refuse(path, "it belongs to another job (id " + this_job["id"].get<std::string>() + ", not " +
                       result.job_id + ": other inputs, output or outputs)");
    } else if (count != result.shard_count) {
      refuse(path, "it was split into " + std::to_string(count) + " shards, not " +
                       std::to_string(result.shard_count));
    }
    present.insert(index);
    if (doc.contains("summary")) seconds = std::max(seconds, doc["summary"].value("seconds", 0.0));
    docs.emplace_back(index, std::move(doc));
  }
  // Shard order; a rerun of a shard (listed later) wins its ties.
  std::stable_sort(docs.begin(), docs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [shard, doc] : docs) {
    for (auto& file : doc["files"]) {
      const std::string key = key_of(file);
      const auto found = where.find(key);
      if (found == where.end()) {
        where.emplace(key, files.size());
        files.push_back({std::move(file), shard});
        continue;
      }
      Kept& kept = files[found->second];
      if (kept.shard != shard && processed(kept.file) && processed(file)) {
        in_several.insert(file.value("input", ""));
      }
      if (rank(file) >= rank(kept.file)) kept = {std::move(file), shard};
    }
  }

  for (int k = 1; k <= result.shard_count; ++k) {
    (present.count(k) ? result.shards_present : result.shards_missing).push_back(k);
  }
  result.in_several_shards.assign(in_several.begin(), in_several.end());
  json merged_files = json::array();
  Summary& s = result.summary;
  s.seconds = seconds;
  result.all_ok = true;
  for (auto& kept : files) {
    const int r = rank(kept.file);
    ++s.total;
    ++(r == 3 ? s.ok : r == 1 ? s.failed : s.skipped);
    if (r < 2) result.all_ok = false;
    if (r == 0) s.cancelled = true;  // a file no shard got to
    merged_files.push_back(std::move(kept.file));
  }

  job["shard"] = nullptr;
  json doc = {{"version", 1},
              {"summary",
               {{"total", s.total},
                {"ok", s.ok},
                {"failed", s.failed},
                {"skipped", s.skipped},
                {"seconds", s.seconds},
                {"cancelled", s.cancelled},
                {"stopped_on_errors", false},
                {"stopped_on_fault", nullptr}}},
              {"files", std::move(merged_files)},
              {"job", std::move(job)},
              {"merge",
               {{"reports", reports.size()},
                {"shard_count", result.shard_count},
                {"shards_present", result.shards_present},
                {"shards_missing", result.shards_missing},
                {"in_several_shards", result.in_several_shards},
                {"complete", result.complete()},
                {"all_ok", result.all_ok}}}};
  result.merged_json = doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return result;
}

}  // namespace imgflow
