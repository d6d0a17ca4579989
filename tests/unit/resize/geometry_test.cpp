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
      EXPECT_NE(std::string(e.what()).find("sizes: expected"), std::string::npos) << e.what();
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

namespace imgflow {
namespace {

ResizePlan plan(Size source, const char* geometry, Fit fit = Fit::inside, bool enlarge = false,
                Gravity gravity = Gravity::centre) {
  return plan_resize(source, parse_geometry(geometry), {fit, gravity, enlarge});
}

TEST(ParseGeometry, FlagsPercentAndArea) {
  EXPECT_EQ(parse_geometry("800x600>").only, Geometry::Only::shrink);
  EXPECT_EQ(parse_geometry("800x600<").only, Geometry::Only::enlarge);
  EXPECT_TRUE(parse_geometry("800x600^").cover);
  EXPECT_TRUE(parse_geometry("800x600!").exact);
  EXPECT_DOUBLE_EQ(parse_geometry("50%").percent, 50.0);
  EXPECT_DOUBLE_EQ(parse_geometry("12.5%").percent, 12.5);
  EXPECT_EQ(parse_geometry("10000@").max_pixels, 10000u);
  for (const char* bad : {"%", "0%", "-5%", "@", "0@", "1.5@", "x600!", ">", "800x600>>"}) {
    EXPECT_THROW(parse_geometry(bad), Error) << bad;
  }
}

TEST(PlanResize, PercentAndAreaKeepAspect) {
  EXPECT_EQ(plan({4000, 3000}, "25%").canvas, (Size{1000, 750}));
  EXPECT_EQ(plan({4000, 3000}, "200%").canvas, (Size{4000, 3000}));  // never enlarge
  EXPECT_EQ(plan({4000, 3000}, "200%", Fit::inside, true).canvas, (Size{8000, 6000}));
  // 4000x3000 at most 120000 px: scale 0.1 → 400x300.
  EXPECT_EQ(plan({4000, 3000}, "120000@").canvas, (Size{400, 300}));
  // N@ is a ceiling, and rounding down loses less than one row and one column.
  for (const auto& [source, pixels] : {std::pair{Size{1234, 567}, 50000},
                                       {Size{2000, 1250}, 2000000},
                                       {Size{2200, 1375}, 2000000},
                                       {Size{1000, 1600}, 999999}}) {
    const Size area = plan(source, (std::to_string(pixels) + "@").c_str()).canvas;
    EXPECT_LE(area.width * area.height, pixels) << source.width << "x" << source.height;
    EXPECT_GT(area.width * area.height, pixels - area.width - area.height - 1)
        << source.width << "x" << source.height;
    // Aspect kept to within a pixel.
    EXPECT_NEAR(area.width, static_cast<double>(area.height) * source.width / source.height, 1.0);
  }
  EXPECT_EQ(plan({2000, 1250}, "2000000@").canvas, (Size{1788, 1118}));  // not 1789 (2000102 px)
}

TEST(GeometryProblem, OneRuleForParsedAndHandBuiltGeometries) {
  EXPECT_EQ(geometry_problem(parse_geometry("50%")), "");
  EXPECT_EQ(geometry_problem(parse_geometry("2000000@")), "");
  EXPECT_EQ(geometry_problem(parse_geometry("800x")), "");
  EXPECT_EQ(geometry_problem(parse_geometry("50%>")), "");
  Geometry g;
  EXPECT_EQ(geometry_problem(g), "give at least one side");
  g.percent = 50;
  EXPECT_EQ(geometry_problem(g), "");
  g.width = 100;
  EXPECT_EQ(geometry_problem(g), "a box, N% and N@ cannot be combined");
  g = {};
  g.max_pixels = 10;
  EXPECT_EQ(geometry_problem(g), "");
  g = {};
  g.width = -3;
  EXPECT_EQ(geometry_problem(g), "sides must be 1 to 1048576");
  g.width = 800;
  g.exact = true;
  EXPECT_EQ(geometry_problem(g), "! needs both sides");
  g = {};
  g.percent = -1;
  EXPECT_EQ(geometry_problem(g), "N% needs a number above 0 and at most 10000");
}

TEST(PlanResize, OnlyShrinkAndOnlyEnlarge) {
  EXPECT_EQ(plan({400, 300}, "800x800>", Fit::inside, true).canvas, (Size{400, 300}));
  EXPECT_EQ(plan({4000, 3000}, "800x800>").canvas, (Size{800, 600}));
  EXPECT_EQ(plan({400, 300}, "800x800<").canvas, (Size{800, 600}));  // enlarges without --enlarge
  EXPECT_EQ(plan({4000, 3000}, "800x800<").canvas, (Size{4000, 3000}));  // never shrinks
}

TEST(PlanResize, CoverCropsToExactlyTheBox) {
  const ResizePlan p = plan({4000, 3000}, "800x800", Fit::cover);
  EXPECT_EQ(p.scaled, (Size{1067, 800}));
  EXPECT_EQ(p.crop, (Rect{133, 0, 800, 800}));  // centred
  EXPECT_EQ(p.canvas, (Size{800, 800}));
  EXPECT_EQ(plan({4000, 3000}, "800x800", Fit::cover, false, Gravity::west).crop.x, 0);
  EXPECT_EQ(plan({4000, 3000}, "800x800", Fit::cover, false, Gravity::east).crop.x, 267);
  EXPECT_EQ(plan({3000, 4000}, "800x800", Fit::cover, false, Gravity::north).crop.y, 0);
  EXPECT_EQ(plan({3000, 4000}, "800x800", Fit::cover, false, Gravity::south).crop.y, 267);
  // "^" covers without cropping (fit outside).
  EXPECT_EQ(plan({4000, 3000}, "800x800^").canvas, (Size{1067, 800}));
  EXPECT_EQ(plan({4000, 3000}, "800x800", Fit::outside).canvas, (Size{1067, 800}));
}

TEST(PlanResize, CoverOfASmallImageNeverEnlargesButStillCrops) {
  const ResizePlan p = plan({600, 400}, "500x500", Fit::cover);
  EXPECT_EQ(p.scaled, (Size{600, 400}));
  EXPECT_EQ(p.canvas, (Size{500, 400}));
  const ResizePlan big = plan({600, 400}, "500x500", Fit::cover, true);
  EXPECT_EQ(big.scaled, (Size{750, 500}));
  EXPECT_EQ(big.canvas, (Size{500, 500}));
}

TEST(PlanResize, ContainPadsToExactlyTheBox) {
  const ResizePlan p = plan({4000, 3000}, "800x800", Fit::contain);
  EXPECT_EQ(p.scaled, (Size{800, 600}));
  EXPECT_EQ(p.canvas, (Size{800, 800}));
  EXPECT_EQ(p.placed, (Rect{0, 100, 800, 600}));
  EXPECT_EQ(plan({4000, 3000}, "800x800", Fit::contain, false, Gravity::south).placed.y, 200);
  // A small image is padded, not enlarged.
  EXPECT_EQ(plan({100, 50}, "200x200", Fit::contain).placed, (Rect{50, 75, 100, 50}));
}

TEST(PlanResize, FillStretchesAndExclamationMeansFill) {
  EXPECT_EQ(plan({4000, 3000}, "800x800", Fit::fill).canvas, (Size{800, 800}));
  EXPECT_EQ(plan({4000, 3000}, "800x100!").canvas, (Size{800, 100}));
  EXPECT_EQ(plan({400, 300}, "800x100!").canvas, (Size{400, 100}));  // no enlarging the width
  EXPECT_EQ(plan({400, 300}, "800x100!", Fit::inside, true).canvas, (Size{800, 100}));
}

TEST(PlanResize, FillWithOneSideKeepsAspect) {
  EXPECT_EQ(plan({4000, 3000}, "800x", Fit::fill).canvas, (Size{800, 600}));
  EXPECT_EQ(plan({4000, 3000}, "x300", Fit::fill).canvas, (Size{400, 300}));
}

TEST(PlanResize, OneSideAndOnePixelEdges) {
  EXPECT_EQ(plan({4000, 3000}, "x300", Fit::cover).canvas, (Size{400, 300}));
  EXPECT_EQ(plan({6000, 40}, "100x100", Fit::cover).canvas, (Size{100, 40}));
  EXPECT_EQ(plan({6000, 40}, "100x100", Fit::contain).canvas, (Size{100, 100}));
  EXPECT_EQ(plan({6000, 40}, "100x100", Fit::contain).placed.height, 1);
  EXPECT_EQ(plan({1, 1}, "100x100", Fit::cover).canvas, (Size{1, 1}));
  EXPECT_EQ(plan({1, 1}, "100x100", Fit::contain).canvas, (Size{100, 100}));
}

TEST(ParseFitAndGravity, NamesAndErrors) {
  EXPECT_EQ(parse_fit("contain"), Fit::contain);
  EXPECT_EQ(parse_gravity("center"), Gravity::centre);
  EXPECT_EQ(parse_gravity("northeast"), Gravity::northeast);
  EXPECT_EQ(parse_gravity("attention"), Gravity::attention);
  EXPECT_THROW(parse_fit("crop"), Error);
  EXPECT_THROW(parse_gravity("up"), Error);
}

}  // namespace
}  // namespace imgflow
