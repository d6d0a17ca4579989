#include "pipeline/animation_stage.hpp"

#include <string>

#include <opencv2/imgproc.hpp>

#include "codec/decoders.hpp"
#include "imgflow/error.hpp"
#include "pipeline/decode_policy.hpp"
#include "pipeline/stages.hpp"
#include "resize/resize_names.hpp"

namespace imgflow::detail {
namespace {

// The canvas as BGR where it is opaque throughout (the way the still decoders
// give such a frame, so it is resized exactly as that frame alone would be).
cv::Mat frame_pixels(const cv::Mat& canvas) {
  cv::Mat alpha;
  cv::extractChannel(canvas, alpha, 3);
  double lowest = 0;
  cv::minMaxLoc(alpha, &lowest);
  if (lowest < 255) return canvas;
  cv::Mat bgr;
  cv::cvtColor(canvas, bgr, cv::COLOR_BGRA2BGR);
  return bgr;
}

}  // namespace

std::optional<AnimationInfo> animation_of(std::span<const std::uint8_t> bytes,
                                          const DecodePolicy& policy) {
  if (!policy.animated) return std::nullopt;
  try {
    return read_animation_info(bytes, read_header(bytes));
  } catch (const Error&) {
    return std::nullopt;
  }
}

AnimatedOutputs animation_stage(std::span<const std::uint8_t> bytes, const AnimationInfo& info,
                                const DecodePolicy& policy, const ResizeSettings& settings,
                                const OutputRecipes& outputs, Image& decoded) {
  const SourceInfo header = read_header(bytes);
  const DecodeOptions options = decode_options_for(header, policy);
  ResizeSettings frame_settings = settings;
  Gravity& gravity = frame_settings.resizing.spec.gravity;
  if (gravity == Gravity::entropy || gravity == Gravity::attention) {
    decoded.warnings.push_back("--gravity " + std::string(name_of(gravity_names(), gravity)) +
                               ": an animation is cropped at the centre, the same in every frame");
    gravity = Gravity::centre;
  }
  std::vector<std::optional<AnimatedWebpEncoder>> encoders(outputs.recipes.size());
  bool stills = false;
  for (std::size_t r = 0; r < outputs.recipes.size(); ++r) {
    const OutputRecipe& recipe = outputs.recipes[r];
    if (choose_output_format(recipe.spec.format, info.format, true) == Format::webp) {
      encoders[r].emplace(recipe.encoding.quality, recipe.encoding.lossless, info.loop_count);
    } else {
      stills = true;
    }
  }
  if (stills) {
    decoded.warnings.push_back("animated " + std::string(format_name(info.format)) +
                               ": only WebP outputs keep the " + std::to_string(info.frames) +
                               " frames, the others hold the first");
  }
  Image frame;
  frame.source = {info.format, info.width, info.height};
  AnimatedOutputs out;
  decode_animation(bytes, info, options, [&](const cv::Mat& canvas, int duration_ms) {
    frame.pixels = frame_pixels(canvas);
    const std::vector<cv::Mat> resized = resize_stage(frame, frame_settings);
    for (std::size_t r = 0; r < encoders.size(); ++r) {
      if (encoders[r])
        encoders[r]->add(resized.at(outputs.recipes[r].spec.size_index), duration_ms);
    }
    if (out.first_frame.empty()) {
      // The canvas itself when there is no size: the decoder draws over it.
      for (const auto& image : resized) out.first_frame.push_back(image.clone());
    }
  });
  out.webp.resize(encoders.size());
  for (std::size_t r = 0; r < encoders.size(); ++r) {
    if (encoders[r]) out.webp[r] = encoders[r]->finish();
  }
  decoded.source = frame.source;
  return out;
}

}  // namespace imgflow::detail
