// The Python module `imgflow`: the batch pipeline (run, imap) and the
// single-image functions (thumbnail, decode, resize, encode), with the GIL
// released for all work in C++.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "batch_run.hpp"
#include "image_api.hpp"
#include "imgflow/imgflow.hpp"
#include "keywords.hpp"

namespace py = pybind11;

namespace imgflow::python {

namespace {

// What run() and imap() take besides the Options fields.
struct BatchArguments {
  Options options;
  std::string report;  // report=: the JSON report's path ("-": stdout)
  bool log_json = false;
  bool dry_run = false;  // dry_run=True: the plan, nothing read or written (run() only)
  py::object on_file = py::none();
};

std::vector<std::filesystem::path> input_paths(py::handle inputs) {
  std::vector<std::filesystem::path> paths;
  if (py::isinstance<py::list>(inputs) || py::isinstance<py::tuple>(inputs)) {
    for (const auto input : inputs) paths.emplace_back(path_text(input, "inputs"));
  } else {
    paths.emplace_back(path_text(inputs, "inputs"));
  }
  return paths;
}

bool flag(py::dict& keywords, const char* name) {
  const py::object value = take_keyword(keywords, name);
  return !value.is_none() && as_bool(value, name);
}

BatchArguments batch_arguments(py::handle inputs, py::handle output, const py::kwargs& kwargs,
                               const char* function, bool takes_on_file) {
  BatchArguments arguments;
  py::dict keywords(kwargs);
  if (takes_on_file) {
    arguments.on_file = take_keyword(keywords, "on_file");
    if (!arguments.on_file.is_none() && !PyCallable_Check(arguments.on_file.ptr())) {
      throw Error(ErrorCode::usage, "on_file: expected a callable, got " +
                                        std::string(py::str(py::repr(arguments.on_file))));
    }
  }
  if (const py::object report = take_keyword(keywords, "report"); !report.is_none()) {
    arguments.report = path_text(report, "report");
  }
  arguments.log_json = flag(keywords, "log_json");
  flag(keywords, "quiet");  // nothing is printed anyway
  arguments.dry_run = flag(keywords, "dry_run");
  if (arguments.dry_run && !takes_on_file) {
    throw Error(ErrorCode::usage, "dry_run: imap() has nothing to iterate in a dry run; use run()");
  }
  Options& options = arguments.options;
  options.sizes = {parse_geometry("800x800")};
  apply_keywords(options, keywords, KeywordSet::batch, function);
  options.inputs = input_paths(inputs);
  options.output_dir = path_text(output, "output");
  return arguments;
}

void print_line(const py::dict& entry) {
  py::print(py::module_::import("json").attr("dumps")(entry), py::arg("flush") = true);
}

// run(dry_run=True), the command's --dry-run: each input with the outputs it
// would get ("planned"), or "failed" with the output-conflict that would
// refuse it, in the report's shape; nothing is read or written.
py::dict plan_batch(const BatchArguments& arguments) {
  validate_keywords(arguments.options);
  std::vector<DryRunFile> plan;
  {
    py::gil_scoped_release nogil;  // listing a large tree takes a while
    dry_run(arguments.options, [&](const DryRunFile& entry) { plan.push_back(entry); });
  }
  py::list files;
  std::size_t refused = 0;
  for (const auto& entry : plan) {
    py::dict file;
    file["input"] = entry.file.input.string();
    py::list outputs;
    for (const auto& output : entry.outputs) {
      py::dict planned;
      planned["path"] = output ? py::object(py::str(output->string())) : py::none();
      outputs.append(planned);
    }
    if (entry.conflict.empty()) {
      file["status"] = "planned";
    } else {
      ++refused;
      file["status"] = "failed";
      py::dict error;
      error["code"] = std::string(error_code_name(ErrorCode::output_conflict));
      error["message"] = entry.conflict;
      file["error"] = error;
    }
    file["outputs"] = outputs;
    files.append(file);
  }
  py::dict summary;
  summary["total"] = plan.size();
  summary["planned"] = plan.size() - refused;
  summary["failed"] = refused;
  py::dict report;
  report["dry_run"] = true;
  report["summary"] = summary;
  report["files"] = files;
  return report;
}

py::object run_batch(py::handle inputs, py::handle output, const py::kwargs& kwargs) {
  BatchArguments arguments = batch_arguments(inputs, output, kwargs, "run", true);
  if (arguments.dry_run) return plan_batch(arguments);
  BatchRun batch(std::move(arguments.options), arguments.report);
  while (const auto entry = batch.next()) {
    if (arguments.log_json) print_line(*entry);
    if (arguments.on_file.is_none()) continue;
    try {
      arguments.on_file(*entry);
    } catch (py::error_already_set&) {
      batch.cancel();  // the files in flight finish; then the exception goes on up
      throw;
    }
  }
  return batch.report();
}

// imap(): the run as an iterator of report entries.
class RunIterator {
 public:
  explicit RunIterator(BatchArguments arguments)
      : log_json_(arguments.log_json),
        batch_(std::make_unique<BatchRun>(std::move(arguments.options), arguments.report)) {}

