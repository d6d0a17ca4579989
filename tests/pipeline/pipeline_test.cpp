// The batch run through the library API: real photos, many files, thread
// settings, bad inputs, cancellation.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "imgflow/imgflow.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

// Writes `count` small real JPEG and PNG files spread over a few subfolders.
std::vector<fs::path> write_small_images(const fs::path& dir, int count) {
  std::vector<fs::path> paths;
  for (int i = 0; i < count; ++i) {
    const cv::Mat pixels =
        test::make_test_pixels(64 + i % 7, 48 + i % 5, 3, static_cast<unsigned>(i));
    char name[64];
    std::snprintf(name, sizeof name, "d%d/img%d.%s", i % 5, i, i % 3 == 0 ? "png" : "jpg");
    const fs::path path = dir / name;
    fs::create_directories(path.parent_path());
    EXPECT_TRUE(cv::imwrite(path.string(), pixels));
    paths.push_back(path);
  }
  return paths;
}

Options options_for(const fs::path& input, const fs::path& output, const char* size) {
  Options options;
  options.inputs = {input};
  options.output_dir = output;
  options.recursive = true;
  if (size) options.sizes = {parse_geometry(size)};
  return options;
}

bool has_temporaries(const fs::path& dir) {
  for (const auto& name : test::list_files(dir)) {
    if (name.find(".imgflow-") != std::string::npos) return true;
  }
  return false;
}

