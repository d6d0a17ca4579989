// Every documented option through the REAL imgflow binary (issue 9, item 4);
// the coverage table is in options_coverage_test.cpp.
//
// This file: Batch jobs: --dry-run, --log-json, --fail-fast, --max-errors, --no-fsync,
// --files-from, --skip-existing, --name.
#include <gtest/gtest.h>

#include "cli/options_helpers.hpp"

namespace imgflow::test::option_tests {
namespace {

// ---------------------------------------------------------------------------
// Batch jobs
// ---------------------------------------------------------------------------

TEST(Options, DryRunPrintsEveryInputAndItsOutputsAndWritesNothing) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().alpha, in / "sub" / "b.png");
  write_text(in / "c.jpg", "not an image, and a dry run does not read it\n");
  const auto out = dir / "out";
  const RunResult r =
      run({"--dry-run", "-r", "-s", "100x", "-s", "50%", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const std::string o = out.string();
  EXPECT_EQ(r.out, (in / "a.jpg").string() + " -> " + o + "/a_100x.jpg, " + o + "/a_50pc.jpg\n" +
                       (in / "c.jpg").string() + " -> " + o + "/c_100x.jpg, " + o +
                       "/c_50pc.jpg\n" + (in / "sub" / "b.png").string() + " -> " + o +
                       "/sub/b_100x.png, " + o + "/sub/b_50pc.png\n");
  EXPECT_EQ(r.err, "imgflow: dry run: 3 files planned, nothing written\n");
  EXPECT_TRUE(!fs::exists(out) || list_files(out).empty()) << "a dry run wrote files";
  EXPECT_EQ(list_files(in), (std::vector<std::string>{"a.jpg", "c.jpg", "sub/b.png"}));
}

TEST(Options, LogJsonPrintsOneReportEntryPerFile) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().alpha, in / "b.png");
  write_text(in / "c.jpg", "text\n");
  const auto report_path = dir / "report.json";
  const RunResult r = run({"--log-json", "--report", report_path.string(), "-s", "100", "-o",
                           (dir / "out").string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json report = parse_json(read_text(report_path));
  std::map<std::string, json> entries;  // by input
  for (const auto& f : report["files"]) entries[f["input"].get<std::string>()] = f;
  ASSERT_EQ(entries.size(), 3u);

  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  std::set<std::string> seen;
  for (const auto& line : lines) {
    json object = parse_json(line);
    ASSERT_TRUE(object.is_object()) << line;
    const std::string input = object.value("input", "");
    SCOPED_TRACE(input);
    ASSERT_EQ(entries.count(input), 1u) << line;
    seen.insert(input);
    // The same fields and values as the report's entry (timings may be
    // formatted differently, but the stages are the same).
    json expected = entries[input];
    ASSERT_TRUE(object.contains("timings_ms"));
    for (const char* stage : {"read", "decode", "resize", "encode", "write"}) {
      EXPECT_TRUE(object["timings_ms"][stage].is_number()) << stage;
    }
    object.erase("timings_ms");
    expected.erase("timings_ms");
    EXPECT_EQ(object, expected);
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(entries[(in / "c.jpg").string()]["error"]["code"], "unknown-format");
  EXPECT_EQ(entries[(in / "a.jpg").string()]["outputs"][0]["width"], 100);
  // Stderr as without --log-json: the failure line, then the summary.
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + (in / "c.jpg").string() + ": unknown-format: "));
  EXPECT_TRUE(is_summary_line(err[1], 3, 2, 1, 0)) << err[1];
}

// Files bad1..bad<bad> (text) sorted before good1..good<good> (photos); one
// file in flight at a time, so exactly the files before the stop are read.
RunResult run_stopping_batch(const ScratchDir& dir, int bad, int good,
                             const std::vector<std::string>& stop_options) {
  const auto in = dir / "in";
  for (int i = 1; i <= bad; ++i) write_text(in / numbered("a_bad", i, ".jpg"), "text\n");
  for (int i = 1; i <= good; ++i) copy_to(photos().landscape, in / numbered("b_good", i, ".jpg"));
  std::vector<std::string> args = {"-j",
                                   "1",
                                   "--readers",
                                   "1",
                                   "--max-in-flight",
                                   "1",
                                   "-s",
                                   "50",
                                   "--report",
                                   (dir / "report.json").string(),
                                   "-o",
                                   (dir / "out").string(),
                                   in.string()};
  args.insert(args.begin(), stop_options.begin(), stop_options.end());
  return run(args);
}

// The report after a stopped run: `failed` failures first, then only files
// reported skipped with code cancelled and no outputs.
void expect_stopped_after(const ScratchDir& dir, const RunResult& r, std::size_t failed,
                          std::size_t total) {
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json report = parse_json(read_text(dir / "report.json"));
  EXPECT_EQ(report["summary"]["total"], total);
  EXPECT_EQ(report["summary"]["ok"], 0);
  EXPECT_EQ(report["summary"]["failed"], failed);
  EXPECT_EQ(report["summary"]["skipped"], total - failed);
  ASSERT_EQ(report["files"].size(), total);
  for (std::size_t i = 0; i < total; ++i) {
    const auto& f = report["files"][i];
    SCOPED_TRACE(f["input"].get<std::string>());
    if (i < failed) {
      EXPECT_EQ(f["status"], "failed");
      EXPECT_EQ(f["error"]["code"], "unknown-format");
    } else {
      EXPECT_EQ(f["status"], "skipped");
      EXPECT_EQ(f["error"]["code"], "cancelled");
      EXPECT_EQ(f["outputs"], json::array());
    }
  }
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{});
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), failed + 1) << describe(r);
  EXPECT_TRUE(starts_with(err.back(), "imgflow: " + std::to_string(total) + " files: 0 ok, " +
                                          std::to_string(failed) + " failed, " +
                                          std::to_string(total - failed) + " skipped in "))
      << err.back();
  EXPECT_TRUE(contains(err.back(), "stopped after too many errors")) << err.back();
}

