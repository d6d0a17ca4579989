// Reading inputs and writing outputs atomically (src/core/file_io.cpp).
#include "imgflow/file_io.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include "core/input_bytes.hpp"
#include "core/temporary_name.hpp"
#include "imgflow/error.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

TEST(WriteFileAtomic, ReplacesWholeAndLeavesNoTemporary) {
  test::ScratchDir dir;
  const std::vector<std::uint8_t> first(1000, 1), second(10, 2);
  write_file_atomic(dir / "out.bin", first);
  write_file_atomic(dir / "out.bin", second);
  EXPECT_EQ(test::read_bytes(dir / "out.bin"), second);
  EXPECT_EQ(test::list_files(dir.path()), std::vector<std::string>{"out.bin"});
  try {
    write_file_atomic(dir / "missing-dir/out.bin", first);
    ADD_FAILURE() << "wrote into a missing directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::write_error);
  }
}

TEST(ReadFile, ErrorsForMissingDirectoriesAndEmptyFiles) {
  test::ScratchDir dir;
  auto code_of = [](const std::filesystem::path& p) {
    try {
      read_file(p);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::ok;
  };
  test::write_bytes(dir / "empty", {});
  EXPECT_EQ(code_of(dir / "nope.jpg"), ErrorCode::not_found);
  EXPECT_EQ(code_of(dir.path()), ErrorCode::not_a_file);
  EXPECT_EQ(code_of(dir / "empty"), ErrorCode::empty_input);
}

// A file of `size` bytes whose every byte tells its offset apart (mod 251).
std::vector<std::uint8_t> counting_bytes(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i % 251);
  return bytes;
}

// Read in pieces, in the odd-sized steps a decoder asks for, the bytes are
// the file's; read_rest() makes it whole; small files are whole at once.
TEST(InputBytes, InPiecesReadsTheSameBytesAsWhole) {
  test::ScratchDir dir;
  const std::size_t size = 3 * detail::InputBytes::kPieceBytes + 12345;
  const auto file = counting_bytes(size);
  test::write_bytes(dir / "big", file);
  auto input = detail::InputBytes::open(dir / "big", 0, 1024 * 1024);
  ASSERT_FALSE(input.whole());
  EXPECT_EQ(input.size(), size);
  EXPECT_EQ(input.head().size(), detail::InputBytes::kHeadBytes);
  std::vector<std::uint8_t> got;
  std::vector<std::uint8_t> step(100'003);
  for (std::uint64_t at = 0;;) {
    const std::size_t n = input.read(at, step.data(), step.size());
    got.insert(got.end(), step.begin(), step.begin() + static_cast<std::ptrdiff_t>(n));
    at += n;
    if (n < step.size()) break;
  }
  EXPECT_EQ(got, file);
  input.read_rest();
  ASSERT_TRUE(input.whole());
  EXPECT_TRUE(std::equal(input.bytes().begin(), input.bytes().end(), file.begin(), file.end()));

  EXPECT_TRUE(detail::InputBytes::open(dir / "big", 0, size).whole());  // at the threshold
  EXPECT_TRUE(detail::InputBytes::open(dir / "big", 0, 0).whole());     // 0: never in pieces
}

// read_file()'s errors, and its size limit, whether the file would be read in pieces or not.
TEST(InputBytes, OpenHasReadFilesErrors) {
  test::ScratchDir dir;
  test::write_bytes(dir / "empty", {});
  test::write_bytes(dir / "big", counting_bytes(200'000));
  for (const std::uint64_t pieces_above : {std::uint64_t{0}, std::uint64_t{1}}) {
    auto code_of = [&](const std::filesystem::path& p, std::uint64_t max_bytes = 0) {
      try {
        detail::InputBytes::open(p, max_bytes, pieces_above);
      } catch (const Error& e) {
        return e.code();
      }
      return ErrorCode::ok;
    };
    EXPECT_EQ(code_of(dir / "nope.png"), ErrorCode::not_found);
    EXPECT_EQ(code_of(dir.path()), ErrorCode::not_a_file);
    EXPECT_EQ(code_of(dir / "empty"), ErrorCode::empty_input);
    EXPECT_EQ(code_of(dir / "big", 199'999), ErrorCode::input_too_large);
    EXPECT_EQ(code_of(dir / "big", 200'000), ErrorCode::ok);
  }
}

// A file that shrinks while it is read in pieces gives a short read at its
// new end (a mapping would have raised SIGBUS); one that grows is read as
// it was when opened.
TEST(InputBytes, AFileThatShrinksOrGrowsAfterOpeningIsReadToItsEnd) {
  test::ScratchDir dir;
  const std::size_t size = 4 * detail::InputBytes::kPieceBytes;
  const auto file = counting_bytes(size);
  test::write_bytes(dir / "big", file);
  auto input = detail::InputBytes::open(dir / "big", 0, 1);
  ASSERT_FALSE(input.whole());
  std::vector<std::uint8_t> piece(detail::InputBytes::kPieceBytes);
  ASSERT_EQ(input.read(0, piece.data(), piece.size()), piece.size());
  ASSERT_EQ(::truncate((dir / "big").c_str(), static_cast<off_t>(size / 2 + 10)), 0);
  EXPECT_EQ(input.read(size / 2 - 100, piece.data(), piece.size()), 110u);
  EXPECT_EQ(piece[0], file[size / 2 - 100]);
  EXPECT_EQ(input.read(size / 2 + 10, piece.data(), piece.size()), 0u);

  test::write_bytes(dir / "grows", file);
  auto growing = detail::InputBytes::open(dir / "grows", 0, 1);
  test::write_bytes(dir / "grows", counting_bytes(2 * size));
  std::vector<std::uint8_t> all(2 * size);
  EXPECT_EQ(growing.read(0, all.data(), all.size()), size);
}

TEST(TemporaryName, OnlyAtomicFilesOwnPatternForThatOutput) {
  EXPECT_TRUE(detail::is_temporary_name_for(".a.jpg.imgflow-Ab12Z9", "a.jpg"));
  EXPECT_FALSE(detail::is_temporary_name_for(".a.jpg.imgflow-Ab12Z", "a.jpg"));
  EXPECT_FALSE(detail::is_temporary_name_for(".a.jpg.imgflow-Ab12Z99", "a.jpg"));
  EXPECT_FALSE(detail::is_temporary_name_for(".a.jpg.imgflow-Ab-2Z9", "a.jpg"));
  EXPECT_FALSE(detail::is_temporary_name_for(".b.jpg.imgflow-Ab12Z9", "a.jpg"));
  EXPECT_FALSE(detail::is_temporary_name_for("a.jpg.imgflow-Ab12Z9", "a.jpg"));
  // What AtomicFile really makes.
  test::ScratchDir dir;
  AtomicFile file(dir / "a.jpg");
  const auto names = test::list_files(dir.path());
  ASSERT_EQ(names.size(), 1u);
  EXPECT_TRUE(detail::is_temporary_name_for(names[0], "a.jpg")) << names[0];
}

}  // namespace
}  // namespace imgflow
