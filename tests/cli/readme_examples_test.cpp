// The README's examples are tests (issue 9): every `imgflow ...` command line
// in its ```sh blocks and the `command:` of its YAML Job is read from README.md
// at run time and run for real, in a scratch directory laid out as the example
// expects (copies of sample_images/), through /bin/sh with the built binary
// first on PATH (/data/... mapped into the scratch directory by textual
// substitution). Each example has a specific check keyed by its exact text
// that asserts what its comment promises; a line without one still runs and
// must write images, and a test names it so that it gets a check.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace imgflow::test {
namespace {

using json = nlohmann::json;

// 9 lines under "Examples:", the job-array script's line, the Job's command.
constexpr std::size_t kExpectedExamples = 11;

// ---------------------------------------------------------------------------
// Reading the examples out of README.md
// ---------------------------------------------------------------------------

struct Example {
  std::string command;  ///< as written: `\` continuations joined, the `# comment` dropped
  std::string comment;  ///< what the example promises
  int line = 0;         ///< README.md line where it starts
  std::string fence;    ///< the code block's language (sh, yaml)
  std::vector<std::string> block;  ///< every line of its code block (#SBATCH, completions: ...)
  std::vector<std::string> argv;   ///< exec form (a YAML `command:`); empty for shell lines
};

struct Extraction {
  std::vector<Example> examples;
  std::vector<std::string> problems;  ///< lines the extractor found but could not read
};

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") + 1 - first);
}

bool is_shell_fence(const std::string& lang) {
  return lang == "sh" || lang == "bash" || lang == "shell";
}

// Splits a shell line at its comment: a `#` that starts a word outside quotes.
std::pair<std::string, std::string> split_comment(const std::string& line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      if (c == '\\' && quote == '"') ++i;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\') {
      ++i;
    } else if (c == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])))) {
      return {trim(line.substr(0, i)), trim(line.substr(i + 1))};
    }
  }
  return {trim(line), {}};
}

// True when one of the commands of the line (split at unquoted |, ;, &) is
// imgflow, after any NAME=value assignments.
bool invokes_imgflow(const std::string& code) {
  char quote = 0;
  bool at_command = true;
  std::string word;
  auto end_word = [&] {
    if (word.empty()) return false;
    const bool found = at_command && word == "imgflow";
    if (word.find('=') == std::string::npos) at_command = false;
    word.clear();
    return found;
  };
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (quote) {
      if (c == quote) quote = 0;
      word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      word += c;
    } else if (c == '|' || c == ';' || c == '&') {
      if (end_word()) return true;
      at_command = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (end_word()) return true;
    } else {
      word += c;
    }
  }
  return end_word();
}

// `args` as one shell line (single-quoting what needs it).
std::string shell_line(const std::vector<std::string>& args) {
  std::string line;
  for (const auto& a : args) {
    if (!line.empty()) line += ' ';
    const bool plain = !a.empty() && std::all_of(a.begin(), a.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string("-_./=,:@%+").find(c) != std::string::npos;
    });
    if (plain) {
      line += a;
    } else {
      line += '\'';
      for (char c : a) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
      line += '\'';
    }
  }
  return line;
}

// A YAML `command:` in flow form, ["imgflow", "-r", ...] over one or more lines
// (the flow sequence of double-quoted strings is JSON).
void read_yaml_commands(const std::vector<std::string>& block, int first_line, Extraction& out) {
  for (std::size_t i = 0; i < block.size(); ++i) {
    const std::string t = trim(block[i]);
    const std::string key = starts_with(t, "- command:") ? "- command:" : "command:";
    if (!starts_with(t, key)) continue;
    std::string value = block[i].substr(block[i].find(key) + key.size());
    std::size_t j = i;
    const auto depth = [](const std::string& s) {
      return std::count(s.begin(), s.end(), '[') - std::count(s.begin(), s.end(), ']');
    };
    while (depth(value) > 0 && j + 1 < block.size()) {
      value += ' ';
      value += trim(block[++j]);
    }
    const int line = first_line + static_cast<int>(i);
    std::vector<std::string> argv;
    try {
      argv = json::parse(value).get<std::vector<std::string>>();
    } catch (const json::exception&) {
      out.problems.push_back("README.md:" + std::to_string(line) +
                             ": a command: the extractor cannot read (write it as "
                             "[\"imgflow\", \"-o\", ...]): " +
                             value);
      continue;
    }
    if (argv.empty() || argv[0] != "imgflow") continue;
    Example e;
    e.command = shell_line(argv);
    e.line = line;
    e.fence = "yaml";
    e.block = block;
    e.argv = argv;
    out.examples.push_back(std::move(e));
  }
}

