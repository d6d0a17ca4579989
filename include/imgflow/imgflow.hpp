// imgflow: batch image resizing on every core, with bounded memory.
// The umbrella header: include this to get the whole public API.
#pragma once

#include "imgflow/color.hpp"
#include "imgflow/decode.hpp"
#include "imgflow/encode.hpp"
#include "imgflow/error.hpp"
#include "imgflow/file_io.hpp"
#include "imgflow/format.hpp"
#include "imgflow/geometry.hpp"
#include "imgflow/image.hpp"
#include "imgflow/library_versions.hpp"
#include "imgflow/options.hpp"
#include "imgflow/pipeline.hpp"
#include "imgflow/plan.hpp"
#include "imgflow/report.hpp"
#include "imgflow/resize.hpp"
#include "imgflow/size.hpp"
#include "imgflow/version.hpp"
