// imgflow: batch image resizing on every core, with bounded memory.
// The umbrella header: include this to get the whole public API.
#pragma once

#include "imgflow/error.hpp"
#include "imgflow/geometry.hpp"
#include "imgflow/image.hpp"
#include "imgflow/options.hpp"
#include "imgflow/pipeline.hpp"
#include "imgflow/plan.hpp"
#include "imgflow/report.hpp"
#include "imgflow/resize.hpp"
#include "imgflow/version.hpp"
