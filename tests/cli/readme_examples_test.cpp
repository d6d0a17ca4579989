// The README's examples are tests (issue 9): every `imgflow ...` command line
// in its ```sh blocks and the `command:` of its YAML Job is read from README.md
// at run time and run for real, in a scratch directory laid out as the example
// expects (copies of sample_images/), through /bin/sh with the built binary
// first on PATH (/data/... mapped into the scratch directory by textual
// substitution). Each example has a specific check keyed by its exact text
// that asserts what its comment promises; a line without one still runs and
// must write images, and a test names it so that it gets a check.
//
// Helpers: readme_helpers.hpp; the extractor's own tests: readme_extraction_test.cpp.
#include <gtest/gtest.h>

#include <numeric>

#include "cli/readme_helpers.hpp"

namespace imgflow::test::readme_tests {
namespace {

// ---------------------------------------------------------------------------
// The specific checks, one per example, keyed by the example's exact text
// ---------------------------------------------------------------------------

// A scratch directory with every input laid out (the working directory of
// every run), and the example's line with /data mapped into it.
struct Stage {
  ScratchDir scratch;
  fs::path root;
  Stage() : root(scratch.path()) { lay_out_inputs(root); }
  CommandResult run(const std::string& line) { return run_shell(line, root); }
};

// `path` is a decodable image of `format`, exactly `size`.
void expect_image(const fs::path& path, const std::string& format, cv::Size size) {
  EXPECT_EQ(sniff_format(path), format) << path;
  const cv::Mat m = decode(path);
  ASSERT_FALSE(m.empty()) << path << " does not decode";
  EXPECT_EQ(m.size(), size) << path;
}

// Outputs keep the inputs' relative paths and formats and fit `bw`x`bh`.
void expect_fitted_mirror(const std::vector<Input>& inputs, const fs::path& out, int bw, int bh,
                          const std::string& prefix = {}) {
  std::vector<std::string> expected;
  for (const auto& i : inputs) expected.push_back(prefix + i.rel);
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(list_files(out), expected);
  for (const auto& i : inputs) {
    expect_image(out / (prefix + i.rel), kept_format(i.format), fit_inside(i.size, bw, bh));
  }
}

// imgflow -r -s 800x800 -o thumbs/ photos/
// "a gallery: every photo fits in 800x800"
void check_gallery(const Example& e) {
  Stage s;
  const auto r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
  const auto inputs = inputs_in(s.root / "photos", true);
  ASSERT_GT(inputs.size(), 4u);
  expect_fitted_mirror(inputs, s.root / "thumbs", 800, 800);
  expect_summary(r.err, inputs.size(), inputs.size(), 0);
}

// imgflow -s 320x -s 640x -s 1280x -f webp -o web/ a.jpg
// "a responsive set from one decode: a_320x.webp, a_640x.webp, a_1280x.webp"
void check_responsive_set(const Example& e) {
  Stage s;
  const cv::Size source = upright_size(s.root / "a.jpg");
  ASSERT_GE(source.width, 1280) << "a.jpg must be wider than the largest size";
  const auto r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
  const fs::path out = s.root / "web";
  ASSERT_EQ(list_files(out),
            (std::vector<std::string>{"a_1280x.webp", "a_320x.webp", "a_640x.webp"}));
  for (int width : {320, 640, 1280}) {
    const cv::Size size = fit_inside(source, width, 0);
    EXPECT_EQ(size.width, width);
    expect_image(out / ("a_" + std::to_string(width) + "x.webp"), "webp", size);
  }
}

// imgflow -r -s x600 -q 80 --report report.json -o out/ in/
// "a batch job with a machine-readable report"
void check_batch_report(const Example& e) {
  Stage s;
  const auto r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
  const auto inputs = inputs_in(s.root / "in", true);
  expect_fitted_mirror(inputs, s.root / "out", 0, 600);

  const json report = parse_json(read_text(s.root / "report.json"));
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report.value("version", 0), 1);
  const json& summary = report["summary"];
  EXPECT_EQ(summary["total"], inputs.size());
  EXPECT_EQ(summary["ok"], inputs.size());
  EXPECT_EQ(summary["failed"], 0);
  EXPECT_EQ(summary["skipped"], 0);
  ASSERT_TRUE(report["files"].is_array());
  ASSERT_EQ(report["files"].size(), inputs.size()) << report.dump(1);
  std::map<std::string, json> by_input;
  for (const auto& f : report["files"]) {
    const std::string rel = fs::path(f["input"].get<std::string>()).lexically_relative("in");
    EXPECT_TRUE(by_input.emplace(rel, f).second) << "twice in the report: " << rel;
  }
  for (const auto& i : inputs) {
    SCOPED_TRACE(i.rel);
    ASSERT_TRUE(by_input.count(i.rel)) << "not in the report";
    const json& f = by_input[i.rel];
    EXPECT_EQ(f["status"], "ok");
    EXPECT_EQ(f["source"]["width"], i.size.width);
    EXPECT_EQ(f["source"]["height"], i.size.height);
    ASSERT_EQ(f["outputs"].size(), 1u);
    const json& o = f["outputs"][0];
    EXPECT_EQ(fs::path(o["path"].get<std::string>()).lexically_normal(), fs::path("out") / i.rel);
    const cv::Size size = fit_inside(i.size, 0, 600);
    EXPECT_EQ(o["width"], size.width);
    EXPECT_EQ(o["height"], size.height);
    EXPECT_EQ(o["bytes"], fs::file_size(s.root / "out" / i.rel));
  }
}

// imgflow -s 300x300 --fit cover --gravity attention -o avatars/ people/
// "square crops that keep the subject"
void check_square_crops(const Example& e) {
  Stage s;
  const auto r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
  const auto inputs = inputs_in(s.root / "people", false);
  ASSERT_EQ(list_files(s.root / "avatars"), rels_of(inputs));
  for (const auto& i : inputs) {
    expect_image(s.root / "avatars" / i.rel, kept_format(i.format), {300, 300});
  }
}

// imgflow -s 1200x630 --fit contain --background '#202020' -o cards/ art/
// "letterboxed social cards": exactly 1200x630, the photo fitted inside and
// centred, the rest #202020.
void check_social_cards(const Example& e) {
  Stage s;
  const auto r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
  const auto inputs = inputs_in(s.root / "art", false);
  ASSERT_EQ(list_files(s.root / "cards"), rels_of(inputs));
  for (const auto& i : inputs) {
    SCOPED_TRACE(i.rel);
    const fs::path out = s.root / "cards" / i.rel;
    expect_image(out, kept_format(i.format), {1200, 630});
    const cv::Mat m = decode(out);
    if (m.size() != cv::Size(1200, 630)) continue;
    ASSERT_EQ(m.depth(), CV_8U);
    const cv::Size fitted = fit_inside(i.size, 1200, 630);
    const cv::Rect content((1200 - fitted.width) / 2, (630 - fitted.height) / 2, fitted.width,
                           fitted.height);
    // Lossy codecs smear the photo's edge over the blocks next to it (16x16
    // JPEG MCUs, WebP macroblocks plus their deblocking filter); PNG is exact
    // (1 px for either way of rounding the centring).
    const int margin = kept_format(i.format) == "png" ? 1 : 24;
    const cv::Rect near_content(content.x - margin, content.y - margin, content.width + 2 * margin,
                                content.height + 2 * margin);
    std::size_t checked = 0, wrong = 0;
    cv::Point first_wrong;
    for (int y = 0; y < m.rows; ++y) {
      for (int x = 0; x < m.cols; ++x) {
        if (near_content.contains({x, y})) continue;
        ++checked;
        const std::uint8_t* px = m.ptr<std::uint8_t>(y) + x * m.channels();
        bool ok = true;
        for (int c = 0; c < std::min(m.channels(), 3); ++c) ok = ok && std::abs(px[c] - 0x20) <= 2;
        if (m.channels() == 4) ok = ok && px[3] >= 253;
        if (!ok && wrong++ == 0) first_wrong = {x, y};
      }
    }
    EXPECT_GT(checked, 1000u) << "no padding to check around " << fitted;
    EXPECT_EQ(wrong, 0u) << wrong << " of " << checked
                         << " padding pixels are not #202020, first at " << first_wrong;
  }
}

// imgflow -s 50% -o half/ scans/
// "half size; -s 2000000@: at most 2 megapixels" (run as the same line with
// the comment's -s N@ in place of -s 50%)
void check_half_and_megapixels(const Example& e) {
  {
    Stage s;
    const auto r = s.run(e.command);
    ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
    const auto inputs = inputs_in(s.root / "scans", false);
    ASSERT_EQ(list_files(s.root / "half"), rels_of(inputs));
    for (const auto& i : inputs) {
      SCOPED_TRACE(i.rel);
      const cv::Mat m = decode(s.root / "half" / i.rel);
      ASSERT_FALSE(m.empty());
      EXPECT_EQ(sniff_format(s.root / "half" / i.rel), kept_format(i.format));
      EXPECT_LE(std::abs(2 * m.cols - i.size.width), 2) << m.size() << " from " << i.size;
      EXPECT_LE(std::abs(2 * m.rows - i.size.height), 2) << m.size() << " from " << i.size;
    }
  }
  std::smatch match;
  ASSERT_TRUE(std::regex_search(e.comment, match, std::regex("-s ([0-9]+)@")))
      << "the comment no longer promises -s N@: " << e.comment;
  const std::uint64_t limit = std::stoull(match[1]);
  ASSERT_NE(e.command.find("-s 50%"), std::string::npos);
  std::string line = e.command;
  line.replace(line.find("-s 50%"), 6, "-s " + std::to_string(limit) + "@");
  Stage s;
  const auto r = s.run(line);
  ASSERT_EQ(r.exit_code, 0) << describe(line, r);
  const auto inputs = inputs_in(s.root / "scans", false);
  ASSERT_EQ(list_files(s.root / "half"), rels_of(inputs));
  std::size_t shrunk = 0;
  for (const auto& i : inputs) {
    SCOPED_TRACE(line + ": " + i.rel);
    const cv::Mat m = decode(s.root / "half" / i.rel);
    ASSERT_FALSE(m.empty());
    const std::uint64_t area = std::uint64_t(i.size.width) * std::uint64_t(i.size.height);
    if (area <= limit) {  // never enlarged
      EXPECT_EQ(m.size(), i.size);
      continue;
    }
    ++shrunk;
    const std::uint64_t w = m.cols, h = m.rows;
    EXPECT_LE(w * h, limit) << m.size();
    EXPECT_GT((w + 1) * (h + 1), limit) << m.size() << " is more than a row and column short";
    const double scale = std::sqrt(double(limit) / double(area));
    EXPECT_LE(std::abs(double(w) - i.size.width * scale), 1.0) << m.size() << " from " << i.size;
    EXPECT_LE(std::abs(double(h) - i.size.height * scale), 1.0) << m.size() << " from " << i.size;
  }
  EXPECT_GE(shrunk, 2u) << "too few inputs above " << limit << " pixels to test the limit";
}

// imgflow -s 640x -f webp --name '{size}/{stem}.{ext}' -o web/ photos/
// "web/640x/<stem>.webp"
void check_name_template(const Example& e) {
  Stage s;
  const auto r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
  const auto inputs = inputs_in(s.root / "photos", false);  // no -r: the top level only
  ASSERT_FALSE(inputs.empty());
  std::vector<std::string> expected;
  for (const auto& i : inputs)
    expected.push_back("640x/" + fs::path(i.rel).stem().string() + ".webp");
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(list_files(s.root / "web"), expected);
  for (const auto& i : inputs) {
    expect_image(s.root / "web/640x" / (fs::path(i.rel).stem().string() + ".webp"), "webp",
                 fit_inside(i.size, 640, 0));
  }
}

// find photos -name '*.jpg' -print0 | imgflow --files-from - -0 -s 800 -o thumbs/
// "outputs keep the relative folders": thumbs/photos/<sub>/<name>.jpg
void check_find_pipe(const Example& e) {
  Stage s;
  const auto r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
  std::vector<Input> jpegs;
  for (const auto& i : inputs_in(s.root / "photos", true)) {
    if (fs::path(i.rel).extension() == ".jpg") jpegs.push_back(i);
  }
  ASSERT_GT(jpegs.size(), 3u);
  ASSERT_TRUE(std::any_of(jpegs.begin(), jpegs.end(), [](const Input& i) {
    return i.rel.find('/') != std::string::npos;
  })) << "no JPEG in a subfolder of photos/";
  expect_fitted_mirror(jpegs, s.root / "thumbs", 800, 800, "photos/");
  expect_summary(r.err, jpegs.size(), jpegs.size(), 0);
}

// imgflow -r -s 800 --skip-existing -o thumbs/ photos/
// "after a crash or kill -9: completes the set": after a full run, one output
// deleted and another given an older time (still newer than its input), the
// same line writes exactly the missing one.
void check_resume(const Example& e) {
  Stage s;
  const auto inputs = inputs_in(s.root / "photos", true);
  ASSERT_GE(inputs.size(), 3u);
  const auto now = fs::file_time_type::clock::now();
  for (const auto& i : inputs) fs::last_write_time(i.path, now - std::chrono::hours(48));

  auto r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command, r);
  const fs::path out = s.root / "thumbs";
  expect_fitted_mirror(inputs, out, 800, 800);

