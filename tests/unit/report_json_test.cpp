#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "imgflow/report.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

TEST(ReportJson, FollowsSchemaVersion1) {
  Report report;
  report.summary = {2, 1, 1, 0, 1.5, false};
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

TEST(ReportJson, WriteReportIsAtomic) {
  test::ScratchDir dir;
  Report report;
  write_report(report, dir / "r.json");
  EXPECT_EQ(nlohmann::json::parse(test::read_text(dir / "r.json"))["version"], 1);
  EXPECT_EQ(test::list_files(dir.path()), std::vector<std::string>{"r.json"});
}

}  // namespace
}  // namespace imgflow