void read_shell_lines(const std::vector<std::string>& block, const std::string& lang,
                      int first_line, Extraction& out) {
  for (std::size_t i = 0; i < block.size(); ++i) {
    const int line = first_line + static_cast<int>(i);
    std::string text = block[i];
    // A trailing backslash continues the command on the next line.
    while (!trim(text).empty() && trim(text).back() == '\\' && i + 1 < block.size()) {
      text = trim(text);
      text.pop_back();
      text = trim(text) + " " + trim(block[++i]);
    }
    auto [code, comment] = split_comment(text);
    if (code.empty() || !invokes_imgflow(code)) continue;
    Example e;
    e.command = code;
    e.comment = comment;
    e.line = line;
    e.fence = lang;
    e.block = block;
    out.examples.push_back(std::move(e));
  }
}

Extraction read_readme_examples() {
  Extraction out;
  const auto lines = lines_of(read_text(IMGFLOW_README));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string t = trim(lines[i]);
    if (!starts_with(t, "```")) continue;
    const std::string lang = trim(t.substr(3));
    std::vector<std::string> block;
    std::size_t end = i + 1;
    while (end < lines.size() && !starts_with(trim(lines[end]), "```"))
      block.push_back(lines[end++]);
    const int first_line = static_cast<int>(i) + 2;
    if (is_shell_fence(lang)) {
      read_shell_lines(block, lang, first_line, out);
    } else if (lang == "yaml" || lang == "yml") {
      read_yaml_commands(block, first_line, out);
    } else {
      // The option synopsis is the one imgflow line allowed outside a ```sh
      // block; any other would never run.
      for (std::size_t k = 0; k < block.size(); ++k) {
        const std::string b = trim(block[k]);
        if (starts_with(b, "imgflow ") && !starts_with(b, "imgflow [OPTIONS]")) {
          out.problems.push_back("README.md:" + std::to_string(first_line + k) +
                                 ": an imgflow line in a ```" + lang +
                                 " block; put examples in a ```sh block so they are tested: " + b);
        }
      }
    }
    i = end;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Files, images and the scratch layout
// ---------------------------------------------------------------------------

// The format an image file's first bytes say it is ("" if none of ours).
std::string sniff_format(const fs::path& path) {
  std::vector<std::uint8_t> b;
  try {
    b = read_bytes(path);
  } catch (const std::exception&) {
    return {};
  }
  const auto at = [&](std::size_t i, const char* s) {
    return b.size() >= i + std::char_traits<char>::length(s) &&
           std::equal(s, s + std::char_traits<char>::length(s), b.begin() + i,
                      [](char c, std::uint8_t v) { return static_cast<std::uint8_t>(c) == v; });
  };
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "jpeg";
  if (at(0, "\x89PNG\r\n\x1a\n")) return "png";
  if (at(0, "RIFF") && at(8, "WEBP")) return "webp";
  if (at(0, "II*") || at(0, "MM")) return "tiff";
  return {};
}

// The format imgflow's default `-f keep` writes for an input of this format.
std::string kept_format(const std::string& input_format) {
  return input_format.empty() ? "jpeg" : input_format;
}

// An image as stored in the file (no EXIF rotation: outputs carry none).
cv::Mat decode(const fs::path& path) {
  return cv::imread(path.string(), cv::IMREAD_UNCHANGED);
}

// The upright size of an input (OpenCV applies its EXIF orientation), cached:
// every input is a copy of a sample photo.
cv::Size upright_size(const fs::path& path) {
  static std::map<std::pair<std::string, std::uintmax_t>, cv::Size> cache;
  const auto key = std::make_pair(path.filename().string(), fs::file_size(path));
  auto it = cache.find(key);
  if (it == cache.end()) {
    const cv::Mat m = cv::imread(path.string(), cv::IMREAD_ANYCOLOR | cv::IMREAD_ANYDEPTH);
    it = cache.emplace(key, m.empty() ? cv::Size(-1, -1) : m.size()).first;
  }
  return it->second;
}

// `w`x`h` fitted inside a `bw`x`bh` box (0: that side unconstrained), aspect
// ratio kept, never enlarged, the deciding side exact, the other rounded to
// nearest and at least 1 px. Integer arithmetic, independent of the product's.
cv::Size fit_inside(cv::Size s, int bw, int bh) {
  const std::int64_t w = s.width, h = s.height;
  const bool by_width = bw > 0 && (bh == 0 || std::int64_t{bw} * h <= std::int64_t{bh} * w);
  const auto rounded = [](std::int64_t num, std::int64_t den) {
    return static_cast<int>(std::max<std::int64_t>(1, (2 * num + den) / (2 * den)));
  };
  if (by_width) return bw >= w ? s : cv::Size(bw, rounded(h * bw, w));
  return bh >= h ? s : cv::Size(rounded(w * bh, h), bh);
}

struct Input {
  std::string rel;  ///< path relative to its folder
  fs::path path;
  cv::Size size;       ///< upright
  std::string format;  ///< from the content
};

// The image files in `dir` (and its subfolders when `recursive`), sorted.
std::vector<Input> inputs_in(const fs::path& dir, bool recursive) {
  std::vector<Input> out;
  for (const auto& rel : list_files(dir)) {
    if (!recursive && rel.find('/') != std::string::npos) continue;
    const fs::path path = dir / rel;
    out.push_back({rel, path, upright_size(path), sniff_format(path)});
  }
  return out;
}

std::vector<std::string> rels_of(const std::vector<Input>& inputs) {
  std::vector<std::string> out;
  for (const auto& i : inputs) out.push_back(i.rel);
  std::sort(out.begin(), out.end());
  return out;
}

// Every input the examples name, from copies of sample_images/:
//   photos/, in/           the sample tree as it is (top level, more/, special/: for -r)
//   people/, art/, scans/  every sample photo in one flat folder
//   a.jpg                  a landscape JPEG photo
//   data/photos/           the tree twice (2024/, 2025/): 20 photos for the job arrays
// The README's absolute paths (/data/photos, /data/thumbs) are mapped into
// this directory by textual substitution (map_absolute_paths).
void lay_out_inputs(const fs::path& root) {
  for (const auto& sample : sample_images()) {
    const fs::path rel = fs::relative(sample, sample_dir());
    for (const char* tree : {"photos", "in", "data/photos/2024", "data/photos/2025"}) {
      fs::create_directories((root / tree / rel).parent_path());
      fs::copy_file(sample, root / tree / rel);
    }
    for (const char* flat : {"people", "art", "scans"}) {
      fs::create_directories(root / flat);
      fs::copy_file(sample, root / flat / rel.filename());
    }
  }
  fs::copy_file(sample_jpeg(), root / "a.jpg");
}

// /data/... at the start of a word → <root>/data/...
std::string map_absolute_paths(const std::string& text, const fs::path& root) {
  const std::string from = "/data/";
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char prev = i == 0 ? ' ' : text[i - 1];
    const bool word_start = std::isspace(static_cast<unsigned char>(prev)) || prev == '"' ||
                            prev == '\'' || prev == '=';
    if (word_start && text.compare(i, from.size(), from) == 0) out += root.string();
    out += text[i];
  }
  return out;
}