  py::dict next() {
    if (!batch_) throw py::stop_iteration();
    const auto entry = batch_->next();
    if (!entry) throw py::stop_iteration();
    if (log_json_) print_line(*entry);
    return *entry;
  }

  void close() {
    if (batch_) batch_->cancel();
  }

  py::object report() const { return batch_ ? batch_->report() : py::none(); }

 private:
  bool log_json_;
  std::unique_ptr<BatchRun> batch_;
};

// merge_reports(): each report a path (read here) or a dict as run() returns
// it (turned back into its JSON text), merged by the library's one merge.
py::dict merge_reports(py::handle reports, py::handle output) {
  if (!py::isinstance<py::list>(reports) && !py::isinstance<py::tuple>(reports)) {
    throw Error(ErrorCode::usage, "reports: expected a list of report paths or dicts, got " +
                                      std::string(py::str(py::repr(reports))));
  }
  const py::object dumps = py::module_::import("json").attr("dumps");
  std::vector<ReportText> texts;
  for (const auto report : reports) {
    if (py::isinstance<py::dict>(report)) {
      texts.push_back({"reports[" + std::to_string(texts.size()) + "]",
                       py::str(dumps(report)).cast<std::string>()});
      continue;
    }
    const std::string path = path_text(report, "reports");
    std::vector<std::uint8_t> bytes;
    try {
      py::gil_scoped_release unlocked;
      bytes = read_file(path);
    } catch (const Error& e) {
      throw Error(ErrorCode::usage, "merge_reports: " + path + ": " + e.what());
    }
    texts.push_back({path, std::string(bytes.begin(), bytes.end())});
  }
  const std::string out = output.is_none() ? std::string() : path_text(output, "output");
  MergeResult merged;
  {
    py::gil_scoped_release unlocked;
    merged = imgflow::merge_reports(texts);
    const std::string& text = merged.merged_json;
    if (!out.empty()) {
      write_file_atomic(out, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    }
  }
  return parse_json(merged.merged_json).cast<py::dict>();
}

void register_error(py::module_& m) {
  static py::handle error_type;
  error_type = PyErr_NewExceptionWithDoc(
      "imgflow.Error",
      "An imgflow error. ``code`` is its stable name, as the imgflow command prints it:\n"
      "\"usage\" (bad options), \"setup\", \"not-found\", \"truncated-input\",\n"
      "\"too-many-pixels\", \"unknown-format\", ...",
      PyExc_Exception, nullptr);
  error_type.attr("code") = py::none();
  m.attr("Error") = error_type;
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const Error& e) {
      py::object error = error_type(e.what());
      error.attr("code") = py::str(std::string(error_code_name(e.code())));
      PyErr_SetObject(error_type.ptr(), error.ptr());
    }
  });
}

}  // namespace

}  // namespace imgflow::python

