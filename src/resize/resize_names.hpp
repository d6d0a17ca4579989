// Internal: the one name table of each resize enum. parse_fit, parse_gravity
// and parse_filter parse from it and list it in their error texts; the CLI
// shows it as the choices in its help.
#pragma once

#include <span>

#include "core/name_list.hpp"
#include "imgflow/geometry.hpp"
#include "imgflow/resize.hpp"

namespace imgflow::detail {

std::span<const Named<Fit>> fit_names() noexcept;
std::span<const Named<Gravity>> gravity_names() noexcept;
std::span<const Named<Filter>> filter_names() noexcept;

}  // namespace imgflow::detail
