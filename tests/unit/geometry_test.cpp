#include "imgflow/geometry.hpp"

#include <gtest/gtest.h>

#include "imgflow/error.hpp"

namespace imgflow {
namespace {

TEST(ParseGeometry, WidthAndHeight) {
  const Geometry g = parse_geometry("800x600");
  EXPECT_EQ(g.width, 800);
  EXPECT_EQ(g.height, 600);
  EXPECT_EQ(g.text, "800x600");
}

TEST(ParseGeometry, OneSideOnly) {
  EXPECT_EQ(parse_geometry("800x").width, 800);
  EXPECT_EQ(parse_geometry("800x").height, 0);
  EXPECT_EQ(parse_geometry("x600").width, 0);
  EXPECT_EQ(parse_geometry("x600").height, 600);
}

TEST(ParseGeometry, SingleNumberIsASquareBox) {
  const Geometry g = parse_geometry("256");
  EXPECT_EQ(g.width, 256);
  EXPECT_EQ(g.height, 256);
}

TEST(ParseGeometry, UpperCaseX) {
  EXPECT_EQ(parse_geometry("10X20").height, 20);
}

TEST(ParseGeometry, RejectsBadInput) {
  for (const char* bad :
       {"", "x", "0x0", "0", "-5x5", "abc", "800x600x2", "8 00", "1e3", "800y600", "2000000x1"}) {
    try {
      parse_geometry(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::usage) << bad;
      EXPECT_NE(std::string(e.what()).find("--size"), std::string::npos) << e.what();
    }
  }
}

TEST(FitInside, KeepsAspectInsideTheBox) {
  EXPECT_EQ(fit_inside({4000, 3000}, parse_geometry("800x800")), (Size{800, 600}));
  EXPECT_EQ(fit_inside({3000, 4000}, parse_geometry("800x800")), (Size{600, 800}));
  EXPECT_EQ(fit_inside({1920, 1080}, parse_geometry("800x800")), (Size{800, 450}));
  EXPECT_EQ(fit_inside({4000, 3000}, parse_geometry("800x300")), (Size{400, 300}));
}

TEST(FitInside, OneSideConstrained) {
  EXPECT_EQ(fit_inside({4000, 3000}, parse_geometry("1000x")), (Size{1000, 750}));
  EXPECT_EQ(fit_inside({4000, 3000}, parse_geometry("x300")), (Size{400, 300}));
}

TEST(FitInside, RoundsToNearest) {
  // 1000x333 * 0.5 = 500x166.5 → 167.
  EXPECT_EQ(fit_inside({1000, 333}, parse_geometry("500x")), (Size{500, 167}));
  // 999x1000 into 100x100: 99.9 → 100 for width.
  EXPECT_EQ(fit_inside({999, 1000}, parse_geometry("100x100")), (Size{100, 100}));
}

TEST(FitInside, NeverEnlarges) {
  EXPECT_EQ(fit_inside({640, 480}, parse_geometry("800x800")), (Size{640, 480}));
  EXPECT_EQ(fit_inside({800, 800}, parse_geometry("800x800")), (Size{800, 800}));
  EXPECT_EQ(fit_inside({1, 1}, parse_geometry("800")), (Size{1, 1}));
}

TEST(FitInside, NoSideDropsBelowOnePixel) {
  EXPECT_EQ(fit_inside({6000, 40}, parse_geometry("100x100")), (Size{100, 1}));
  EXPECT_EQ(fit_inside({40, 6000}, parse_geometry("100x100")), (Size{1, 100}));
  EXPECT_EQ(fit_inside({100000, 1}, parse_geometry("10x10")), (Size{10, 1}));
}

TEST(FitInside, EmptyBoxKeepsSource) {
  EXPECT_EQ(fit_inside({1234, 567}, Geometry{}), (Size{1234, 567}));
}

}  // namespace
}  // namespace imgflow