PYBIND11_MODULE(imgflow, m) {
  using namespace imgflow::python;
  m.doc() =
      "imgflow: resize whole folders of images on every core, in one process.\n\n"
      "run() and imap() are the batch pipeline of the imgflow command; thumbnail(),\n"
      "decode(), resize() and encode() work on one image in memory. Every function\n"
      "releases the GIL while it works, so threads run in parallel.";
  m.attr("__version__") = imgflow::version;
  register_error(m);

  m.def("run", &run_batch, py::arg("inputs"), py::arg("output"),
        "run(inputs, output, *, size=\"800x800\", on_file=None, report=None, **options) -> dict\n\n"
        "Resizes `inputs` (a path or a list of paths: files and folders) into the folder\n"
        "`output`, as the imgflow command does. Every long option of the command is a\n"
        "keyword, `-` written `_`, with the same meaning and default: size (a geometry or a\n"
        "list), format (a name or a list), fit, gravity, quality, recursive, threads,\n"
        "shard=(K, N) or \"auto\", skip_existing, name, max_errors, report=\"r.json\", ...\n\n"
        "Returns the report as a dict of the JSON report's shape ({\"summary\": ..., \"files\":\n"
        "[...]}). Files that fail are in the report; they never raise. Bad options raise\n"
        "imgflow.Error with code \"usage\" before anything is done; an unknown keyword raises\n"
        "TypeError. `on_file(entry)` is called in this thread with each file's report entry\n"
        "as it finishes; an exception from it stops the run (files in flight finish) and goes\n"
        "on up. Ctrl-C does what SIGINT does to the command: files in flight finish, the\n"
        "report is written, and KeyboardInterrupt is raised.\n\n"
        "dry_run=True plans the run without reading or writing anything and returns\n"
        "{\"dry_run\": True, \"summary\": {\"total\", \"planned\", \"failed\"}, \"files\": [...]}: "
        "each\n"
        "input with status \"planned\" and its outputs' paths (None where the name depends\n"
        "on the pixel size), or \"failed\" with the output-conflict that would refuse it.");
  py::class_<RunIterator>(m, "RunIterator",
                          "The iterator imap() returns: each file's report entry as it finishes.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &RunIterator::next)
      .def("close", &RunIterator::close,
           "Stops the run: no new file is read, the files in flight finish (nothing partial is\n"
           "left). Also done when the iterator is dropped, e.g. by `break`.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](RunIterator& self, py::args) { self.close(); })
      .def_property_readonly("report", &RunIterator::report,
                             "The whole report (as run() returns it) once the run is over, else "
                             "None.");
  m.def(
      "imap",
      [](py::handle inputs, py::handle output, const py::kwargs& kwargs) {
        return RunIterator(batch_arguments(inputs, output, kwargs, "imap", false));
      },
      py::arg("inputs"), py::arg("output"),
      "imap(inputs, output, *, size=\"800x800\", **options) -> RunIterator\n\n"
      "The run of run() as an iterator that yields each file's report entry (a dict) as the\n"
      "file finishes, in finishing order. Leaving the loop early (break, an exception)\n"
      "cancels the run as soon as the iterator is dropped or closed (`with imgflow.imap(...) as\n"
      "run:` closes it on any exit): no new file is read and the files in flight finish, so no\n"
      "output is left partial. Options are checked at the call, as run() checks them.");
  m.def("merge_reports", &merge_reports, py::arg("reports"), py::arg("output") = py::none(),
        "merge_reports(reports, output=None) -> dict\n\n"
        "One report for a job split into shards (shard=(K, N) runs, on several machines or\n"
        "Dask workers), as `imgflow merge-reports` makes it. `reports`: a list of report\n"
        "paths (written with report=) and/or report dicts as run() returns them. Returns the\n"
        "merged report dict: every file once (a shard run again: a file's best outcome wins),\n"
        "the summary counted again, and a \"merge\" block: shards_present, shards_missing,\n"
        "in_several_shards, complete, all_ok. With `output`, also written there (atomically).\n"
        "A missing shard or a file done twice is stated there, not raised: check\n"
        "report[\"merge\"][\"complete\"] and [\"all_ok\"]. A report of another job or split, or\n"
        "one that is not an imgflow report, raises imgflow.Error with code \"usage\".");
  m.def("thumbnail", &thumbnail, py::arg("source"), py::arg("size"),
        "thumbnail(source, size, *, format=\"jpeg\", quality=85, **options) -> bytes\n\n"
        "`source` (a path, bytes, a memoryview or a binary file object) decoded with\n"
        "shrink-on-load, turned upright, converted to sRGB, resized to `size` (\"200x200\",\n"
        "200, \"50%\", ...) and encoded, exactly as a batch run does it. Options: fit,\n"
        "gravity, enlarge, filter, background, shrink_margin, no_rotate, keep_icc,\n"
        "keep_metadata, strip_gps, max_pixels, allow_truncated, progressive, chroma,\n"
        "png_compression, lossless, tiff_compression. Raises imgflow.Error (e.g. code "
        "\"truncated-input\").");
  m.def("decode", &decode, py::arg("source"), py::kw_only(), py::arg("size") = py::none(),
        "decode(source, *, size=None, **options) -> numpy.ndarray\n\n"
        "The upright, sRGB pixels of `source` (a path, bytes or a file object) as an H×W×C\n"
        "array: C is 1 (gray), 3 (RGB) or 4 (RGBA); uint8, or uint16 for 16-bit PNG and TIFF.\n"
        "With `size`, a JPEG may be decoded at 1/2, 1/4 or 1/8 scale, never smaller than that\n"
        "size needs (times shrink_margin). Options: fit, enlarge, gravity, shrink_margin,\n"
        "no_rotate, max_pixels, allow_truncated, progressive_bits. The array owns its pixels\n"
        "(no copy is made). Raises imgflow.Error.");
  m.def("resize", &resize, py::arg("pixels"), py::arg("size"),
        "resize(pixels, size, **options) -> numpy.ndarray\n\n"
        "`pixels` (H×W or H×W×C, C 1, 3 (RGB) or 4 (RGBA), uint8 or uint16) resized to `size`\n"
        "with the batch's resampler (alpha premultiplied). Options: fit, gravity, enlarge,\n"
        "filter, background. Returns a new array.");
  m.def("encode", &encode, py::arg("pixels"), py::arg("format"),
        "encode(pixels, format, *, quality=85, **options) -> bytes\n\n"
        "`pixels` (as resize() takes them) encoded as `format`: \"jpeg\", \"png\", \"webp\",\n"
        "\"tiff\", \"avif\", \"heic\" or \"jxl\". Options: quality, progressive, chroma,\n"
        "png_compression, lossless,\n"
        "tiff_compression, background (what alpha is flattened onto for JPEG).");
}
