// Single-image API: decode → resize → encode, usable without the batch machinery.
// All functions are thread-safe: they share no state between calls.
#pragma once

#include "imgflow/decode.hpp"
#include "imgflow/encode.hpp"
#include "imgflow/file_io.hpp"
#include "imgflow/resize.hpp"