  const std::string deleted = inputs[0].rel, aged = inputs[1].rel;
  fs::remove(out / deleted);
  fs::last_write_time(out / aged, now - std::chrono::hours(24));
  const auto before = stamps_below(out);

  r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << describe(e.command + " (again)", r);
  expect_summary(r.err, inputs.size(), 1, inputs.size() - 1);
  expect_fitted_mirror(inputs, out, 800, 800);
  const auto after = stamps_below(out);
  for (const auto& [rel, stamp] : before) {
    ASSERT_TRUE(after.count(rel)) << rel;
    EXPECT_EQ(after.at(rel), stamp) << rel << " was rewritten";
  }
  EXPECT_TRUE(after.count(deleted)) << deleted << " was not written again";
}

// One task of a job array: what it wrote and what it said.
struct TaskRun {
  CommandResult result;
  std::string what;  ///< for messages
};

// Runs `tasks` tasks one after another (each `run_task(index)`) into
// `out_dir` and checks the promise of a job array: every task exits 0 and
// only adds files (nothing written twice), the tasks together write one
// output per input, fitted into 800x800, and the work is spread (two or more
// tasks did some). `check_task(index, written)` checks a task's own report.
void check_job_array(const std::vector<Input>& inputs, const fs::path& out_dir, int tasks,
                     const std::function<TaskRun(int)>& run_task,
                     const std::function<void(int, const std::set<std::string>&)>& check_task) {
  std::map<std::string, Stamp> so_far;
  int busy_tasks = 0;
  for (int task = 0; task < tasks; ++task) {
    const TaskRun t = run_task(task);
    SCOPED_TRACE(t.what);
    ASSERT_EQ(t.result.exit_code, 0) << describe(t.what, t.result);
    const auto now = stamps_below(out_dir);
    for (const auto& [rel, stamp] : so_far) {
      ASSERT_TRUE(now.count(rel)) << rel << " disappeared";
      EXPECT_EQ(now.at(rel), stamp) << rel << " was written again by another task";
    }
    std::set<std::string> written;
    for (const auto& [rel, stamp] : now) {
      if (!so_far.count(rel)) written.insert(rel);
    }
    expect_summary(t.result.err, written.size(), written.size(), 0);
    check_task(task, written);
    busy_tasks += written.empty() ? 0 : 1;
    so_far = now;
  }
  expect_fitted_mirror(inputs, out_dir, 800, 800);
  EXPECT_GE(busy_tasks, 2) << "one task did all the work: the shares are not split";
}

