// Internal: the decode node's path for an animation (--animated, a GIF or
// WebP of several frames). Each frame is decoded, resized and added to every
// animated output's encoder before the next one is decoded, so neither the
// decoded frames nor the resized ones pile up: the file holds its canvas, a
// few canvases of each output's size inside libwebp's encoder, and the
// encoded bytes. Its report counts the resize and encode in the decode time.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <opencv2/core.hpp>

#include "codec/animation.hpp"
#include "pipeline/run_settings.hpp"

namespace imgflow::detail {

/// What animation_stage() hands the encode node.
struct AnimatedOutputs {
  /// Per size: the first frame, resized. Still outputs (JPEG, PNG, ...) are
  /// encoded from it; it also gives every output's pixel size.
  std::vector<cv::Mat> first_frame;
  /// Per output recipe: its animated WebP, or empty for a still output.
  std::vector<std::vector<std::uint8_t>> webp;
};

/// The animation the decode node takes this path for: with policy.animated,
/// a GIF or WebP of more than one frame. Never throws: a file too damaged to
/// tell takes the still path, which reports it.
std::optional<AnimationInfo> animation_of(std::span<const std::uint8_t> bytes,
                                          const DecodePolicy& policy);

/// Decodes every frame of `info`'s animation, resizes each to every size
/// (cover crops at the same place in every frame: a content gravity becomes
/// centre, with a warning) and encodes the outputs whose format is WebP as
/// animated WebPs, keeping frame durations and the loop count. `decoded` gets
/// the source's format and canvas size, and the warnings. Throws as the
/// decoders, resize() and the encoder do.
AnimatedOutputs animation_stage(std::span<const std::uint8_t> bytes, const AnimationInfo& info,
                                const DecodePolicy& policy, const ResizeSettings& settings,
                                const OutputRecipes& outputs, Image& decoded);

}  // namespace imgflow::detail