TEST(Options, FailFastStopsAtTheFirstFailureAndSkipsTheRest) {
  {
    ScratchDir dir;
    expect_stopped_after(dir, run_stopping_batch(dir, 3, 3, {"--fail-fast"}), 1, 6);
  }
  {
    // Without it, every file is done.
    ScratchDir dir;
    const RunResult r = run_stopping_batch(dir, 3, 3, {});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(list_files(dir / "out"),
              (std::vector<std::string>{"b_good1.jpg", "b_good2.jpg", "b_good3.jpg"}));
  }
}

TEST(Options, MaxErrorsStopsAfterNFailures) {
  {
    ScratchDir dir;
    expect_stopped_after(dir, run_stopping_batch(dir, 3, 3, {"--max-errors", "2"}), 2, 6);
  }
  {
    // 3 failures stay under --max-errors 4: everything is done.
    ScratchDir dir;
    const RunResult r = run_stopping_batch(dir, 3, 3, {"--max-errors", "4"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const json report = parse_json(read_text(dir / "report.json"));
    EXPECT_EQ(report["summary"]["ok"], 3);
    EXPECT_EQ(report["summary"]["failed"], 3);
    EXPECT_EQ(report["summary"]["skipped"], 0);
  }
}

// --log-json has one object for every file of a stopped run too: the files
// never read come last, as the report shows them (skipped, cancelled).
TEST(Options, LogJsonListsTheFilesAStoppedRunNeverRead) {
  ScratchDir dir;
  const RunResult r = run_stopping_batch(dir, 3, 3, {"--max-errors", "2", "--log-json"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json report = parse_json(read_text(dir / "report.json"));
  std::map<std::string, json> by_input;
  for (const auto& f : report["files"]) by_input[f["input"]] = f;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  std::set<std::string> seen;
  std::size_t cancelled = 0;
  for (const auto& line : lines) {
    json f = parse_json(line);
    seen.insert(f["input"]);
    f.erase("timings_ms");
    json expected = by_input[f["input"]];
    expected.erase("timings_ms");
    EXPECT_EQ(f, expected);
    if (f.contains("error") && f["error"]["code"] == "cancelled") ++cancelled;
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(cancelled, 4u);
}

TEST(Options, NoFsyncWritesTheSameBytes) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().alpha, in / "b.png");
  std::vector<std::string> files;
  for (const char* mode : {"default", "nofsync"}) {
    const auto out = dir / mode;
    std::vector<std::string> args = {"-s", "120",  "-f", "keep",       "-f",       "webp",
                                     "-f", "tiff", "-o", out.string(), in.string()};
    if (std::string(mode) == "nofsync") args.insert(args.begin(), "--no-fsync");
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    if (files.empty()) files = list_files(out);
    EXPECT_EQ(list_files(out), files);
  }
  ASSERT_EQ(files.size(), 6u);
  for (const auto& name : files) {
    EXPECT_EQ(read_bytes(dir / "default" / name), read_bytes(dir / "nofsync" / name)) << name;
  }
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
}

TEST(Options, FilesFromFileOneALineOrNulSeparated) {
  ScratchDir dir;
  const std::string odd = "photos/sub/new\nline.jpg";  // only a NUL list can name it
  copy_to(photos().landscape, dir / "photos" / "a.jpg");
  copy_to(photos().portrait, dir / odd);
  copy_to(photos().alpha, dir / "photos" / "b.png");
  copy_to(photos().alpha, dir / "photos" / "not-listed.png");
  {
    std::string list = "photos/a.jpg";
    list.push_back('\0');
    list += odd;
    list.push_back('\0');
    write_text(dir / "list0", list);
    const RunResult r = run_imgflow(
        RunSpec({"--files-from", "list0", "-0", "-s", "50", "-o", "out0"}).in_dir(dir.path()));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    // Outputs keep the relative folders of the listed paths.
    EXPECT_EQ(list_files(dir / "out0"), (std::vector<std::string>{"photos/a.jpg", odd}));
    EXPECT_EQ(decoded_size(dir / "out0" / "photos" / "a.jpg"), cv::Size(50, 31));
    EXPECT_EQ(decoded_size(dir / "out0" / odd), cv::Size(31, 50));
  }
  {
    // One a line (CRLF too), plus an INPUT on the command line.
    write_text(dir / "list.txt", "photos/a.jpg\r\nphotos/b.png\n");
    const RunResult r =
        run_imgflow(RunSpec({"--files-from", "list.txt", "-s", "50", "-o", "out1", "photos/sub"})
                        .in_dir(dir.path()));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(dir / "out1"),
              (std::vector<std::string>{"new\nline.jpg", "photos/a.jpg", "photos/b.png"}));
  }
}

TEST(Options, FilesFromStdinThroughAPipe) {
  ScratchDir dir;
  const auto a = dir / "in" / "a.jpg";
  const auto odd = dir / "in" / "new\nline.jpg";
  copy_to(photos().landscape, a);
  copy_to(photos().portrait, odd);
  {
    const auto out = dir / "out0";
    const CommandResult r = run_command(
        {"/bin/sh", "-c",
         "printf '%s\\0%s\\0' \"$1\" \"$2\" | \"$0\" --files-from - -0 -s 50 --quiet -o \"$3\"",
         imgflow_binary().string(), a.string(), odd.string(), out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    // Absolute paths: outputs named after the file alone.
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"a.jpg", "new\nline.jpg"}));
    EXPECT_EQ(decoded_size(out / "a.jpg"), cv::Size(50, 31));
    EXPECT_EQ(decoded_size(out / "new\nline.jpg"), cv::Size(31, 50));
  }
  {
    const auto out = dir / "out1";
    const CommandResult r = run_command(
        {"/bin/sh", "-c", "printf '%s\\n' \"$1\" | \"$0\" --files-from - -s 50 -o \"$2\"",
         imgflow_binary().string(), a.string(), out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(list_files(out), std::vector<std::string>{"a.jpg"});
  }
}

TEST(Options, SkipExistingSkipsUpToDateOutputsOnly) {
  ScratchDir dir;
  const auto in = dir / "in";
  const auto out = dir / "out";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().alpha, in / "b.png");
  const std::vector<std::string> args = {"--skip-existing", "-s",       "64", "-o",
                                         out.string(),      in.string()};
  {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    ASSERT_EQ(list_files(out), (std::vector<std::string>{"a.jpg", "b.png"}));
  }
  const auto a_time = fs::last_write_time(out / "a.jpg");
  {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 1u) << describe(r);
    EXPECT_TRUE(is_summary_line(err[0], 2, 0, 0, 2)) << err[0];
    EXPECT_EQ(fs::last_write_time(out / "a.jpg"), a_time) << "rewritten";
  }
  {
    // A missing output is redone; the other is still up to date.
    fs::remove(out / "b.png");
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(is_summary_line(lines_of(r.err).back(), 2, 1, 0, 1)) << r.err;
    EXPECT_EQ(decoded_size(out / "b.png"), cv::Size(64, 40));
  }
  {
    // An input newer than its output is redone.
    fs::last_write_time(in / "a.jpg", a_time + std::chrono::seconds(10));
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(is_summary_line(lines_of(r.err).back(), 2, 1, 0, 1)) << r.err;
    EXPECT_NE(fs::last_write_time(out / "a.jpg"), a_time);
  }
}

TEST(Options, NameTemplateSetsTheOutputPath) {
  ScratchDir dir;
  const auto a = dir / "in" / "photo.jpg";
  copy_to(photos().landscape, a);
  {
    const auto out = dir / "out1";
    const RunResult r = run({"--name", "{stem}-{width}x{height}.{format}.{ext}", "-s", "200x", "-f",
                             "jpeg", "-f", "webp", "-o", out.string(), a.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(out),
              (std::vector<std::string>{"photo-200x125.jpeg.jpg", "photo-200x125.webp.webp"}));
    EXPECT_EQ(decoded_size(out / "photo-200x125.jpeg.jpg"), cv::Size(200, 125));
  }
  {
    // The README's example: one folder per size.
    const auto out = dir / "out2";
    const RunResult r = run({"--name", "{size}/{stem}.{ext}", "-s", "100x", "-s", "50%", "-o",
                             out.string(), a.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"100x/photo.jpg", "50pc/photo.jpg"}));
    EXPECT_EQ(decoded_size(out / "100x" / "photo.jpg"), cv::Size(100, 63));
    EXPECT_EQ(decoded_size(out / "50pc" / "photo.jpg"), cv::Size(200, 125));
  }
}

}  // namespace
}  // namespace imgflow::test::option_tests