// A shard's --report: every file it names is ok, was done by no other shard
// (`reported` collects them across shards) and wrote exactly `written`.
void check_shard_report(const fs::path& report_path, const fs::path& photos,
                        const fs::path& out_dir, const std::set<std::string>& written,
                        std::set<std::string>& reported) {
  ASSERT_TRUE(fs::exists(report_path)) << report_path;
  const json report = parse_json(read_text(report_path));
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report.value("version", 0), 1);
  EXPECT_EQ(report["summary"]["total"], written.size());
  EXPECT_EQ(report["summary"]["ok"], written.size());
  EXPECT_EQ(report["summary"]["failed"], 0);
  ASSERT_TRUE(report["files"].is_array());
  std::set<std::string> outputs;
  for (const auto& f : report["files"]) {
    EXPECT_EQ(f["status"], "ok") << f.dump();
    const std::string input =
        fs::path(f["input"].get<std::string>()).lexically_relative(photos).string();
    EXPECT_TRUE(reported.insert(input).second) << input << " was done by two tasks";
    for (const auto& o : f["outputs"]) {
      outputs.insert(fs::path(o["path"].get<std::string>()).lexically_relative(out_dir).string());
    }
  }
  EXPECT_EQ(outputs, written);
}

// `imgflow merge-reports` over every report in `reports`: exit 0, shards 1..N.
void expect_merge_complete(const fs::path& root, const fs::path& reports, int shards,
                           std::size_t inputs) {
  std::string line = "imgflow merge-reports -o merged.json";
  for (const auto& name : list_files(reports)) line += " '" + (reports / name).string() + "'";
  const CommandResult r = run_shell(line, root);
  ASSERT_EQ(r.exit_code, 0) << describe(line, r);
  const json merged = parse_json(read_text(root / "merged.json"));
  std::vector<int> all(static_cast<std::size_t>(shards));
  std::iota(all.begin(), all.end(), 1);
  EXPECT_EQ(merged["merge"]["shards_present"], json(all));
  EXPECT_EQ(merged["merge"]["complete"], true);
  EXPECT_EQ(merged["summary"]["ok"], inputs);
}

