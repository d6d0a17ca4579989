// Reading inputs and writing outputs atomically (src/core/file_io.cpp).
#include "imgflow/file_io.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace imgflow