TEST(Pipeline, RealPhotosGiveOneCorrectOutputEach) {
  ScratchDir out;
  const Options options = options_for(test::sample_dir(), out.path(), "800x800");
  const Report report = run(options);
  const auto inputs = test::sample_images();
  ASSERT_EQ(report.files.size(), inputs.size());
  EXPECT_EQ(report.summary.ok, inputs.size());
  EXPECT_EQ(report.summary.failed, 0u);
  std::size_t outputs = 0;
  for (const auto& file : report.files) {
    ASSERT_EQ(file.status, FileStatus::ok) << file.input << ": " << file.message;
    ASSERT_EQ(file.outputs.size(), 1u);
    const auto& o = file.outputs[0];
    const Size expected = fit_inside({file.source.width, file.source.height}, options.sizes[0]);
    EXPECT_EQ(o.width, expected.width) << file.input;
    EXPECT_EQ(o.height, expected.height) << file.input;
    EXPECT_EQ(o.bytes, fs::file_size(o.path));
    // Mirrors the input-relative path.
    const auto relative = file.input.lexically_relative(test::sample_dir());
    EXPECT_EQ(o.path.parent_path(), (out.path() / relative).parent_path());
    const cv::Mat decoded = cv::imread(o.path.string(), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(decoded.empty()) << o.path;
    EXPECT_EQ(decoded.cols, expected.width);
    EXPECT_EQ(decoded.rows, expected.height);
    ++outputs;
  }
  EXPECT_EQ(test::list_files(out.path()).size(), outputs);
}

TEST(Pipeline, FiveHundredFilesAreEachProcessedExactlyOnce) {
  ScratchDir in, out;
  const auto paths = write_small_images(in.path(), 500);
  std::vector<std::size_t> done_sequence;
  std::multiset<std::string> seen;
  std::vector<std::string> reported;
  std::size_t last_total = 0;
  RunCallbacks callbacks;
  callbacks.on_file_done = [&](const FileReport& file, const Progress& progress) {
    seen.insert(file.input.string());  // serialized by the library: no lock needed
    done_sequence.push_back(progress.done);
    // The inputs are listed as the run goes: the total only grows, up to 500,
    // and it is known once the listing is over.
    EXPECT_GE(progress.total, std::max(last_total, progress.done));
    EXPECT_LE(progress.total, 500u);
    if (progress.total_known) {
      EXPECT_EQ(progress.total, 500u);
    }
    last_total = progress.total;
  };
  callbacks.on_file_reported = [&](const FileReport& file) {
    reported.push_back(file.input.string());
  };
  Options options = options_for(in.path(), out.path(), "32x32");
  options.max_in_flight = 3;  // tight back-pressure must not deadlock or drop files
  const Report report = run(options, callbacks);
  EXPECT_EQ(report.summary.total, 500u);
  EXPECT_EQ(report.summary.ok, 500u);
  ASSERT_EQ(seen.size(), 500u);
  for (const auto& p : paths) EXPECT_EQ(seen.count(p.string()), 1u) << p;
  for (std::size_t i = 0; i < done_sequence.size(); ++i) EXPECT_EQ(done_sequence[i], i + 1);
  // on_file_reported: each file once, in planning order, as in the report.
  ASSERT_EQ(reported.size(), 500u);
  for (std::size_t i = 0; i < reported.size(); ++i) {
    EXPECT_EQ(reported[i], report.files[i].input.string());
  }
  EXPECT_TRUE(
      std::is_sorted(report.files.begin(), report.files.end(),
                     [](const FileReport& a, const FileReport& b) { return a.input < b.input; }));
  const auto files = test::list_files(out.path());
  ASSERT_EQ(files.size(), 500u);
  EXPECT_EQ(files.front(), "d0/img0.png");
  for (const auto& f : report.files) {
    ASSERT_EQ(f.outputs.size(), 1u);
    EXPECT_LE(f.outputs[0].width, 32);
    EXPECT_LE(f.outputs[0].height, 32);
    EXPECT_EQ(std::max(f.outputs[0].width, f.outputs[0].height), 32);
  }
}

// The README's library example for millions of files: no reports kept in
// memory, each streamed into the JSON report in planning order.
TEST(Pipeline, ReportsStreamIntoAReportWriterWithoutBeingKept) {
  ScratchDir in, out, reports;
  write_small_images(in.path(), 60);
  test::write_text(in / "bad.jpg", "not an image");
  Options options = options_for(in.path(), out.path(), "16x16");
  const auto path = reports / "report.json";
  ReportWriter writer(path);
  RunCallbacks callbacks;
  callbacks.keep_files = false;
  callbacks.on_file_reported = [&](const FileReport& f) { writer.add(f); };
  const Report report = run(options, callbacks);
  writer.finish(report.summary);
  EXPECT_TRUE(report.files.empty());
  EXPECT_EQ(report.summary.total, 61u);
  EXPECT_EQ(report.summary.failed, 1u);
  const auto doc = test::parse_json(test::read_text(path));
  ASSERT_EQ(doc["files"].size(), 61u);
  EXPECT_EQ(doc["summary"]["ok"], 60);
  EXPECT_EQ(doc["files"][0]["input"], (in / "bad.jpg").string());  // sorted: "bad" < "d0"
  EXPECT_EQ(doc["files"][0]["error"]["code"], "unknown-format");
  for (std::size_t i = 1; i < doc["files"].size(); ++i) {
    EXPECT_EQ(doc["files"][i]["status"], "ok");
    EXPECT_LT(std::filesystem::path(doc["files"][i - 1]["input"].get<std::string>()),
              std::filesystem::path(doc["files"][i]["input"].get<std::string>()));
  }
}

// Runs 40 generated images and the sample photos (-s 300x300) with the
// default options and with `change` applied: the outputs must be the same,
// byte for byte.
void expect_same_outputs_as_default(const std::function<void(Options&)>& change) {
  ScratchDir in, out_default, out_changed;
  write_small_images(in.path(), 40);
  for (const auto& p : test::sample_images()) {
    fs::copy_file(p, in / p.filename(), fs::copy_options::overwrite_existing);
  }
  const Report a = run(options_for(in.path(), out_default.path(), "300x300"));
  Options changed = options_for(in.path(), out_changed.path(), "300x300");
  change(changed);
  const Report b = run(changed);
  EXPECT_EQ(a.summary.ok, b.summary.ok);
  EXPECT_EQ(b.summary.failed, 0u);
  const auto files = test::list_files(out_default.path());
  ASSERT_EQ(files, test::list_files(out_changed.path()));
  for (const auto& f : files) {
    EXPECT_EQ(test::read_bytes(out_default / f), test::read_bytes(out_changed / f)) << f;
  }
}

TEST(Pipeline, OneThreadEachGivesTheSameOutputs) {
  expect_same_outputs_as_default([](Options& o) {
    o.threads = 1;
    o.readers = 1;
    o.writers = 1;
  });
}

// A --max-memory smaller than any file lets files in one at a time.
TEST(Pipeline, TinyMemoryBudgetGivesTheSameOutputs) {
  expect_same_outputs_as_default([](Options& o) { o.max_memory = 1; });
}

TEST(Pipeline, BadFilesFailAloneAndLeaveNothingBehind) {
  ScratchDir in, out;
  const auto bad = test::write_bad_inputs(in.path());
  fs::copy_file(test::sample_jpeg(), in / "good.jpg");
  write_small_images(in / "more", 3);
  const Report report = run(options_for(in.path(), out.path(), "200x200"));
  std::map<std::string, ErrorCode> codes;
  for (const auto& f : report.files) {
    if (f.status == FileStatus::failed) codes[f.input.filename().string()] = f.error;
  }
  EXPECT_EQ(codes,
            (std::map<std::string, ErrorCode>{{"bomb.png", ErrorCode::too_many_pixels},
                                              {"empty.jpg", ErrorCode::empty_input},
                                              {"text.jpg", ErrorCode::unknown_format},
                                              {"truncated.jpg", ErrorCode::truncated_input}}));
  EXPECT_EQ(report.summary.ok, 4u);
  EXPECT_EQ(report.summary.failed, 4u);
  // Only the good files' outputs: no partial output, no temporary file.
  EXPECT_EQ(test::list_files(out.path()),
            (std::vector<std::string>{"good.jpg", "more/d0/img0.png", "more/d1/img1.jpg",
                                      "more/d2/img2.jpg"}));
}

TEST(Pipeline, MultipleSizesFromOneRun) {
  ScratchDir out;
  Options options = options_for(test::sample_jpeg(), out.path(), nullptr);
  options.sizes = {parse_geometry("320x"), parse_geometry("640x"), parse_geometry("x100")};
  options.formats = {OutputFormat::webp};
  const Report report = run(options);
  ASSERT_EQ(report.files.size(), 1u);
  const auto& file = report.files[0];
  ASSERT_EQ(file.outputs.size(), 3u);
  const auto stem = test::sample_jpeg().stem().string();
  EXPECT_EQ(file.outputs[0].path, out / (stem + "_320x.webp"));
  EXPECT_EQ(file.outputs[0].width, 320);
  EXPECT_EQ(file.outputs[1].width, 640);
  EXPECT_EQ(file.outputs[2].height, 100);
  for (const auto& o : file.outputs) {
    const cv::Mat m = cv::imread(o.path.string());
    EXPECT_EQ(m.cols, o.width);
    EXPECT_EQ(m.rows, o.height);
  }
}

TEST(Pipeline, ResponsiveSetFromOneDecode) {
  ScratchDir out;
  Options options = options_for(test::sample_jpeg(), out.path(), nullptr);
  options.sizes = {parse_geometry("320x"), parse_geometry("640x"), parse_geometry("1280x")};
  options.formats = {OutputFormat::jpeg, OutputFormat::webp};
  const std::uint64_t before = decode_count();
  const Report report = run(options);
  EXPECT_EQ(decode_count() - before, 1u);  // six outputs, one decode
  ASSERT_EQ(report.files.at(0).outputs.size(), 6u);
  const auto stem = test::sample_jpeg().stem().string();
  std::vector<std::string> names;
  for (const auto& o : report.files[0].outputs) names.push_back(o.path.filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{stem + "_320x.jpg", stem + "_320x.webp",
                                             stem + "_640x.jpg", stem + "_640x.webp",
                                             stem + "_1280x.jpg", stem + "_1280x.webp"}));
  for (const auto& o : report.files[0].outputs) {
    const cv::Mat m = cv::imread(o.path.string());
    EXPECT_EQ(m.cols, o.width) << o.path;
    EXPECT_EQ(m.rows, o.height) << o.path;
  }
  EXPECT_EQ(report.files[0].outputs[4].width, 1280);
}