// The variables Slurm sets for task `id` of the array `first`-`last`.
std::vector<std::string> slurm_task_env(int id, int first, int last, int cpus) {
  return {"SLURM_ARRAY_TASK_ID=" + std::to_string(id),
          "SLURM_ARRAY_TASK_MIN=" + std::to_string(first),
          "SLURM_ARRAY_TASK_MAX=" + std::to_string(last),
          "SLURM_ARRAY_TASK_COUNT=" + std::to_string(last - first + 1),
          "SLURM_CPUS_PER_TASK=" + std::to_string(cpus)};
}

// One array task of a job-array script: its variables, the script's
// arguments (sbatch SCRIPT ARGS), what to call it, and the number in the name
// of its report (reports/<report>.json).
struct SlurmTask {
  std::vector<std::string> env;
  std::string arguments;
  std::string what;
  int report = 0;
};

// Runs a job-array script (/data mapped) as Slurm runs it, the whole script
// by bash in the submit directory, for each of `shards` tasks; checks each
// task's report, that every input is named by exactly one, and that
// merge-reports finds the job complete.
void check_slurm_tasks(std::string script, int shards,
                       const std::function<SlurmTask(int)>& task_of) {
  Stage s;
  script = map_absolute_paths(script, s.root);
  const auto inputs = inputs_in(s.root / "data/photos", true);
  const fs::path out_dir = s.root / "data/thumbs";
  std::set<std::string> reported;
  check_job_array(
      inputs, out_dir, shards,
      [&](int index) {
        const SlurmTask t = task_of(index);
        return TaskRun{
            run_shell("set -- " + t.arguments + "\n" + script, s.root, t.env, "/bin/bash"), t.what};
      },
      [&](int index, const std::set<std::string>& written) {
        check_shard_report(s.root / "reports" / (std::to_string(task_of(index).report) + ".json"),
                           s.root / "data/photos", out_dir, written, reported);
      });
  EXPECT_EQ(reported.size(), inputs.size()) << "the reports together do not name every input";
  expect_merge_complete(s.root, s.root / "reports", shards, inputs.size());
}