struct Stamp {
  ino_t inode = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const Stamp&) const = default;
};

Stamp stamp_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::map<std::string, Stamp> stamps_below(const fs::path& dir) {
  std::map<std::string, Stamp> out;
  if (!fs::exists(dir)) return out;
  for (const auto& rel : list_files(dir)) out[rel] = stamp_of(dir / rel);
  return out;
}

// ---------------------------------------------------------------------------
// Running a line as a user does
// ---------------------------------------------------------------------------

// A directory holding `imgflow` (the built binary), to put first on PATH.
fs::path imgflow_bin_dir(const fs::path& root) {
  if (imgflow_binary().filename() == "imgflow") return imgflow_binary().parent_path();
  const fs::path dir = root / ".imgflow-bin";
  fs::create_directories(dir);
  if (!fs::exists(dir / "imgflow")) fs::create_symlink(imgflow_binary(), dir / "imgflow");
  return dir;
}

// Runs `script` with `shell` (-c) in `cwd`, the built imgflow first on PATH,
// `env` (NAME=value) added and no SLURM_* / JOB_COMPLETION_INDEX inherited
// from the test's own environment; killed after two minutes (exit 124).
CommandResult run_shell(const std::string& script, const fs::path& cwd,
                        const std::vector<std::string>& env = {},
                        const std::string& shell = "/bin/sh") {
  std::vector<std::string> argv{"/usr/bin/env", "-C", cwd.string()};
  for (char** e = environ; e && *e; ++e) {
    const std::string var = *e;
    if (starts_with(var, "SLURM_") || starts_with(var, "JOB_COMPLETION_INDEX=")) {
      argv.push_back("-u");
      argv.push_back(var.substr(0, var.find('=')));
    }
  }
  const char* path = std::getenv("PATH");
  argv.push_back("PATH=" + imgflow_bin_dir(cwd).string() + ":" +
                 (path ? path : "/usr/local/bin:/usr/bin:/bin"));
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {"/usr/bin/timeout", "120", shell, "-c", script});
  return run_command(argv);
}

