#include "imgflow/color.hpp"

#include <array>
#include <charconv>
#include <string>

#include "imgflow/error.hpp"

namespace imgflow {
namespace {

struct NamedColor {
  std::string_view name;
  Color color;
};

constexpr std::array<NamedColor, 3> kNamedColors = {{
    {"white", {255, 255, 255, 255}},
    {"black", {0, 0, 0, 255}},
    {"transparent", {0, 0, 0, 0}},
}};

}  // namespace

Color parse_color(std::string_view text) {
  auto fail = [&]() -> Color {
    std::string message =
        "background: expected white, black, transparent, #rrggbb, #rrggbbaa or r,g,b[,a], got \"";
    message.append(text).append("\"");
    throw Error(ErrorCode::usage, message);
  };
  for (const auto& [name, color] : kNamedColors) {
    if (text == name) return color;
  }
  std::array<int, 4> v{0, 0, 0, 255};
  if (!text.empty() && text[0] == '#') {
    const std::string_view hex = text.substr(1);
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      fail();
      return 0;
    };
    if (hex.size() == 3) {
      for (int i = 0; i < 3; ++i) v[i] = nibble(hex[i]) * 17;
    } else if (hex.size() == 6 || hex.size() == 8) {
      for (std::size_t i = 0; i < hex.size() / 2; ++i) {
        v[i] = nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]);
      }
    } else {
      return fail();
    }
  } else {
    std::size_t count = 0;
    std::string_view rest = text;
    while (!rest.empty() && count < 4) {
      const auto comma = rest.find(',');
      const auto part = rest.substr(0, comma);
      int value = -1;
      auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
      if (ec != std::errc() || end != part.data() + part.size() || value < 0 || value > 255) {
        return fail();
      }
      v[count++] = value;
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    if ((count != 3 && count != 4) || !rest.empty()) return fail();
  }
  return {static_cast<std::uint8_t>(v[0]), static_cast<std::uint8_t>(v[1]),
          static_cast<std::uint8_t>(v[2]), static_cast<std::uint8_t>(v[3])};
}

std::string color_name(Color color) {
  for (const auto& [name, named] : kNamedColors) {
    if (color == named) return std::string(name);
  }
  constexpr char kHex[] = "0123456789abcdef";
  const std::array<std::uint8_t, 4> channels = {color.r, color.g, color.b, color.a};
  std::string text = "#";
  for (std::size_t i = 0; i < (color.a == 255 ? 3u : 4u); ++i) {
    text += kHex[channels[i] >> 4];
    text += kHex[channels[i] & 15];
  }
  return text;
}

}  // namespace imgflow