// The Slurm job-array script, once per array task with the variables Slurm
// sets (from the script's own #SBATCH --array and --cpus-per-task).
void check_slurm_array(const Example& e) {
  int first = -1, last = -1, cpus = 1;
  std::string script;
  for (const auto& l : e.block) {
    std::smatch m;
    if (std::regex_match(l, m, std::regex(R"(#SBATCH\s+--array=([0-9]+)-([0-9]+)\s*)"))) {
      first = std::stoi(m[1]);
      last = std::stoi(m[2]);
    } else if (std::regex_match(l, m, std::regex(R"(#SBATCH\s+--cpus-per-task=([0-9]+)\s*)"))) {
      cpus = std::stoi(m[1]);
    }
    script += l + "\n";
  }
  ASSERT_GE(first, 0) << "no #SBATCH --array=A-B in the script";
  ASSERT_GT(last, first);
  check_slurm_tasks(script, last - first + 1, [&](int index) {
    const int id = first + index;
    return SlurmTask{slurm_task_env(id, first, last, cpus), "",
                     "array task " + std::to_string(id) + " of the job-array script", id};
  });
}

// The script for more shards than one array holds (N = submissions x array
// size), for every task of every submission (sbatch SCRIPT OFFSET, OFFSET 0,
// A, 2A, ...). Scaled by textual substitution to arrays of 4 tasks and 12
// shards, so that it runs 12 times rather than 3,000; the script's
// arithmetic is unchanged.
void check_slurm_offset_arrays(const Example& e) {
  std::string script;
  for (const auto& l : e.block) script += l + "\n";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(script, m, std::regex(R"(#SBATCH\s+--array=0-([0-9]+)\n)")));
  const int array_size = std::stoi(m[1]) + 1;
  ASSERT_TRUE(std::regex_search(script, m, std::regex(R"re(--shard "\$shard/([0-9]+)")re")));
  const int shards = std::stoi(m[1]);
  ASSERT_GT(shards, array_size) << "the script is for more shards than one array holds";
  ASSERT_EQ(shards % array_size, 0) << "N is not a whole number of arrays";
  const int submissions = shards / array_size;
  constexpr int kTasks = 4;  // per array, in the scaled run
  script = std::regex_replace(script, std::regex("--array=0-" + std::to_string(array_size - 1)),
                              "--array=0-" + std::to_string(kTasks - 1));
  script = std::regex_replace(script, std::regex("/" + std::to_string(shards) + "\""),
                              "/" + std::to_string(submissions * kTasks) + "\"");
  check_slurm_tasks(script, submissions * kTasks, [&](int index) {
    const int offset = index / kTasks * kTasks, id = index % kTasks;
    return SlurmTask{slurm_task_env(id, 0, kTasks - 1, 1), std::to_string(offset),
                     "task " + std::to_string(id) + " of the array submitted with offset " +
                         std::to_string(offset),
                     index + 1};
  });
}

