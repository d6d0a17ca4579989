// Python keyword arguments → imgflow::Options: every long option of the
// imgflow command as a keyword, `-` written `_` (max_file_size=, no_rotate=).
#pragma once

#include <pybind11/pybind11.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "imgflow/options.hpp"

namespace imgflow::python {

/// Keywords that set Options fields, as the functions of the module take them.
enum class KeywordSet {
  batch,      ///< run(), imap(): every option of the command
  thumbnail,  ///< decode, resize and encode options
  decode,     ///< decode options (with size=, what shrink-on-load aims at)
  resize,     ///< fit, gravity, enlarge, filter, background
  encode,     ///< encoder options besides format and quality
};

/// Sets `options` from `keywords`. A keyword outside `set` raises TypeError
/// naming `function`, as Python does for an unexpected keyword; a value of
/// the wrong type or out of its range throws imgflow::Error{usage} in the
/// library's form, "<keyword>: expected <what>, got <value>".
void apply_keywords(Options& options, const pybind11::dict& keywords, KeywordSet set,
                    std::string_view function);

/// Removes `name` from `keywords` and returns it (None when absent).
pybind11::object take_keyword(pybind11::dict& keywords, const char* name);

/// A value that must be True or False; imgflow::Error{usage} otherwise.
bool as_bool(pybind11::handle value, std::string_view keyword);

/// A value given as a string or an os.PathLike, as a path string.
std::string path_text(pybind11::handle value, std::string_view keyword);

/// A library message naming an Options field ("sizes: ...") rewritten to
/// name the keyword that sets it ("size: ...").
std::string with_keyword_names(std::string_view message);

/// Throws imgflow::Error{usage} with every problem `options.validate()` finds,
/// in keyword names, one per line. `ignore` lists fields not checked here.
void validate_keywords(const Options& options, std::initializer_list<std::string_view> ignore = {});

}  // namespace imgflow::python