std::string describe(const std::string& what, const CommandResult& r) {
  return what + "\nexit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

// The summary line (the last line of stderr): `total` files, `ok` ok, none
// failed, `skipped` skipped.
void expect_summary(const std::string& err, std::size_t total, std::size_t ok,
                    std::size_t skipped) {
  const auto lines = lines_of(err);
  ASSERT_FALSE(lines.empty()) << "no summary line on stderr";
  EXPECT_TRUE(is_summary_line(lines.back(), total, ok, 0, skipped))
      << "expected " << total << " files: " << ok << " ok, 0 failed, " << skipped
      << " skipped; got: " << lines.back();
}

// ---------------------------------------------------------------------------
// Shell words: enough to find an example's -o and -f for the generic check
// ---------------------------------------------------------------------------

// The words of the imgflow command in `code` (quotes removed, $VAR expanded
// from `env`), without the word "imgflow" itself.
std::vector<std::string> imgflow_words(const std::string& code,
                                       const std::map<std::string, std::string>& env = {}) {
  std::vector<std::vector<std::string>> commands(1);
  std::string word;
  bool in_word = false;
  char quote = 0;
  const auto end_word = [&] {
    if (in_word) commands.back().push_back(word);
    word.clear();
    in_word = false;
  };
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '$' && i + 1 < code.size() &&
               (std::isalpha(static_cast<unsigned char>(code[i + 1])) || code[i + 1] == '_' ||
                code[i + 1] == '{')) {
      const bool braced = code[i + 1] == '{';
      std::size_t j = i + (braced ? 2 : 1), start = j;
      while (j < code.size() &&
             (std::isalnum(static_cast<unsigned char>(code[j])) || code[j] == '_')) {
        ++j;
      }
      const auto it = env.find(code.substr(start, j - start));
      if (it != env.end()) word += it->second;
      in_word = true;
      i = braced ? j : j - 1;
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < code.size()) {
        word += code[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < code.size()) {
      word += code[++i];
      in_word = true;
    } else if (c == '|' || c == ';' || c == '&') {
      end_word();
      commands.emplace_back();
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      end_word();
    } else {
      word += c;
      in_word = true;
    }
  }
  end_word();
  for (const auto& words : commands) {
    auto it = std::find_if(words.begin(), words.end(),
                           [](const std::string& w) { return w.find('=') == std::string::npos; });
    if (it != words.end() && *it == "imgflow") return {it + 1, words.end()};
  }
  return {};
}

// The values of an option (`-o X`, `--output X`, `--output=X`) in `words`.
std::vector<std::string> option_values(const std::vector<std::string>& words,
                                       const std::string& shortname, const std::string& longname) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if ((words[i] == shortname || words[i] == longname) && i + 1 < words.size()) {
      out.push_back(words[++i]);
    } else if (starts_with(words[i], longname + "=")) {
      out.push_back(words[i].substr(longname.size() + 1));
    }
  }
  return out;
}

