// Whole-file reads and atomic writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "imgflow/error.hpp"

namespace imgflow {

/// Reads a whole file into memory with one read of the right size.
/// Throws imgflow::Error (not-found, not-a-file, empty-input, read-error).
std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::uint64_t max_bytes = 0);

/// Writes `bytes` to a temporary file in the destination directory, optionally
/// fsyncs it, and renames it to `path`: readers see the old file or the whole
/// new one, never a partial one. Throws imgflow::Error (write-error; disk-full
/// or output-unavailable, see write_failure) and leaves no temporary file behind.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                       bool fsync = true);

/// The code for a write that failed with `errno_value`: disk-full (ENOSPC,
/// EDQUOT) and output-unavailable (EROFS) say that no other output can be
/// written either; anything else is a write-error of this one file.
ErrorCode write_failure(int errno_value) noexcept;

/// A file written in pieces and renamed into place whole, like
/// write_file_atomic: until commit() the data lives in a temporary file beside
/// `path` (removed by the destructor, and by remove_temporary_files()).
/// Throws imgflow::Error{ErrorCode::write_error}.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();  ///< removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends at the end of what is written so far.
  void append(std::span<const std::uint8_t> bytes);
  /// Overwrites bytes already written, at `offset` from the start.
  void overwrite(std::uint64_t offset, std::span<const std::uint8_t> bytes);
  /// Optionally fsyncs, then renames the temporary file to the path.
  void commit(bool fsync = true);

 private:
  struct Temporary;
  std::filesystem::path path_;
  std::unique_ptr<Temporary> temp_;
};

/// Removes the temporary files that write_file_atomic and AtomicFile are writing at
/// this moment. Async-signal-safe: for a signal handler that exits at once, so
/// that even then no temporary file is left behind.
void remove_temporary_files() noexcept;

}  // namespace imgflow
