// Colours: the forms parse_color() reads, and color_name() that reads back
// (src/core/color.cpp).
#include "imgflow/color.hpp"

#include <gtest/gtest.h>

#include "imgflow/error.hpp"
#include "imgflow/options.hpp"

namespace imgflow {
namespace {

TEST(ParseColor, Forms) {
  EXPECT_EQ(parse_color("white"), (Color{255, 255, 255, 255}));
  EXPECT_EQ(parse_color("transparent").a, 0);
  EXPECT_EQ(parse_color("#f80"), (Color{255, 136, 0, 255}));
  EXPECT_EQ(parse_color("#102030"), (Color{16, 32, 48, 255}));
  EXPECT_EQ(parse_color("#10203040"), (Color{16, 32, 48, 64}));
  EXPECT_EQ(parse_color("1,2,3"), (Color{1, 2, 3, 255}));
  EXPECT_EQ(parse_color("1,2,3,4"), (Color{1, 2, 3, 4}));
  for (const char* bad : {"", "#12", "#gg0000", "1,2", "1,2,3,4,5", "256,0,0", "red"}) {
    EXPECT_THROW(parse_color(bad), Error) << bad;
  }
}

TEST(ColorName, ReadsBackAsTheSameColor) {
  EXPECT_EQ(color_name(Color{}), "white");
  EXPECT_EQ(color_name(Options{}.background), "white");
  EXPECT_EQ(color_name(parse_color("black")), "black");
  EXPECT_EQ(color_name(parse_color("transparent")), "transparent");
  EXPECT_EQ(color_name(Color{16, 32, 48, 255}), "#102030");
  EXPECT_EQ(color_name(Color{16, 32, 255, 64}), "#1020ff40");
  for (const Color c : {Color{1, 2, 3, 4}, Color{0, 0, 0, 0}, Color{255, 255, 255, 0}}) {
    EXPECT_EQ(parse_color(color_name(c)), c) << color_name(c);
  }
}

}  // namespace
}  // namespace imgflow