TEST(Pipeline, NameTemplateWithPixelSize) {
  ScratchDir out;
  Options options = options_for(test::sample_jpeg(), out.path(), "200x200");
  options.name = "thumbs/{stem}-{width}x{height}.{ext}";
  const Report report = run(options);
  const auto& o = report.files.at(0).outputs.at(0);
  EXPECT_EQ(o.path, out / ("thumbs/" + test::sample_jpeg().stem().string() + "-" +
                           std::to_string(o.width) + "x" + std::to_string(o.height) + ".jpg"));
  EXPECT_TRUE(std::filesystem::exists(o.path));
}

TEST(Pipeline, NoSizeKeepsDimensions) {
  ScratchDir in, out;
  write_small_images(in.path(), 3);  // 64x48, 65x49, 66x50
  const Report report = run(options_for(in.path(), out.path(), nullptr));
  ASSERT_EQ(report.files.size(), 3u);
  EXPECT_EQ(report.summary.ok, 3u);
  for (const auto& f : report.files) {
    ASSERT_EQ(f.status, FileStatus::ok) << f.message;
    ASSERT_EQ(f.outputs.size(), 1u);
    const int i = std::stoi(f.input.stem().string().substr(3));  // "img<i>"
    EXPECT_EQ(f.source.width, 64 + i);
    EXPECT_EQ(f.source.height, 48 + i);
    EXPECT_EQ(f.outputs[0].width, f.source.width);
    EXPECT_EQ(f.outputs[0].height, f.source.height);
    const cv::Mat written = cv::imread(f.outputs[0].path.string(), cv::IMREAD_UNCHANGED);
    EXPECT_EQ(written.size(), cv::Size(64 + i, 48 + i)) << f.outputs[0].path;
  }
}

