// Whole-file reads and atomic writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace imgflow {

/// Reads a whole file into memory with one read of the right size.
/// Throws imgflow::Error (not-found, not-a-file, empty-input, read-error).
std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::uint64_t max_bytes = 0);

/// Writes `bytes` to a temporary file in the destination directory, optionally
/// fsyncs it, and renames it to `path`: readers see the old file or the whole
/// new one, never a partial one. Throws imgflow::Error{ErrorCode::write_error}
/// and leaves no temporary file behind.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                       bool fsync = true);

/// Removes the temporary files that write_file_atomic calls are writing at
/// this moment. Async-signal-safe: for a signal handler that exits at once, so
/// that even then no temporary file is left behind.
void remove_temporary_files() noexcept;

}  // namespace imgflow
