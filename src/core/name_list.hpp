// Internal: a list of names in prose ("a, b or c") or as CLI choices ("a | b | c"),
// and the one name table each enum parses from, lists in its error text and
// shows as its CLI choices.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imgflow/error.hpp"

namespace imgflow::detail {

/// "a, b or c".
std::string names_in_prose(std::span<const std::string_view> names);

/// "a | b | c".
std::string names_as_choices(std::span<const std::string_view> names);

/// One name of a value. An alias parses but is not listed; a note is shown
/// after the name in the CLI choices ("cover (crop)").
template <class T>
struct Named {
  std::string_view name;
  T value;
  bool alias = false;
  std::string_view note = {};
};

/// The names a table lists (aliases left out), in table order.
template <class T>
std::vector<std::string_view> listed_names(std::span<const Named<T>> table) {
  std::vector<std::string_view> names;
  for (const auto& entry : table) {
    if (!entry.alias) names.push_back(entry.name);
  }
  return names;
}

/// The value named `text`. Throws imgflow::Error{ErrorCode::usage}:
/// "<field>: expected a, b or c, got "<text>"".
template <class T>
T parse_named(std::span<const Named<T>> table, std::string_view field, std::string_view text) {
  for (const auto& entry : table) {
    if (entry.name == text) return entry.value;
  }
  std::string message(field);
  message.append(": expected ").append(names_in_prose(listed_names(table)));
  message.append(", got \"").append(text).append("\"");
  throw Error(ErrorCode::usage, message);
}

/// The listed name of `value` (empty if the table has none).
template <class T>
std::string_view name_of(std::span<const Named<T>> table, T value) {
  for (const auto& entry : table) {
    if (!entry.alias && entry.value == value) return entry.name;
  }
  return {};
}

/// "a | b (note) | c", for the CLI help.
template <class T>
std::string choices_of(std::span<const Named<T>> table) {
  std::string out;
  for (const auto& entry : table) {
    if (entry.alias) continue;
    if (!out.empty()) out += " | ";
    out += entry.name;
    if (!entry.note.empty()) out.append(" (").append(entry.note).append(")");
  }
  return out;
}

}  // namespace imgflow::detail
