// Error codes and the exception type shared by every part of imgflow.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace imgflow {

/// Why one file (or a whole run) failed. Each code has a stable spelling
/// (see `error_code_name`) that appears in stderr lines and in reports.
enum class ErrorCode {
  ok,
  usage,               ///< bad options or arguments (a whole-run error)
  setup,               ///< output directory cannot be created, etc. (a whole-run error)
  not_found,           ///< input path does not exist (or is a dangling symlink)
  not_a_file,          ///< input is a directory, FIFO, device...
  empty_input,         ///< zero-byte file
  read_error,          ///< the OS refused to read the file
  unknown_format,      ///< content is not an image format we know
  unsupported_format,  ///< a known format we cannot decode (SVG, some TIFF layouts)
  truncated_input,     ///< the image data ends early
  corrupt_input,       ///< the image data is damaged
  too_many_pixels,     ///< header declares more pixels than `Options::max_pixels`
  too_complex,         ///< valid but too costly to decode (e.g. more than `max_scans` scans)
  timed_out,           ///< decoding, resizing and encoding it took longer than `Options::timeout`
  input_too_large,     ///< file is larger than `Options::max_file_bytes`
  decode_error,        ///< the decoder failed for another reason
  resize_error,        ///< resizing failed (e.g. out of memory)
  encode_error,        ///< the encoder failed
  write_error,         ///< the output could not be written
  output_conflict,     ///< another input of this run already wrote the same output path
  cancelled,           ///< the run was cancelled before this file was done
  disk_full,           ///< no space or quota left where outputs go (stops the run)
  output_unavailable,  ///< the output file system is read-only or the output folder is gone
                       ///< (stops the run)
};

/// Whether a file's failure means no later file can be written either (a full
/// disk, a read-only file system, the output folder gone): the run stops.
constexpr bool stops_the_run(ErrorCode code) noexcept {
  return code == ErrorCode::disk_full || code == ErrorCode::output_unavailable;
}

/// The stable, hyphenated spelling of a code, e.g. "truncated-input".
std::string_view error_code_name(ErrorCode code) noexcept;

/// Thrown by the single-image API and by `run()` for whole-run errors.
/// Carries a stable code so that callers never need to parse the message.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace imgflow