TEST(Pipeline, CancellationStopsReadingAndReportsTheRestAsSkipped) {
  ScratchDir in, out;
  write_small_images(in.path(), 200);
  Cancellation cancellation;
  RunCallbacks callbacks;
  callbacks.cancellation = &cancellation;
  callbacks.on_file_done = [&](const FileReport&, const Progress& p) {
    if (p.done == 10) cancellation.cancel();
  };
  Options options = options_for(in.path(), out.path(), "16x16");
  options.threads = 1;
  options.readers = 1;
  options.max_in_flight = 4;
  const Report report = run(options, callbacks);
  EXPECT_TRUE(report.summary.cancelled);
  EXPECT_GE(report.summary.ok, 10u);
  EXPECT_LE(report.summary.ok, 10u + 4u);  // at most the in-flight files finish after cancel
  EXPECT_EQ(report.summary.ok + report.summary.failed + report.summary.skipped, 200u);
  for (const auto& f : report.files) {
    if (f.status == FileStatus::skipped) {
      EXPECT_EQ(f.error, ErrorCode::cancelled);
    }
  }
  EXPECT_EQ(test::list_files(out.path()).size(), report.summary.ok);
  EXPECT_FALSE(has_temporaries(out.path()));
}

// The output folder removed during the run (an unmounted volume, a cleanup
// job): the run does not quietly create it again; the first file to find it
// gone fails with output-unavailable, the run stops, the rest are skipped.
TEST(Pipeline, OutputFolderRemovedDuringTheRunStopsIt) {
  ScratchDir in, dir;
  write_small_images(in.path(), 200);
  const fs::path out = dir / "out";
  RunCallbacks callbacks;
  callbacks.on_file_done = [&](const FileReport&, const Progress& p) {
    if (p.done == 10) fs::remove_all(out);
  };
  Options options = options_for(in.path(), out, "16x16");
  options.threads = 1;
  options.readers = 1;
  options.writers = 1;
  options.max_in_flight = 4;
  const Report report = run(options, callbacks);
  EXPECT_EQ(report.summary.stopped_on_fault, ErrorCode::output_unavailable);
  EXPECT_TRUE(test::contains(report.summary.fault_message, "is gone"))
      << report.summary.fault_message;
  EXPECT_FALSE(report.summary.cancelled);
  EXPECT_FALSE(report.summary.stopped_on_errors);
  EXPECT_EQ(report.summary.ok, 10u);
  EXPECT_EQ(report.summary.failed, 1u);  // one writer: only the first file finds it gone
  EXPECT_EQ(report.summary.skipped, 189u);
  ASSERT_EQ(report.files.size(), 200u);
  // Files may finish out of planning order (the graph's tasks), so by status:
  std::size_t unavailable = 0;
  for (const auto& f : report.files) {
    if (f.status == FileStatus::failed) {
      EXPECT_EQ(f.error, ErrorCode::output_unavailable) << f.input;
      ++unavailable;
    } else if (f.status == FileStatus::skipped) {
      EXPECT_EQ(f.error, ErrorCode::cancelled) << f.input;
      EXPECT_TRUE(test::contains(f.message, "the run stopped (output-unavailable: ")) << f.message;
    }
  }
  EXPECT_EQ(unavailable, 1u);
  EXPECT_FALSE(fs::exists(out));
}

TEST(Pipeline, InvalidOptionsAndUnusableOutputThrowBeforeWriting) {
  ScratchDir dir;
  Options options;
  try {
    run(options);
    ADD_FAILURE() << "ran without inputs";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage);
  }
  test::write_text(dir / "file", "x");
  options = options_for(test::sample_jpeg(), dir / "file/out", "10x10");
  try {
    run(options);
    ADD_FAILURE() << "output under a regular file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::setup);
  }
}

}  // namespace
}  // namespace imgflow