// What is wrong with a run of an example that has no specific check: it must
// exit 0 and leave, in its -o directory, at least one decodable image of each
// format it asks for with -f (any format with none, or -f keep). Empty: fine.
std::vector<std::string> generic_problems(const std::string& command, const fs::path& root) {
  std::vector<std::string> problems;
  const std::string line = map_absolute_paths(command, root);
  const auto r = run_shell(line, root);
  if (r.exit_code != 0) problems.push_back(describe("does not exit 0: " + line, r));
  const auto words = imgflow_words(line);
  const auto outputs = option_values(words, "-o", "--output");
  if (outputs.size() != 1) {
    problems.push_back("expected one -o DIR in: " + line);
    return problems;
  }
  const fs::path out_dir =
      fs::path(outputs[0]).is_absolute() ? fs::path(outputs[0]) : root / outputs[0];
  std::set<std::string> wanted;
  for (const auto& f : option_values(words, "-f", "--format")) {
    if (f != "keep") wanted.insert(f == "jpg" ? "jpeg" : f == "tif" ? "tiff" : f);
  }
  std::set<std::string> written;
  std::size_t decodable = 0;
  for (const auto& rel : fs::exists(out_dir) ? list_files(out_dir) : std::vector<std::string>{}) {
    if (decode(out_dir / rel).empty()) continue;
    ++decodable;
    written.insert(sniff_format(out_dir / rel));
  }
  if (decodable == 0) problems.push_back("no decodable image in " + out_dir.string());
  for (const auto& f : wanted) {
    if (!written.count(f)) problems.push_back("no " + f + " image in " + out_dir.string());
  }
  return problems;
}

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

// The Slurm job-array script, run as Slurm runs it: the whole script by bash
// in the submit directory, once per array task with the variables Slurm sets
// (from the script's own #SBATCH --array and --cpus-per-task).
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
  Stage s;
  script = map_absolute_paths(script, s.root);
  const auto inputs = inputs_in(s.root / "data/photos", true);
  const fs::path out_dir = s.root / "data/thumbs";
  std::set<std::string> reported;
  check_job_array(
      inputs, out_dir, last - first + 1,
      [&](int index) {
        const int id = first + index;
        const std::vector<std::string> env = {
            "SLURM_ARRAY_TASK_ID=" + std::to_string(id),
            "SLURM_ARRAY_TASK_MIN=" + std::to_string(first),
            "SLURM_ARRAY_TASK_MAX=" + std::to_string(last),
            "SLURM_ARRAY_TASK_COUNT=" + std::to_string(last - first + 1),
            "SLURM_CPUS_PER_TASK=" + std::to_string(cpus)};
        return TaskRun{run_shell(script, s.root, env, "/bin/bash"),
                       "array task " + std::to_string(id) + " of the job-array script"};
      },
      [&](int index, const std::set<std::string>& written) {
        const fs::path report_path = s.root / "reports" / (std::to_string(first + index) + ".json");
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
          const std::string input = fs::path(f["input"].get<std::string>())
                                        .lexically_relative(s.root / "data/photos")
                                        .string();
          EXPECT_TRUE(reported.insert(input).second) << input << " was done by two tasks";
          for (const auto& o : f["outputs"]) {
            outputs.insert(
                fs::path(o["path"].get<std::string>()).lexically_relative(out_dir).string());
          }
        }
        EXPECT_EQ(outputs, written);
      });
  EXPECT_EQ(reported.size(), inputs.size()) << "the reports together do not name every input";
}

// The Kubernetes Indexed Job: its exec-form command (no shell), once per
// completion index 0..completions-1.
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
  std::vector<std::string> args;
  for (std::size_t i = 1; i < e.argv.size(); ++i) {
    args.push_back(map_absolute_paths(e.argv[i], s.root));
  }
  check_job_array(
      inputs_in(s.root / "data/photos", true), s.root / "data/thumbs", completions,
      [&](int index) {
        const auto r = run_imgflow(RunSpec(args).in_dir(s.root).with_env(
            {"JOB_COMPLETION_INDEX=" + std::to_string(index)}));
        return TaskRun{CommandResult{r.exit_code, r.out, r.err},
                       "JOB_COMPLETION_INDEX=" + std::to_string(index) + " " + e.command};
      },
      [](int, const std::set<std::string>&) {});
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
constexpr const char* kKubernetesJob =
    "imgflow -r -s 800x800 --shard auto/10 --skip-existing -o /data/thumbs /data/photos";

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

