// Internal: an input file's encoded bytes, held whole in memory or read in
// pieces, so that a large file a decoder reads through it (a PNG decoded row
// by row, a JPEG through libjpeg's source manager, libtiff, libheif, libjxl,
// giflib, libwebp) never costs its size in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace imgflow::detail {

/// The bytes of one input. Whole: every byte is in memory (bytes()). In
/// pieces: the first kHeadBytes are in memory (head(), enough for any
/// header a stream decision needs), and the rest is read from the open file
/// by read(), through one window of kPieceBytes that is reused as the reader
/// moves on, so what was consumed is not held.
///
/// Read, not mapped: a file that shrinks while it is read in pieces gives a
/// short read (the decoder reports truncated-input), where a mapping would
/// raise SIGBUS and kill the process.
class InputBytes {
 public:
  static constexpr std::size_t kHeadBytes = 64 * 1024;
  static constexpr std::size_t kPieceBytes = 1024 * 1024;

  InputBytes() = default;
  /// Bytes already in memory, owned.
  explicit InputBytes(std::vector<std::uint8_t> whole);
  /// Bytes in memory owned by the caller, who keeps them alive.
  static InputBytes view(std::span<const std::uint8_t> bytes);
  /// Opens `path` with read_file()'s checks and errors (not-found,
  /// not-a-file, empty-input, input-too-large over `max_bytes`, read-error):
  /// a file of at most `pieces_above` bytes (0: any size) is read whole,
  /// a larger one only its head.
  static InputBytes open(const std::filesystem::path& path, std::uint64_t max_bytes,
                         std::uint64_t pieces_above);

  InputBytes(InputBytes&& other) noexcept;
  InputBytes& operator=(InputBytes&& other) noexcept;
  InputBytes(const InputBytes&) = delete;
  InputBytes& operator=(const InputBytes&) = delete;
  ~InputBytes();

  bool whole() const noexcept { return fd_ < 0; }
  /// Whole: every byte. In pieces: the first kHeadBytes.
  std::span<const std::uint8_t> head() const noexcept { return memory_; }
  /// Every byte; only when whole() (call read_rest() first).
  std::span<const std::uint8_t> bytes() const;
  /// Reads the rest of a file opened in pieces: whole() after. Throws as
  /// read_file() does (a file that shrank to nothing: empty-input).
  void read_rest();
  /// The file's size when opened (whole: the bytes held).
  std::uint64_t size() const noexcept { return size_; }

  /// Copies up to `n` bytes at `offset` into `out`, for a reader that moves
  /// forward: from memory, or from the file through the window. Returns
  /// fewer than `n` at the end (also the end of a file that shrank since it
  /// was opened). Throws imgflow::Error{read-error}.
  std::size_t read(std::uint64_t offset, std::uint8_t* out, std::size_t n);

 private:
  std::vector<std::uint8_t> owned_;       ///< whole, or the head when in pieces
  std::span<const std::uint8_t> memory_;  ///< owned_ or the caller's bytes
  std::vector<std::uint8_t> window_;      ///< in pieces: bytes at window_offset_
  std::uint64_t window_offset_ = 0;
  std::uint64_t size_ = 0;
  int fd_ = -1;  ///< in pieces: the open file
};

}  // namespace imgflow::detail
