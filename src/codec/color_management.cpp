#include "codec/color_management.hpp"

#include <lcms2.h>

#include <array>
#include <memory>

namespace imgflow::detail {
namespace {

struct ProfileCloser {
  void operator()(void* p) const { cmsCloseProfile(p); }
};
struct TransformDeleter {
  void operator()(void* t) const { cmsDeleteTransform(t); }
};
using Profile = std::unique_ptr<void, ProfileCloser>;
using Transform = std::unique_ptr<void, TransformDeleter>;

Profile open_profile(std::span<const std::uint8_t> icc) {
  if (icc.empty()) return nullptr;
  return Profile(
      cmsOpenProfileFromMemTHR(nullptr, icc.data(), static_cast<cmsUInt32Number>(icc.size())));
}

// Runs a transform row by row (cv::Mat rows may be padded).
void apply(void* transform, const cv::Mat& in, cv::Mat& out) {
  for (int y = 0; y < in.rows; ++y) {
    cmsDoTransform(transform, in.ptr(y), out.ptr(y), static_cast<cmsUInt32Number>(in.cols));
  }
}

// IEC 61966-2-1's curve, as Little CMS's parametric type 4. The caller frees it.
cmsToneCurve* srgb_tone_curve() {
  return cmsBuildParametricToneCurve(
      nullptr, 4, std::array<double, 5>{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045}.data());
}

}  // namespace

bool is_srgb_profile(std::span<const std::uint8_t> icc) {
  const Profile profile = open_profile(icc);
  if (!profile) return false;
  char description[256] = {};
  cmsGetProfileInfoASCII(profile.get(), cmsInfoDescription, "en", "US", description,
                         sizeof description);
  const std::string text = description;
  return text.find("sRGB") != std::string::npos;
}

std::vector<std::uint8_t> rgb_profile(const RgbPrimaries& p) {
  const cmsCIExyY white = {p.white_x, p.white_y, 1.0};
  const cmsCIExyYTRIPLE primaries = {
      {p.red_x, p.red_y, 1.0}, {p.green_x, p.green_y, 1.0}, {p.blue_x, p.blue_y, 1.0}};
  cmsToneCurve* curve = srgb_tone_curve();
  if (!curve) return {};
  cmsToneCurve* curves[3] = {curve, curve, curve};
  const Profile profile(cmsCreateRGBProfileTHR(nullptr, &white, &primaries, curves));
  cmsFreeToneCurve(curve);
  cmsUInt32Number size = 0;
  if (!profile || !cmsSaveProfileToMem(profile.get(), nullptr, &size) || size == 0) return {};
  std::vector<std::uint8_t> icc(size);
  if (!cmsSaveProfileToMem(profile.get(), icc.data(), &size)) return {};
  return icc;
}

bool SrgbConverter::open(std::span<const std::uint8_t> icc, int type, std::string& why) {
  const Profile source = open_profile(icc);
  if (!source) {
    why = "unreadable ICC profile ignored";
    return false;
  }
  const cmsColorSpaceSignature space = cmsGetColorSpace(source.get());
  const bool sixteen = CV_MAT_DEPTH(type) == CV_16U;
  const int channels = CV_MAT_CN(type);
  cmsUInt32Number in_format = 0, out_format = 0;
  Profile target;
  if (channels == 1 && space == cmsSigGrayData) {
    // Gray stays gray: to a gray profile with the sRGB tone curve.
    cmsToneCurve* curve = srgb_tone_curve();
    target = Profile(cmsCreateGrayProfileTHR(nullptr, cmsD50_xyY(), curve));
    cmsFreeToneCurve(curve);
    in_format = out_format = sixteen ? TYPE_GRAY_16 : TYPE_GRAY_8;
  } else if (channels >= 3 && space == cmsSigRgbData) {
    target = Profile(cmsCreate_sRGBProfileTHR(nullptr));
    if (channels == 4) {
      in_format = out_format = sixteen ? TYPE_BGRA_16 : TYPE_BGRA_8;
    } else {
      in_format = out_format = sixteen ? TYPE_BGR_16 : TYPE_BGR_8;
    }
  } else {
    why = "ICC profile does not match the image's colour space; ignored";
    return false;
  }
  cmsHTRANSFORM transform = cmsCreateTransformTHR(
      nullptr, source.get(), in_format, target.get(), out_format, INTENT_PERCEPTUAL,
      cmsFLAGS_COPY_ALPHA | cmsFLAGS_BLACKPOINTCOMPENSATION);
  if (!transform) {
    why = "ICC profile cannot be converted to sRGB; ignored";
    return false;
  }
  transform_.reset(transform, TransformDeleter());
  return true;
}

void SrgbConverter::convert(void* row, int width) const {
  cmsDoTransform(transform_.get(), row, row, static_cast<cmsUInt32Number>(width));
}

bool convert_to_srgb(cv::Mat& pixels, std::span<const std::uint8_t> icc, std::string& why) {
  SrgbConverter converter;
  if (!converter.open(icc, pixels.type(), why)) return false;
  for (int y = 0; y < pixels.rows; ++y) converter.convert(pixels.ptr(y), pixels.cols);
  return true;
}

bool cmyk_to_srgb(const cv::Mat& cmyk, bool inverted, std::span<const std::uint8_t> icc,
                  cv::Mat& bgr) {
  const Profile source = open_profile(icc);
  if (!source || cmsGetColorSpace(source.get()) != cmsSigCmykData) return false;
  const Profile srgb(cmsCreate_sRGBProfileTHR(nullptr));
  const Transform transform(cmsCreateTransformTHR(nullptr, source.get(),
                                                  inverted ? TYPE_CMYK_8_REV : TYPE_CMYK_8,
                                                  srgb.get(), TYPE_BGR_8, INTENT_PERCEPTUAL, 0));
  if (!transform) return false;
  bgr.create(cmyk.rows, cmyk.cols, CV_8UC3);
  apply(transform.get(), cmyk, bgr);
  return true;
}

}  // namespace imgflow::detail
