#include "cli/man_page.hpp"

#include "cli/command_help.hpp"
#include "cli/merge_reports_cli.hpp"
#include "imgflow/error.hpp"
#include "imgflow/version.hpp"

namespace imgflow::cli {

namespace {

// Text as roff prints it literally: backslashes escaped, every '-' a minus
// (so options copy and paste), no line taken for a request.
std::string roff(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

// "-o,--output DIR" as "\fB\-o\fR, \fB\-\-output\fR \fIDIR\fR".
std::string option_heading(const CLI::Option& option) {
  std::string out, names = option.get_name(false, true);
  for (std::size_t start = 0; start < names.size();) {
    const auto comma = names.find(',', start);
    const std::string name = names.substr(start, comma - start);
    if (!out.empty()) out += ", ";
    out += "\\fB" + roff(name) + "\\fR";
    start = comma == std::string::npos ? names.size() : comma + 1;
  }
  if (option.get_expected_max() != 0 && !option.get_type_name().empty()) {
    out += " \\fI" + roff(option.get_type_name()) + "\\fR";
  }
  return out;
}

// A .TP entry per option: its names, its help text and its default.
std::string option_entries(const std::vector<const CLI::Option*>& options) {
  std::string out;
  for (const CLI::Option* option : options) {
    out += ".TP\n" + option_heading(*option) + "\n" + roff(option->get_description());
    if (!option->get_default_str().empty()) {
      out += " (default: " + roff(option->get_default_str()) + ")";
    }
    out += "\n";
  }
  return out;
}

std::string exit_status_entries(const std::vector<ExitStatus>& statuses) {
  std::string out;
  for (const auto& status : statuses) {
    out += ".TP\n.B " + roff(status.code) + "\n" + roff(status.meaning) + "\n";
  }
  return out;
}

}  // namespace

std::string man_page(const CLI::App& app, const CLI::App& merge_reports) {
  std::string out;
  out += ".TH IMGFLOW 1 \"\" \"imgflow " + std::string(version) + "\" \"User Commands\"\n";
  out +=
      ".SH NAME\nimgflow \\- resize whole directories of images on every core, with bounded "
      "memory\n";
  out +=
      ".SH SYNOPSIS\n.B imgflow\n[\\fIOPTIONS\\fR] \\fB\\-o\\fR \\fIDIR\\fR \\fIINPUT\\fR...\n"
      ".br\n.B imgflow merge\\-reports\n\\fB\\-o\\fR \\fIFILE\\fR \\fIREPORT\\fR...\n";
  out +=
      ".SH DESCRIPTION\n"
      "Resizes image files, and the images in directories (with \\fB\\-r\\fR their "
      "subdirectories too), into \\fIDIR\\fR, on every core and with bounded memory. Formats "
      "are found from the content: JPEG, PNG, WebP, TIFF, BMP, PNM and JPEG 2000 are read. "
      "Each output is written to a temporary file and renamed into place, so none is ever "
      "partial. A file that fails gets one line on standard error and the run goes on.\n";
  out += ".SH OPTIONS\n";
  for (const auto& group : app.get_groups()) {
    const auto options = app.get_options([&](const CLI::Option* option) {
      return option->get_group() == group && option->nonpositional();
    });
    if (group.empty() || options.empty()) continue;
    out += ".SS " + roff(group) + "\n" + option_entries(options);
  }
  out += ".SH EXIT STATUS\n" + exit_status_entries(exit_statuses());
  out +=
      ".SH ERROR CODES\n"
      "Each file that fails gets one line on standard error,\n"
      ".IR input \": \" code \": \" message ,\n"
      "with one of these stable codes (README.md describes each):\n";
  // The codes a file can fail with: every ErrorCode after the whole-run ones
  // (ok, usage, setup), up to the last, output_unavailable.
  std::string codes;
  for (int code = static_cast<int>(ErrorCode::not_found);
       code <= static_cast<int>(ErrorCode::output_unavailable); ++code) {
    if (!codes.empty()) codes += ",\n";
    codes += ".B " + std::string(error_code_name(static_cast<ErrorCode>(code)));
  }
  out += codes + "\n";
  out +=
      ".SH ENVIRONMENT\n"
      ".TP\n\\fBGLIBC_TUNABLES\\fR\n"
      "Where the kernel gives transparent huge pages only to memory that asks for them "
      "(/sys/kernel/mm/transparent_hugepage/enabled reads [madvise]), imgflow runs itself again "
      "at start with \\fBglibc.malloc.hugetlb=1\\fR added to this variable: its large image "
      "buffers then fault in 2 MiB at a time, which made JPEG batches about 1.4 times as fast. "
      "Tunables already set are kept; \\fBglibc.malloc.hugetlb=0\\fR turns this off.\n";
  out +=
      ".SH REPORT\n"
      "\\fB\\-\\-report\\fR \\fIFILE\\fR writes a JSON document: a \\fBsummary\\fR (total, ok, "
      "failed, skipped, seconds) and one entry in \\fBfiles\\fR per input, in planning order, "
      "with its \\fBstatus\\fR (ok, failed or skipped), its \\fBerror\\fR code and message, its "
      "\\fBoutputs\\fR (path, width, height, bytes) and the time each stage took. It is "
      "written beside \\fIFILE\\fR and renamed over it, so a reader never sees half a report. "
      "\\fB\\-\\-log\\-json\\fR prints the same entries one a line as the files finish.\n";
  out += ".SH MERGE\\-REPORTS\n.B imgflow merge\\-reports\n" +
         roff(merge_reports.get_description()) +
         " Each shard of a job (\\fB\\-\\-shard\\fR \\fIK\\fR/\\fIN\\fR) writes its own "
         "\\fB\\-\\-report\\fR; this writes one report of the whole job and says which shards are "
         "missing and which files more than one shard processed.\n";
  out += option_entries(
      merge_reports.get_options([](const CLI::Option* option) { return option->nonpositional(); }));
  out += ".PP\nExit status:\n" + exit_status_entries(merge_reports_exit_statuses());
  out +=
      ".SH EXAMPLES\n"
      "Fit every photo under photos/ into 800x800, into thumbs/:\n"
      ".PP\n.RS\n.EX\nimgflow \\-r \\-s 800x800 \\-o thumbs/ photos/\n.EE\n.RE\n"
      ".PP\n"
      "Three widths of one photo as WebP, from one decode (a_320x.webp, ...):\n"
      ".PP\n.RS\n.EX\nimgflow \\-s 320x \\-s 640x \\-s 1280x \\-f webp \\-o web/ a.jpg\n"
      ".EE\n.RE\n"
      ".PP\n"
      "A batch job with a machine-readable report, resumable after a kill:\n"
      ".PP\n.RS\n.EX\nimgflow \\-r \\-s x600 \\-\\-skip\\-existing \\-\\-report report.json "
      "\\-o out/ in/\n.EE\n.RE\n"
      ".PP\n"
      "One report of a job array's shards, exit 0 only if every shard ran and every file is ok:\n"
      ".PP\n.RS\n.EX\nimgflow merge\\-reports \\-o report.json reports/*.json\n.EE\n.RE\n";
  out +=
      ".SH SEE ALSO\nREADME.md in the imgflow sources: every option, error code and the "
      "report in full.\n";
  return out;
}

}  // namespace imgflow::cli
