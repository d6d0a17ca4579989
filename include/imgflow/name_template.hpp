// Output file-name templates: "{stem}_{size}.{ext}" and the like.
#pragma once

#include <string>
#include <string_view>

namespace imgflow {

/// Why a name template is unusable (empty when it is fine). Placeholders:
/// {stem} {ext} {width} {height} {size} {format}; "/" makes subfolders.
std::string validate_name_template(std::string_view pattern);

}  // namespace imgflow
