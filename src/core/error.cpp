#include "imgflow/error.hpp"

namespace imgflow {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok:
      return "ok";
    case ErrorCode::usage:
      return "usage";
    case ErrorCode::setup:
      return "setup";
    case ErrorCode::not_found:
      return "not-found";
    case ErrorCode::not_a_file:
      return "not-a-file";
    case ErrorCode::empty_input:
      return "empty-input";
    case ErrorCode::read_error:
      return "read-error";
    case ErrorCode::unknown_format:
      return "unknown-format";
    case ErrorCode::unsupported_format:
      return "unsupported-format";
    case ErrorCode::truncated_input:
      return "truncated-input";
    case ErrorCode::corrupt_input:
      return "corrupt-input";
    case ErrorCode::too_many_pixels:
      return "too-many-pixels";
    case ErrorCode::too_complex:
      return "too-complex";
    case ErrorCode::timed_out:
      return "timed-out";
    case ErrorCode::input_too_large:
      return "input-too-large";
    case ErrorCode::decode_error:
      return "decode-error";
    case ErrorCode::resize_error:
      return "resize-error";
    case ErrorCode::encode_error:
      return "encode-error";
    case ErrorCode::write_error:
      return "write-error";
    case ErrorCode::disk_full:
      return "disk-full";
    case ErrorCode::output_unavailable:
      return "output-unavailable";
    case ErrorCode::output_conflict:
      return "output-conflict";
    case ErrorCode::cancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace imgflow