TEST(Readme, ExtractsEveryExample) {
  const auto extraction = read_readme_examples();
  for (const auto& p : extraction.problems) ADD_FAILURE() << p;
  std::string found;
  for (const auto& e : extraction.examples) {
    found += "  README.md:" + std::to_string(e.line) + " [" + e.fence + "] " + e.command + "\n";
  }
  EXPECT_GE(extraction.examples.size(), kExpectedExamples) << "found only:\n" << found;
  const auto count = [&](auto pred) {
    return std::count_if(extraction.examples.begin(), extraction.examples.end(), pred);
  };
  EXPECT_GE(count([](const Example& e) { return !e.argv.empty(); }), 1) << "no YAML command: found";
  EXPECT_GE(count([](const Example& e) { return contains(e.command, " | imgflow "); }), 1)
      << "no pipe into imgflow found";
  EXPECT_GE(count([](const Example& e) { return contains(e.command, "$SLURM_ARRAY_TASK_ID"); }), 1)
      << "the job-array script's continued line was not joined";
  EXPECT_EQ(count([](const Example& e) { return contains(e.command, "#"); }),
            count([](const Example& e) { return contains(e.command, "'#"); }))
      << "a comment was left on a command:\n"
      << found;
}

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

// The generic check itself can fail.
TEST(Readme, GenericCheckCatchesWhatAnExampleGetsWrong) {
  ScratchDir scratch;
  lay_out_inputs(scratch.path());
  EXPECT_TRUE(generic_problems("imgflow -s 100x -f png -o out1/ photos/", scratch.path()).empty());
  EXPECT_FALSE(generic_problems("imgflow -s 100x -o out2/ no-such-folder/", scratch.path()).empty())
      << "a failing run passed";
  EXPECT_FALSE(generic_problems("true imgflow -o out3/", scratch.path()).empty())
      << "a line that writes nothing passed";
  // Exit 0, but the WebP that -f webp promises is not there (only a PNG).
  fs::create_directories(scratch / "out4");
  fs::copy_file(sample_dir() / "special/alpha.png", scratch / "out4/alpha.png");
  const auto problems =
      generic_problems("imgflow --dry-run -s 100x -f webp -o out4/ photos/", scratch.path());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(contains(problems[0], "no webp image")) << problems[0];
}

TEST(Readme, ExtractorReadsShellLinesAsTheShellDoes) {
  EXPECT_EQ(split_comment("imgflow -s 1x1 --background '#202020' -o o/ i/  # a # b").first,
            "imgflow -s 1x1 --background '#202020' -o o/ i/");
  EXPECT_EQ(split_comment("imgflow -o o/ i/  # a # b").second, "a # b");
  EXPECT_TRUE(invokes_imgflow("find x -print0 | imgflow --files-from - -o o/"));
  EXPECT_TRUE(invokes_imgflow("A=1 imgflow -o o/ i/"));
  EXPECT_FALSE(invokes_imgflow("cmake --install build  # imgflow"));
  EXPECT_FALSE(invokes_imgflow("echo imgflow"));
  EXPECT_EQ(imgflow_words("imgflow -j \"$N\" --report \"r/${ID}.json\" -o '/a b/' x",
                          {{"N", "8"}, {"ID", "3"}}),
            (std::vector<std::string>{"-j", "8", "--report", "r/3.json", "-o", "/a b/", "x"}));
  EXPECT_EQ(map_absolute_paths("-o /data/thumbs \"/data/photos\" x/data/y", "/s"),
            "-o /s/data/thumbs \"/s/data/photos\" x/data/y");
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
TEST(Readme, KubernetesIndexedJob) {
  run_specific_check(kKubernetesJob);
}

}  // namespace
}  // namespace imgflow::test
