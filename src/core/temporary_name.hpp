// Internal: the names AtomicFile gives its temporary files, so that those a
// killed run left behind can be recognised (and nothing else).
#pragma once

#include <string>
#include <string_view>

namespace imgflow::detail {

/// The temporary file for an output named `target` (a file name, no
/// directory) is this prefix followed by mkstemp's six characters.
std::string temporary_prefix(std::string_view target);

/// True if `name` is exactly a temporary name AtomicFile makes for an output
/// named `target`: temporary_prefix(target) and six of [A-Za-z0-9].
bool is_temporary_name_for(std::string_view name, std::string_view target);

}  // namespace imgflow::detail