// imgflow merge-reports -o report.json reports/*.json: after three shards
// wrote reports/1..3.json, one report of every input once, exit 0; without
// shard 2, exit 1 and the missing shard named.
void check_merge_reports(const Example& e) {
  Stage s;
  const auto inputs = inputs_in(s.root / "photos", true);
  for (int k = 1; k <= 3; ++k) {
    const std::string k_of_3 = std::to_string(k);
    const CommandResult shard = s.run("imgflow --quiet -r -s 64 --shard " + k_of_3 +
                                      "/3 --report reports/" + k_of_3 + ".json -o thumbs photos");
    ASSERT_EQ(shard.exit_code, 0) << shard.err;
  }
  const CommandResult r = s.run(e.command);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json merged = parse_json(read_text(s.root / "report.json"));
  ASSERT_TRUE(merged.is_object());
  EXPECT_EQ(merged["summary"]["total"], inputs.size());
  EXPECT_EQ(merged["summary"]["ok"], inputs.size());
  EXPECT_EQ(merged["files"].size(), inputs.size());
  EXPECT_EQ(merged["merge"]["shards_present"], json::parse("[1, 2, 3]"));
  EXPECT_EQ(merged["merge"]["complete"], true);

  fs::remove(s.root / "reports/2.json");
  const CommandResult missing = s.run(e.command);
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_TRUE(contains(missing.err, "imgflow merge-reports: missing shards: 2\n")) << missing.err;
}

