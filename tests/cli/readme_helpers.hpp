// Helpers shared by the README example suites (the readme_tests binary):
// reading the examples out of README.md, laying out their inputs, running a
// line as a user does, and the generic check of an example.
#pragma once

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

namespace imgflow::test::readme_tests {

using json = nlohmann::json;

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

inline std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") + 1 - first);
}

inline bool is_shell_fence(const std::string& lang) {
  return lang == "sh" || lang == "bash" || lang == "shell";
}

// Splits a shell line at its comment: a `#` that starts a word outside quotes.
inline std::pair<std::string, std::string> split_comment(const std::string& line) {
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
inline bool invokes_imgflow(const std::string& code) {
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
inline std::string shell_line(const std::vector<std::string>& args) {
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
inline void read_yaml_commands(const std::vector<std::string>& block, int first_line,
                               Extraction& out) {
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

inline void read_shell_lines(const std::vector<std::string>& block, const std::string& lang,
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

inline Extraction read_readme_examples() {
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
inline std::string sniff_format(const fs::path& path) {
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
inline std::string kept_format(const std::string& input_format) {
  return input_format.empty() ? "jpeg" : input_format;
}

// An image as stored in the file (no EXIF rotation: outputs carry none).
inline cv::Mat decode(const fs::path& path) {
  return cv::imread(path.string(), cv::IMREAD_UNCHANGED);
}

// The upright size of an input (OpenCV applies its EXIF orientation), cached:
// every input is a copy of a sample photo.
inline cv::Size upright_size(const fs::path& path) {
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
inline cv::Size fit_inside(cv::Size s, int bw, int bh) {
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
inline std::vector<Input> inputs_in(const fs::path& dir, bool recursive) {
  std::vector<Input> out;
  for (const auto& rel : list_files(dir)) {
    if (!recursive && rel.find('/') != std::string::npos) continue;
    const fs::path path = dir / rel;
    out.push_back({rel, path, upright_size(path), sniff_format(path)});
  }
  return out;
}

inline std::vector<std::string> rels_of(const std::vector<Input>& inputs) {
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
inline void lay_out_inputs(const fs::path& root) {
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
inline std::string map_absolute_paths(const std::string& text, const fs::path& root) {
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

inline Stamp stamp_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

inline std::map<std::string, Stamp> stamps_below(const fs::path& dir) {
  std::map<std::string, Stamp> out;
  if (!fs::exists(dir)) return out;
  for (const auto& rel : list_files(dir)) out[rel] = stamp_of(dir / rel);
  return out;
}

// ---------------------------------------------------------------------------
// Running a line as a user does
// ---------------------------------------------------------------------------

// A directory holding `imgflow` (the built binary), to put first on PATH.
inline fs::path imgflow_bin_dir(const fs::path& root) {
  if (imgflow_binary().filename() == "imgflow") return imgflow_binary().parent_path();
  const fs::path dir = root / ".imgflow-bin";
  fs::create_directories(dir);
  if (!fs::exists(dir / "imgflow")) fs::create_symlink(imgflow_binary(), dir / "imgflow");
  return dir;
}

// Runs `script` with `shell` (-c) in `cwd`, the built imgflow first on PATH,
// `env` (NAME=value) added and no SLURM_* / JOB_COMPLETION_INDEX inherited
// from the test's own environment; killed after two minutes (exit 124).
inline CommandResult run_shell(const std::string& script, const fs::path& cwd,
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

inline std::string describe(const std::string& what, const CommandResult& r) {
  return what + "\nexit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

// The summary line (the last line of stderr): `total` files, `ok` ok, none
// failed, `skipped` skipped.
inline void expect_summary(const std::string& err, std::size_t total, std::size_t ok,
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
inline std::vector<std::string> imgflow_words(const std::string& code,
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
inline std::vector<std::string> option_values(const std::vector<std::string>& words,
                                              const std::string& shortname,
                                              const std::string& longname) {
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
inline std::vector<std::string> generic_problems(const std::string& command, const fs::path& root) {
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

}  // namespace imgflow::test::readme_tests
