#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "imgflow/report.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

TEST(ReportJson, FollowsSchemaVersion1) {
  Report report;
  report.summary.total = 2;
  report.summary.ok = 1;
  report.summary.failed = 1;
  report.summary.seconds = 1.5;
  FileReport ok;
  ok.input = "in/a.jpg";
  ok.status = FileStatus::ok;
  ok.source = {Format::jpeg, 4000, 3000};
  ok.outputs.push_back({"out/a.jpg", 800, 600, 12345});
  ok.timings = {0.0005, 0.0421234, 0.01, 0.002, 0.25};
  FileReport bad;
  bad.input = "in/b.jpg";
  bad.status = FileStatus::failed;
  bad.error = ErrorCode::truncated_input;
  bad.message = "jpeg data ends early";
  report.files = {ok, bad};

  const auto doc = nlohmann::json::parse(to_json(report));
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["summary"]["total"], 2);
  EXPECT_EQ(doc["summary"]["ok"], 1);
  EXPECT_EQ(doc["summary"]["failed"], 1);
  EXPECT_EQ(doc["summary"]["skipped"], 0);
  EXPECT_DOUBLE_EQ(doc["summary"]["seconds"].get<double>(), 1.5);
  EXPECT_EQ(doc["summary"]["stopped_on_fault"], nullptr);
  ASSERT_EQ(doc["files"].size(), 2u);
  EXPECT_EQ(doc["files"][0]["input"], "in/a.jpg");
  EXPECT_EQ(doc["files"][0]["status"], "ok");
  EXPECT_FALSE(doc["files"][0].contains("error"));
  EXPECT_EQ(doc["files"][0]["source"]["format"], "jpeg");
  EXPECT_EQ(doc["files"][0]["source"]["width"], 4000);
  EXPECT_EQ(doc["files"][0]["outputs"][0]["path"], "out/a.jpg");
  EXPECT_EQ(doc["files"][0]["outputs"][0]["bytes"], 12345);
  const auto& t = doc["files"][0]["timings_ms"];  // milliseconds, rounded to a microsecond
  EXPECT_DOUBLE_EQ(t["read"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(t["decode"].get<double>(), 42.123);
  EXPECT_DOUBLE_EQ(t["resize"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(t["encode"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(t["write"].get<double>(), 250.0);
  EXPECT_EQ(doc["files"][1]["status"], "failed");
  EXPECT_EQ(doc["files"][1]["error"]["code"], "truncated-input");
  EXPECT_EQ(doc["files"][1]["error"]["message"], "jpeg data ends early");
  EXPECT_TRUE(doc["files"][1]["outputs"].empty());
}

TEST(ReportJson, NonUtf8PathsKeepTheirExactBytesInBase64) {
  Report report;
  FileReport f;
  f.input = std::string("in/caf\xE9.jpg");  // Latin-1 byte, invalid UTF-8
  f.outputs = {{std::string("out/caf\xE9.jpg"), 10, 10, 100}};
  FileReport plain;
  plain.input = "in/caf\xC3\xA9.jpg";  // the same name in UTF-8
  plain.outputs = {{"out/caf\xC3\xA9.jpg", 10, 10, 100}};
  FileReport odd;  // a lone continuation byte, an overlong '/', a UTF-16 surrogate, 5 bytes
  odd.input = std::string(
      "\x80\xC0\xAF\xED\xA0\x80"
      "abcde");
  report.files = {f, plain, odd};
  for (const std::string& text : {to_json(report), to_json_line(f)}) {
    const auto doc = nlohmann::json::parse(text);
    const auto& entry = doc.contains("files") ? doc["files"][0] : doc;
    EXPECT_EQ(entry["input"], "in/caf\xEF\xBF\xBD.jpg");   // U+FFFD for the reader
    EXPECT_EQ(entry["input_base64"], "aW4vY2Fm6S5qcGc=");  // base64 of the bytes
    EXPECT_EQ(entry["outputs"][0]["path_base64"], "b3V0L2NhZukuanBn");
  }
  const auto doc = nlohmann::json::parse(to_json(report));
  EXPECT_EQ(doc["files"][1]["input"], "in/caf\xC3\xA9.jpg");
  EXPECT_FALSE(doc["files"][1].contains("input_base64"));  // valid UTF-8 needs none
  EXPECT_FALSE(doc["files"][1]["outputs"][0].contains("path_base64"));
  EXPECT_EQ(doc["files"][2]["input_base64"], "gMCv7aCAYWJjZGU=");
}

// A report of `files` entries (about 300 bytes each).
Report report_of(std::size_t files) {
  Report report;
  report.summary.total = report.summary.ok = files;
  for (std::size_t i = 0; i < files; ++i) {
    FileReport f;
    f.input = "photos/img" + std::to_string(i) + ".jpg";
    f.status = FileStatus::ok;
    f.outputs = {{"thumbs/img" + std::to_string(i) + ".jpg", 800, 600, 81234}};
    report.files.push_back(f);
  }
  return report;
}

TEST(ReportJson, WriteReportReplacesTheOldReportWholeByRename) {
  test::ScratchDir dir;
  const auto path = dir / "r.json";
  write_report(report_of(1), path);
  const std::string old_text = test::read_text(path);
  // A second name for the old file: written in place, it would change too.
  std::filesystem::create_hard_link(path, dir / "old.json");
  write_report(report_of(3), path);
  EXPECT_EQ(nlohmann::json::parse(test::read_text(path))["files"].size(), 3u);
  EXPECT_EQ(test::read_text(dir / "old.json"), old_text);
  EXPECT_EQ(std::filesystem::hard_link_count(path), 1u);  // a new file took the name
  EXPECT_EQ(test::list_files(dir.path()), (std::vector<std::string>{"old.json", "r.json"}));
}

TEST(ReportJson, WriteReportMakesItsFolder) {
  test::ScratchDir dir;
  write_report(report_of(2), dir / "reports/7/r.json");
  EXPECT_EQ(nlohmann::json::parse(test::read_text(dir / "reports/7/r.json"))["files"].size(), 2u);
  EXPECT_EQ(test::list_files(dir.path()), std::vector<std::string>{"reports/7/r.json"});
}

// A write that fails half-way (the file size limit, like a full disk) throws
// write_error and leaves the previous report and no temporary file.
TEST(ReportJson, WriteReportThatFailsLeavesTheOldReport) {
  test::ScratchDir dir;
  const auto path = dir / "r.json";
  write_report(report_of(1), path);
  const std::string old_text = test::read_text(path);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_report(report_of(1000), path);  // about 300 kB
    } catch (const Error& e) {
      ::_exit(e.code() == ErrorCode::write_error ? 0 : 3);
    } catch (...) {
      ::_exit(4);
    }
    ::_exit(5);  // no error: the limit did not bite
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: another error code, 4: not an imgflow::Error, 5: none";
  EXPECT_EQ(test::read_text(path), old_text);
  EXPECT_EQ(test::list_files(dir.path()), std::vector<std::string>{"r.json"});
}

// The streamed report: entries added one by one (enough to pass the writer's
// buffer several times), the summary written last, then put in place whole.
TEST(ReportWriter, StreamsTheSameDocumentAsToJsonIntoAFile) {
  test::ScratchDir dir;
  const auto path = dir / "reports/r.json";  // the folder is made
  const Report report = report_of(2000);
  {
    ReportWriter writer(path);
    for (std::size_t i = 0; i < report.files.size(); ++i) {
      writer.add(report.files[i]);
      if (i == 1000) {  // half way: only the writer's hidden temporary file exists
        EXPECT_FALSE(std::filesystem::exists(path));
        const auto files = test::list_files(dir / "reports");
        ASSERT_EQ(files.size(), 1u);
        EXPECT_EQ(files[0].rfind(".r.json.imgflow-", 0), 0u) << files[0];
      }
    }
    writer.finish(report.summary);
  }
  const std::string text = test::read_text(path);
  EXPECT_EQ(nlohmann::json::parse(text), nlohmann::json::parse(to_json(report)));
  EXPECT_EQ(text.find("{\n  \"version\": 1,\n  \"summary\": {\n    \"total\": 2000,"), 0u)
      << text.substr(0, 120);
  EXPECT_EQ(test::list_files(dir / "reports"), std::vector<std::string>{"r.json"});
}

// The summary is written last into room kept at the start: the largest one
// (20-digit counts, every flag, the longest fault code) still fits, and the
// document is the same as to_json's.
TEST(ReportWriter, TheLargestSummaryFitsItsRoom) {
  test::ScratchDir dir;
  Report report = report_of(3);
  Summary& s = report.summary;
  s.total = s.ok = s.failed = s.skipped = std::numeric_limits<std::size_t>::max();
  s.seconds = 123456789.123456789;
  s.cancelled = s.stopped_on_errors = true;
  s.stopped_on_fault = ErrorCode::output_unavailable;
  s.fault_message = std::string(5000, 'x');  // not in the JSON summary
  {
    ReportWriter writer(dir / "r.json");
    for (const auto& f : report.files) writer.add(f);
    writer.finish(s);
  }
  const auto doc = nlohmann::json::parse(test::read_text(dir / "r.json"));
  EXPECT_EQ(doc, nlohmann::json::parse(to_json(report)));
  EXPECT_EQ(doc["summary"]["stopped_on_fault"], "output-unavailable");
  EXPECT_EQ(doc["files"].size(), 3u);
}

TEST(ReportWriter, WithoutFinishLeavesNoFileAndTheOldReport) {
  test::ScratchDir dir;
  const auto path = dir / "r.json";
  test::write_text(path, "old");
  {
    ReportWriter writer(path);
    for (const auto& f : report_of(100).files) writer.add(f);
  }
  EXPECT_EQ(test::read_text(path), "old");
  EXPECT_EQ(test::list_files(dir.path()), std::vector<std::string>{"r.json"});
}

TEST(ReportWriter, AnEmptyRunIsAValidDocument) {
  test::ScratchDir dir;
  ReportWriter writer(dir / "r.json");
  writer.finish(Summary{});
  const auto doc = nlohmann::json::parse(test::read_text(dir / "r.json"));
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["summary"]["total"], 0);
  EXPECT_TRUE(doc["files"].is_array());
  EXPECT_TRUE(doc["files"].empty());
}

// Standard output or a pipe cannot be rewound: the entries wait in a
// temporary file and the document is written whole by finish().
TEST(ReportWriter, ToAPipeWritesNothingBeforeFinishThenTheWholeDocument) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  const Report report = report_of(300);
  std::string received;
  char chunk[65536];
  {
    ReportWriter writer(fds[1]);
    for (const auto& f : report.files) writer.add(f);
    EXPECT_EQ(::read(fds[0], chunk, sizeof chunk), -1);  // nothing yet
    std::thread reader([&] {
      ::fcntl(fds[0], F_SETFL, 0);
      ssize_t n = 0;
      while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0) received.append(chunk, std::size_t(n));
    });
    writer.finish(report.summary);
    ::close(fds[1]);
    reader.join();
  }
  ::close(fds[0]);
  EXPECT_EQ(nlohmann::json::parse(received), nlohmann::json::parse(to_json(report)));
}

}  // namespace
}  // namespace imgflow