// The Kubernetes Indexed Job: its exec-form command (no shell), once per
// completion index 0..completions-1, with $(JOB_COMPLETION_INDEX) in an
// argument replaced by the index as Kubernetes does; then the reports merged.
void check_kubernetes_job(const Example& e) {
  int completions = 0;
  for (const auto& l : e.block) {
    std::smatch m;
    if (std::regex_match(l, m, std::regex(R"(\s*completions:\s*([0-9]+)\s*)"))) {
      completions = std::stoi(m[1]);
    }
  }
  ASSERT_GT(completions, 1) << "no completions: N in the Job";
  ASSERT_FALSE(e.argv.empty());
  Stage s;
  const fs::path out_dir = s.root / "data/thumbs";
  std::set<std::string> reported;
  check_job_array(
      inputs_in(s.root / "data/photos", true), out_dir, completions,
      [&](int index) {
        const std::string value = std::to_string(index);
        std::vector<std::string> args;
        for (std::size_t i = 1; i < e.argv.size(); ++i) {
          args.push_back(std::regex_replace(map_absolute_paths(e.argv[i], s.root),
                                            std::regex(R"(\$\(JOB_COMPLETION_INDEX\))"), value));
        }
        const auto r =
            run_imgflow(RunSpec(args).in_dir(s.root).with_env({"JOB_COMPLETION_INDEX=" + value}));
        return TaskRun{CommandResult{r.exit_code, r.out, r.err},
                       "JOB_COMPLETION_INDEX=" + value + " " + e.command};
      },
      [&](int index, const std::set<std::string>& written) {
        check_shard_report(s.root / "data/reports" / (std::to_string(index) + ".json"),
                           s.root / "data/photos", out_dir, written, reported);
      });
  expect_merge_complete(s.root, s.root / "data/reports", completions, reported.size());
}

constexpr const char* kGallery = "imgflow -r -s 800x800 -o thumbs/ photos/";
constexpr const char* kResponsiveSet = "imgflow -s 320x -s 640x -s 1280x -f webp -o web/ a.jpg";
constexpr const char* kBatchReport = "imgflow -r -s x600 -q 80 --report report.json -o out/ in/";
constexpr const char* kSquareCrops =
    "imgflow -s 300x300 --fit cover --gravity attention -o avatars/ people/";
constexpr const char* kSocialCards =
    "imgflow -s 1200x630 --fit contain --background '#202020' -o cards/ art/";
constexpr const char* kHalf = "imgflow -s 50% -o half/ scans/";
constexpr const char* kNameTemplate =
    "imgflow -s 640x -f webp --name '{size}/{stem}.{ext}' -o web/ photos/";
constexpr const char* kFindPipe =
    "find photos -name '*.jpg' -print0 | imgflow --files-from - -0 -s 800 -o thumbs/";
constexpr const char* kResume = "imgflow -r -s 800 --skip-existing -o thumbs/ photos/";
constexpr const char* kSlurmArray =
    "imgflow -r -s 800x800 --shard auto --skip-existing -j \"$SLURM_CPUS_PER_TASK\" --report "
    "\"reports/$SLURM_ARRAY_TASK_ID.json\" -o /data/thumbs /data/photos";
constexpr const char* kMergeReports = "imgflow merge-reports -o report.json reports/*.json";
constexpr const char* kSlurmOffsetArrays =
    "imgflow -r -s 800x800 --shard \"$shard/3000\" --skip-existing -j \"$SLURM_CPUS_PER_TASK\" "
    "--report \"reports/$shard.json\" -o /data/thumbs /data/photos";
constexpr const char* kKubernetesJob =
    "imgflow -r -s 800x800 --shard auto/10 --skip-existing --report "
    "'/data/reports/$(JOB_COMPLETION_INDEX).json' -o /data/thumbs /data/photos";

struct SpecificCheck {
  const char* command;  ///< the example's exact text (comment dropped)
  void (*check)(const Example&);
};

const SpecificCheck kSpecificChecks[] = {
    {kGallery, check_gallery},
    {kResponsiveSet, check_responsive_set},
    {kBatchReport, check_batch_report},
    {kSquareCrops, check_square_crops},
    {kSocialCards, check_social_cards},
    {kHalf, check_half_and_megapixels},
    {kNameTemplate, check_name_template},
    {kFindPipe, check_find_pipe},
    {kResume, check_resume},
    {kSlurmArray, check_slurm_array},
    {kMergeReports, check_merge_reports},
    {kSlurmOffsetArrays, check_slurm_offset_arrays},
    {kKubernetesJob, check_kubernetes_job},
};

const SpecificCheck* specific_check_for(const std::string& command) {
  for (const auto& c : kSpecificChecks) {
    if (command == c.command) return &c;
  }
  return nullptr;
}

// Finds the example in README.md and runs its check.
void run_specific_check(const char* command) {
  const auto extraction = read_readme_examples();
  const auto it = std::find_if(extraction.examples.begin(), extraction.examples.end(),
                               [&](const Example& e) { return e.command == command; });
  ASSERT_NE(it, extraction.examples.end())
      << "README.md no longer has the example\n  " << command
      << "\nupdate its entry in kSpecificChecks (and its check) to the new text";
  const SpecificCheck* check = specific_check_for(command);
  ASSERT_NE(check, nullptr) << "no entry in kSpecificChecks for " << command;
  SCOPED_TRACE("README.md:" + std::to_string(it->line) + ": " + it->command);
  check->check(*it);
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

TEST(Readme, EveryExampleHasASpecificCheck) {
  for (const auto& e : read_readme_examples().examples) {
    EXPECT_NE(specific_check_for(e.command), nullptr)
        << "README.md:" << e.line << ": no specific check for the example\n  " << e.command
        << "\n(promise: " << e.comment
        << ")\nadd one to kSpecificChecks in tests/cli/readme_examples_test.cpp; until then it "
           "only runs generically";
  }
}

// An example without a specific check still runs: exit 0, images written.
TEST(Readme, ExamplesWithoutASpecificCheckRunAndWriteImages) {
  for (const auto& e : read_readme_examples().examples) {
    if (specific_check_for(e.command)) continue;
    SCOPED_TRACE("README.md:" + std::to_string(e.line) + ": " + e.command);
    ScratchDir scratch;
    lay_out_inputs(scratch.path());
    for (const auto& p : generic_problems(e.command, scratch.path())) ADD_FAILURE() << p;
  }
}

TEST(Readme, Gallery) {
  run_specific_check(kGallery);
}
TEST(Readme, ResponsiveSet) {
  run_specific_check(kResponsiveSet);
}
TEST(Readme, BatchReport) {
  run_specific_check(kBatchReport);
}
TEST(Readme, SquareCrops) {
  run_specific_check(kSquareCrops);
}
TEST(Readme, SocialCards) {
  run_specific_check(kSocialCards);
}
TEST(Readme, HalfSizeAndMegapixelCeiling) {
  run_specific_check(kHalf);
}
TEST(Readme, NameTemplate) {
  run_specific_check(kNameTemplate);
}
TEST(Readme, FindPipe) {
  run_specific_check(kFindPipe);
}
TEST(Readme, ResumeWithSkipExisting) {
  run_specific_check(kResume);
}
TEST(Readme, SlurmJobArray) {
  run_specific_check(kSlurmArray);
}
TEST(Readme, MergeReports) {
  run_specific_check(kMergeReports);
}
TEST(Readme, SlurmArraysBeyondMaxArraySize) {
  run_specific_check(kSlurmOffsetArrays);
}
TEST(Readme, KubernetesIndexedJob) {
  run_specific_check(kKubernetesJob);
}

}  // namespace
}  // namespace imgflow::test::readme_tests
