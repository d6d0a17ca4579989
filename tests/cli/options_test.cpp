// Every documented option and error code, exercised through the REAL imgflow
// binary (issue 9, item 4). kCoverage below names, for each option of
// `imgflow --help` and of README.md's "Command line" block, and for each exit
// code and error code of README.md's "Exit codes and errors" tables, the tests
// that drive it through the binary; Coverage.EveryOptionAndErrorCodeHasATest
// fails when a new option or code has no entry, and
// Coverage.EveryListedTestExists when an entry names a test that does not exist.
#include <lcms2.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

namespace imgflow::test {
namespace {

using Bytes = std::vector<std::uint8_t>;
using json = nlohmann::json;

// Under AddressSanitizer or ThreadSanitizer (scripts/sanitize.sh instruments
// every target) shadow memory makes peak RSS meaningless, and the address
// space cannot be capped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// ---------------------------------------------------------------------------
// The coverage table: option, exit code or error code -> the tests that drive
// it through the binary. "binary:Suite.Name" is a test of another test binary
// built beside this one; a plain "Suite.Name" is in this file.
// ---------------------------------------------------------------------------

struct Coverage {
  std::string item;
  std::vector<std::string> tests;
};

const std::vector<Coverage> kCoverage = {
    // Options (long names; a short alias is covered through its long name).
    {"--help",
     {"cli_tests:CliUsage.HelpExitsZeroAndListsEveryOption",
      "Coverage.EveryOptionAndErrorCodeHasATest"}},
    {"--version", {"cli_tests:CliUsage.VersionPrintsVersion"}},
    {"--output",
     {"cli_tests:CliUsage.MissingOutputIsUsageError",
      "cli_tests:CliUsage.OutputDirectoryThatCannotBeCreatedIsSetupError"}},
    {"--size",
     {"cli_tests:CliOutputs.SeveralSizesGiveOneNamedOutputEach",
      "cli_tests:CliUsage.SizeOptionTakesOneValuePerOccurrence",
      "Options.SeveralSizesNameAtAsPxAndPercentAsPc"}},
    {"--fit", {"Options.FitModesGiveExactSizes"}},
    {"--gravity", {"Options.GravityNorthSouthAndCentreCropTheFullResize"}},
    {"--enlarge", {"Options.EnlargeOnlyWithTheFlag"}},
    {"--filter",
     {"Options.FiltersGiveExactSizesAndNearestSamplesSourcePixels",
      "Options.FilterAutoIsABoxShrinkThenLanczos"}},
    {"--background",
     {"Options.BackgroundPadsContainAndFlattensAlphaForJpeg",
      "Options.BackgroundTransparentPadsAnOpaqueInputWithAlpha"}},
    {"--format",
     {"cli_tests:CliOutputs.FormatOptionWritesDecodableFilesWithTheRightExtension",
      "cli_tests:CliOutputs.ExtensionKeepsTheInputSpellingWhenItNamesTheFormat",
      "Options.LosslessWebpEqualsThePngOutputOfTheSameRun"}},
    {"--name", {"Options.NameTemplateSetsTheOutputPath"}},
    {"--quality",
     {"Options.QualityChangesTheFileSize", "cli_tests:CliUsage.QualityOutOfRangeIsUsageError"}},
    {"--progressive", {"Options.ProgressiveWritesSof2"}},
    {"--chroma", {"Options.ChromaSetsTheJpegSamplingFactors"}},
    {"--png-compression", {"Options.PngCompressionLevelChangesSizeNotPixels"}},
    {"--lossless", {"Options.LosslessWebpEqualsThePngOutputOfTheSameRun"}},
    {"--tiff-compression",
     {"Options.TiffCompressionNoneAndLzwSetTheCompressionTag",
      "Options.TiffCompressionDeflateWritesTheAdobeDeflateCode"}},
    {"--keep-icc", {"Options.KeepIccEmbedsTheOriginalProfileInsteadOfConverting"}},
    {"--keep-metadata", {"Options.KeepMetadataCopiesExifWithOrientationOne"}},
    {"--no-rotate", {"cli_tests:CliOutputs.ExifOrientationIsAppliedUnlessNoRotate"}},
    {"--shrink-margin",
     {"Options.ShrinkMarginChoosesTheDecodeScale",
      "cli_tests:CliUsage.DecodeTuningOutOfRangeIsUsageError"}},
    {"--progressive-bits",
     {"Options.ProgressiveBitsStopsReadingScansEarly",
      "cli_tests:CliUsage.DecodeTuningOutOfRangeIsUsageError"}},
    {"--recursive",
     {"cli_tests:CliOutputs.RecursiveMirrorsFoldersAndPlainRunSkipsThem",
      "cli_tests:CliSamples.RecursiveGalleryHasExactSizesAndMatchingReport"}},
    {"--threads",
     {"cli_tests:CliSamples.SingleThreadedRunIsByteIdenticalToDefault",
      "Options.ConcurrencySettingsGiveIdenticalOutputs",
      "cli_tests:CliUsage.BadThreadCountsAreUsageErrors"}},
    {"--readers",
     {"cli_tests:CliSamples.SingleThreadedRunIsByteIdenticalToDefault",
      "Options.ConcurrencySettingsGiveIdenticalOutputs",
      "cli_tests:CliUsage.BadThreadCountsAreUsageErrors"}},
    {"--writers",
     {"cli_tests:CliSamples.SingleThreadedRunIsByteIdenticalToDefault",
      "Options.ConcurrencySettingsGiveIdenticalOutputs",
      "cli_tests:CliUsage.BadThreadCountsAreUsageErrors"}},
    {"--max-in-flight",
     {"Options.ConcurrencySettingsGiveIdenticalOutputs",
      "Options.MaxInFlightAndMaxMemoryBoundPeakMemory"}},
    {"--max-memory",
     {"Options.ConcurrencySettingsGiveIdenticalOutputs",
      "Options.MaxInFlightAndMaxMemoryBoundPeakMemory",
      "cli_tests:CliUsage.DecodeTuningOutOfRangeIsUsageError"}},
    {"--files-from",
     {"Options.FilesFromFileOneALineOrNulSeparated", "Options.FilesFromStdinThroughAPipe",
      "hostile_tests:HostileFiles.FilesFromEntryDeletedBeforeReadingIsNotFound"}},
    {"--null",
     {"Options.FilesFromFileOneALineOrNulSeparated", "Options.FilesFromStdinThroughAPipe"}},
    {"--shard",
     {"hostile_tests:Sharding.ThreeShardsIntoOneOutputCoverEveryInputOnce",
      "hostile_tests:Sharding.SlurmArrayAutoMatchesExplicitShards",
      "hostile_tests:Sharding.AutoWithoutTheVariablesIsUsageErrorAndWritesNothing"}},
    {"--skip-existing",
     {"Options.SkipExistingSkipsUpToDateOutputsOnly",
      "hostile_tests:KillResume.SigkillLeavesNoPartialOutputAndSkipExistingCompletesTheSet"}},
    {"--dry-run", {"Options.DryRunPrintsEveryInputAndItsOutputsAndWritesNothing"}},
    {"--fail-fast", {"Options.FailFastStopsAtTheFirstFailureAndSkipsTheRest"}},
    {"--max-errors", {"Options.MaxErrorsStopsAfterNFailures"}},
    {"--report",
     {"cli_tests:CliReport.ReportDashPrintsJsonOnStdout",
      "cli_tests:CliReport.ReportFileIsWrittenWholeAndStdoutStaysEmpty"}},
    {"--log-json",
     {"Options.LogJsonPrintsOneReportEntryPerFile",
      "Options.LogJsonListsTheFilesAStoppedRunNeverRead"}},
    {"--quiet",
     {"cli_tests:CliReport.QuietSuccessHasEmptyStderr",
      "cli_tests:CliReport.QuietFailureHasOnlyErrorLines"}},
    {"--max-pixels",
     {"cli_tests:CliErrors.MaxPixelsRefusesLargerImages",
      "Options.DefaultMaxPixelsIsCheckedFromTheHeaderAlone"}},
    {"--max-file-size", {"ErrorCodes.InputTooLargeAboveMaxFileSize"}},
    {"--allow-truncated", {"Options.AllowTruncatedAcceptsAHalfJpegGreyPadded"}},
    {"--no-fsync", {"Options.NoFsyncWritesTheSameBytes"}},

    // Exit codes.
    {"exit 0",
     {"cli_tests:CliReport.QuietSuccessHasEmptyStderr", "Options.NoFsyncWritesTheSameBytes"}},
    {"exit 1",
     {"cli_tests:CliErrors.MissingInputAloneExitsOne",
      "Options.FailFastStopsAtTheFirstFailureAndSkipsTheRest"}},
    {"exit 2",
     {"cli_tests:CliUsage.BadGeometryIsUsageErrorAndCreatesNothing",
      "cli_tests:CliUsage.OutputDirectoryThatCannotBeCreatedIsSetupError"}},
    {"exit 130",
     {"cli_tests:CliSignals.SigintFinishesInFlightFilesAndExits130",
      "cli_tests:CliSignals.SecondSigintExitsAtOnceLeavingNoTemporaries"}},
    {"exit 143", {"cli_tests:CliSignals.SigtermExits143"}},

    // Error codes.
    {"not-found",
     {"cli_tests:CliErrors.MissingInputAloneExitsOne",
      "hostile_tests:HostileFiles.NonexistentInputIsNotFound",
      "hostile_tests:HostileFiles.DanglingSymlinkNamedAsInputIsNotFound"}},
    {"not-a-file",
     {"hostile_tests:HostileFiles.FifoNamedAsInputIsNotAFileAndDoesNotHang",
      "hostile_tests:HostileFiles.CharacterDeviceNamedAsInputIsNotAFile"}},
    {"empty-input",
     {"cli_tests:CliReport.QuietFailureHasOnlyErrorLines",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "ZeroByteFile"}},
    // A symlink to itself named on the command line (ELOOP). As root, chmod
    // cannot make a file unreadable, so that is the read error a test can make.
    {"read-error", {"hostile_tests:HostileFiles.SymlinkLoopsUnderRecursiveTerminate"}},
    {"input-too-large", {"ErrorCodes.InputTooLargeAboveMaxFileSize"}},
    {"unknown-format",
     {"cli_tests:CliReport.ReportDashPrintsJsonOnStdout",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "TextNamedJpg"}},
    {"unsupported-format",
     {"cli_tests:CliErrors.GifIsUnsupportedFormat",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/Svg",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/Heic"}},
    {"truncated-input",
     {"hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "JpegCutInHalf",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "PngCutInsideIdat",
      "Options.AllowTruncatedAcceptsAHalfJpegGreyPadded"}},
    {"corrupt-input",
     {"hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "PngBadCrcOnIdat",
      "cli_tests:CliErrors.CodecChatterIsCapturedNotPrintedRaw"}},
    {"too-many-pixels",
     {"cli_tests:CliErrors.MaxPixelsRefusesLargerImages",
      "Options.DefaultMaxPixelsIsCheckedFromTheHeaderAlone"}},
    {"decode-error", {"ErrorCodes.DecodeErrorWhenTheDecoderRunsOutOfMemory"}},
    {"resize-error", {"ErrorCodes.ResizeErrorWhenTheResizeRunsOutOfMemory"}},
    {"encode-error", {"ErrorCodes.EncodeErrorForAWebpWiderThan16383"}},
    {"write-error",
     {"hostile_tests:HostileOutput.OutputFolderBlockedByAFileIsWriteErrorPerFile",
      "hostile_tests:HostileOutput.DiskFullIsWriteErrorWithNoPartialFile"}},
    {"output-conflict", {"ErrorCodes.OutputConflictWhenContentMapsTwoInputsToOnePath"}},
    {"cancelled",
     {"cli_tests:CliSignals.SigintFinishesInFlightFilesAndExits130",
      "Options.FailFastStopsAtTheFirstFailureAndSkipsTheRest",
      "Options.MaxErrorsStopsAfterNFailures"}},
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

RunResult run(std::vector<std::string> args) {
  return run_imgflow(RunSpec(std::move(args)));
}

// prefix + n + suffix (GCC 12 warns falsely about "literal" + std::string).
std::string numbered(std::string prefix, int n, const std::string& suffix) {
  prefix += std::to_string(n);
  prefix += suffix;
  return prefix;
}

fs::path this_binary_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

cv::Mat read_image(const fs::path& path) {
  return cv::imread(path.string(), cv::IMREAD_UNCHANGED);
}

double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  const cv::Scalar m = cv::mean(diff);
  double sum = 0;
  for (int c = 0; c < a.channels(); ++c) sum += m[c];
  return sum / a.channels();
}

double max_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double max = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &max);
  return max;
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return max_abs_diff(a, b) == 0;
}

// Each channel of `pixel` within `tolerance` of `expected` (both BGR[A]).
::testing::AssertionResult near_colour(const cv::Mat& image, int x, int y,
                                       const std::vector<int>& expected, int tolerance) {
  std::ostringstream got;
  bool ok = image.channels() == static_cast<int>(expected.size());
  for (int c = 0; c < image.channels(); ++c) {
    const int v = image.ptr<std::uint8_t>(y)[x * image.channels() + c];
    got << (c ? "," : "") << v;
    if (ok && std::abs(v - expected[static_cast<std::size_t>(c)]) > tolerance) ok = false;
  }
  if (ok) return ::testing::AssertionSuccess();
  std::ostringstream want;
  for (std::size_t c = 0; c < expected.size(); ++c) want << (c ? "," : "") << expected[c];
  return ::testing::AssertionFailure() << "pixel (" << x << "," << y << ") is " << got.str()
                                       << ", expected " << want.str() << " +-" << tolerance;
}

// Small real photos, downscaled once from sample_images/ for the whole file.
struct Photos {
  ScratchDir dir;
  fs::path landscape;  // kite.jpg at 400x250
  fs::path portrait;   // summer_1am_portrait.jpg at 250x400
  fs::path alpha;      // special/alpha.png at 400x250, RGBA with real transparency

  Photos() {
    landscape = dir / "landscape.jpg";
    portrait = dir / "portrait.jpg";
    alpha = dir / "alpha.png";
    shrink(sample_dir() / "kite.jpg", landscape, {400, 250}, cv::IMREAD_COLOR);
    shrink(sample_dir() / "summer_1am_portrait.jpg", portrait, {250, 400}, cv::IMREAD_COLOR);
    shrink(sample_dir() / "special" / "alpha.png", alpha, {400, 250}, cv::IMREAD_UNCHANGED);
  }

  static void shrink(const fs::path& from, const fs::path& to, cv::Size size, int mode) {
    const cv::Mat source = cv::imread(from.string(), mode);
    if (source.empty()) throw std::runtime_error("cannot read " + from.string());
    cv::Mat small;
    cv::resize(source, small, size, 0, 0, cv::INTER_AREA);
    if (!cv::imwrite(to.string(), small, {cv::IMWRITE_JPEG_QUALITY, 92})) {
      throw std::runtime_error("cannot write " + to.string());
    }
  }
};

const Photos& photos() {
  static const Photos p;
  return p;
}

// Copies `from` to `to`, creating the folders.
void copy_to(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

void write_pixels(const fs::path& path, const cv::Mat& pixels) {
  fs::create_directories(path.parent_path());
  ASSERT_TRUE(cv::imwrite(path.string(), pixels)) << path;
}

// --- JPEG structure ---------------------------------------------------------

struct JpegSegment {
  std::uint8_t marker;
  Bytes payload;  // without the length field
};

// The marker segments before the first scan (SOS).
std::vector<JpegSegment> jpeg_segments(const Bytes& jpeg) {
  std::vector<JpegSegment> out;
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return out;
  std::size_t i = 2;
  while (i + 4 <= jpeg.size() && jpeg[i] == 0xFF) {
    const std::uint8_t marker = jpeg[i + 1];
    const std::size_t length = (std::size_t(jpeg[i + 2]) << 8) | jpeg[i + 3];
    if (length < 2 || i + 2 + length > jpeg.size()) break;
    out.push_back({marker, Bytes(jpeg.begin() + static_cast<std::ptrdiff_t>(i + 4),
                                 jpeg.begin() + static_cast<std::ptrdiff_t>(i + 2 + length))});
    if (marker == 0xDA) break;
    i += 2 + length;
  }
  return out;
}

bool has_marker(const std::vector<JpegSegment>& segments, std::uint8_t marker) {
  return std::any_of(segments.begin(), segments.end(),
                     [&](const JpegSegment& s) { return s.marker == marker; });
}

bool payload_starts_with(const Bytes& payload, const std::string& prefix) {
  return payload.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), payload.begin(),
                    [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; });
}

// The sampling factors (H<<4 | V) of each frame component, from SOF0/1/2.
std::vector<int> jpeg_sampling_factors(const Bytes& jpeg) {
  for (const auto& s : jpeg_segments(jpeg)) {
    if (s.marker == 0xC0 || s.marker == 0xC1 || s.marker == 0xC2) {
      std::vector<int> factors;
      const int components = s.payload.size() > 5 ? s.payload[5] : 0;
      for (int c = 0; c < components; ++c) {
        const std::size_t at = 6 + 3 * static_cast<std::size_t>(c) + 1;
        if (at < s.payload.size()) factors.push_back(s.payload[at]);
      }
      return factors;
    }
  }
  return {};
}

// The ICC profile of a JPEG (APP2 "ICC_PROFILE\0" chunks in order), or empty.
Bytes jpeg_icc(const Bytes& jpeg) {
  Bytes icc;
  const std::string tag("ICC_PROFILE\0", 12);
  for (const auto& s : jpeg_segments(jpeg)) {
    if (s.marker == 0xE2 && payload_starts_with(s.payload, tag) && s.payload.size() >= 14) {
      icc.insert(icc.end(), s.payload.begin() + 14, s.payload.end());
    }
  }
  return icc;
}

// The Exif APP1 payload's TIFF structure, or empty.
Bytes jpeg_exif_tiff(const Bytes& jpeg) {
  const std::string tag("Exif\0\0", 6);
  for (const auto& s : jpeg_segments(jpeg)) {
    if (s.marker == 0xE1 && payload_starts_with(s.payload, tag)) {
      return Bytes(s.payload.begin() + 6, s.payload.end());
    }
  }
  return {};
}

// Inserts `segment` (marker and payload) right after a JPEG's SOI marker.
Bytes with_segment(const Bytes& jpeg, std::uint8_t marker, const Bytes& payload) {
  // Element-wise: GCC 12 warns falsely about vector::insert here at -O3.
  Bytes out = {0xFF,
               0xD8,
               0xFF,
               marker,
               static_cast<std::uint8_t>((payload.size() + 2) >> 8),
               static_cast<std::uint8_t>(payload.size() + 2)};
  out.reserve(jpeg.size() + payload.size() + 4);
  for (const auto byte : payload) out.push_back(byte);
  for (std::size_t k = 2; k < jpeg.size(); ++k) out.push_back(jpeg[k]);
  return out;
}

// --- TIFF structure (Exif and TIFF outputs) ----------------------------------

struct TiffReader {
  Bytes b;
  bool little;
  explicit TiffReader(Bytes bytes) : b(std::move(bytes)), little(b.size() > 1 && b[0] == 'I') {}
  std::uint32_t u16(std::size_t at) const {
    if (at + 2 > b.size()) return 0;
    return little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
  }
  std::uint32_t u32(std::size_t at) const {
    if (at + 4 > b.size()) return 0;
    return little ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
  }
  // The offset of IFD0's entry for `tag`, or 0.
  std::size_t entry(std::uint16_t tag) const {
    const std::size_t ifd = u32(4);
    const std::uint32_t count = u16(ifd);
    for (std::uint32_t k = 0; k < count; ++k) {
      const std::size_t e = ifd + 2 + 12 * static_cast<std::size_t>(k);
      if (u16(e) == tag) return e;
    }
    return 0;
  }
  // A SHORT tag's value (-1 if absent).
  long short_value(std::uint16_t tag) const {
    const std::size_t e = entry(tag);
    return e ? static_cast<long>(u16(e + 8)) : -1;
  }
  // An ASCII tag's text without its NUL ("" if absent).
  std::string ascii_value(std::uint16_t tag) const {
    const std::size_t e = entry(tag);
    if (!e) return "";
    const std::uint32_t count = u32(e + 4);
    const std::size_t at = count <= 4 ? e + 8 : u32(e + 8);
    std::string s;
    for (std::size_t i = 0; i < count && at + i < b.size() && b[at + i] != 0; ++i) {
      s.push_back(static_cast<char>(b[at + i]));
    }
    return s;
  }
};

// An Exif APP1 payload (little-endian) with Make = "imgflow-test" and Orientation.
Bytes exif_payload(int orientation) {
  const std::string make = "imgflow-test";  // 12 chars + NUL = 13 bytes, stored at offset 38
  Bytes b = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0};
  auto le16 = [&](std::uint32_t v) {
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
  };
  auto le32 = [&](std::uint32_t v) {
    le16(v & 0xFFFF);
    le16(v >> 16);
  };
  le16(0x010F);  // Make, ASCII
  le16(2);
  le32(static_cast<std::uint32_t>(make.size() + 1));
  le32(38);
  le16(0x0112);  // Orientation, SHORT
  le16(3);
  le32(1);
  le16(static_cast<std::uint32_t>(orientation));
  le16(0);
  le32(0);  // no next IFD
  for (char c : make) b.push_back(static_cast<std::uint8_t>(c));
  b.push_back(0);
  return b;
}

// A wide-gamut RGB ICC profile (ProPhoto-like primaries, gamma 1.8), made
// with Little CMS.
Bytes wide_gamut_profile() {
  const cmsCIExyY d50 = {0.3457, 0.3585, 1.0};
  const cmsCIExyYTRIPLE primaries = {
      {0.7347, 0.2653, 1.0}, {0.1596, 0.8404, 1.0}, {0.0366, 0.0001, 1.0}};
  cmsToneCurve* gamma = cmsBuildGamma(nullptr, 1.8);
  cmsToneCurve* curves[3] = {gamma, gamma, gamma};
  cmsHPROFILE profile = cmsCreateRGBProfile(&d50, &primaries, curves);
  cmsFreeToneCurve(gamma);
  cmsUInt32Number size = 0;
  cmsSaveProfileToMem(profile, nullptr, &size);
  Bytes out(size);
  cmsSaveProfileToMem(profile, out.data(), &size);
  cmsCloseProfile(profile);
  return out;
}

// --- PNG headers --------------------------------------------------------------

void put_be32(Bytes& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
}

void put_png_chunk(Bytes& png, const std::string& type, const Bytes& data) {
  put_be32(png, static_cast<std::uint32_t>(data.size()));
  Bytes typed(type.begin(), type.end());
  typed.insert(typed.end(), data.begin(), data.end());
  png.insert(png.end(), typed.begin(), typed.end());
  put_be32(png, png_crc(typed.data(), typed.size()));
}

// An 8-bit RGB PNG declaring `width`x`height`, with a valid but tiny IDAT
// (100 zero bytes of the image data): a few dozen bytes in all.
Bytes png_declaring(std::uint32_t width, std::uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  for (std::uint8_t v : {8, 2, 0, 0, 0}) ihdr.push_back(v);
  put_png_chunk(png, "IHDR", ihdr);
  const Bytes raw(100, 0);
  uLongf size = compressBound(raw.size());
  Bytes idat(size);
  compress(idat.data(), &size, raw.data(), raw.size());
  idat.resize(size);
  put_png_chunk(png, "IDAT", idat);
  put_png_chunk(png, "IEND", {});
  return png;
}

// ---------------------------------------------------------------------------
// The coverage table against --help and README.md
// ---------------------------------------------------------------------------

// Option names in `imgflow --help`: the first column of each option line
// ("-o,--output TEXT ..."), long name -> its short alias ("" if none).
std::map<std::string, std::string> help_options(const std::string& help) {
  std::map<std::string, std::string> options;
  for (const auto& line : lines_of(help)) {
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || first == 0 || line[first] != '-') continue;
    const std::string column = line.substr(first, line.find(' ', first) - first);
    std::string long_name, short_name;
    std::stringstream names(column);
    for (std::string name; std::getline(names, name, ',');) {
      (starts_with(name, "--") ? long_name : short_name) = name;
    }
    if (!long_name.empty()) options[long_name] = short_name;
  }
  return options;
}

// The text of README.md between the line `heading` and the next line that
// starts with `end` (or the end of the file).
std::string readme_section(const std::string& readme, const std::string& heading,
                           const std::string& end) {
  std::string out;
  bool inside = false;
  for (const auto& line : lines_of(readme)) {
    if (!inside) {
      inside = line == heading;
      continue;
    }
    if (starts_with(line, end)) break;
    out += line + "\n";
  }
  return out;
}

// Every option named in README's "Command line" block, including those
// mentioned inside descriptions ("--max-errors N", "(= --fit outside)").
std::set<std::string> readme_options(const std::string& readme) {
  const std::string section = readme_section(readme, "## Command line", "## ");
  const auto open = section.find("```");
  const auto close = section.find("```", open + 3);
  const std::string block = section.substr(open + 3, close - open - 3);
  std::set<std::string> out;
  static const std::regex option(R"((^|[\s(/,;])(--[a-z][a-z0-9-]*|-[a-zA-Z0])(?![\w-]))");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), option);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[2].str());
  }
  return out;
}

// README's exit codes ("exit 0", ..., "exit 130", "exit 143") and error codes,
// from the two tables under "### Exit codes and errors".
std::set<std::string> readme_codes(const std::string& readme) {
  const std::string section = readme_section(readme, "### Exit codes and errors", "#");
  std::set<std::string> out;
  static const std::regex number(R"(\d+)");
  static const std::regex code("`([a-z-]+)`");
  for (const auto& line : lines_of(section)) {
    if (!starts_with(line, "| ") || starts_with(line, "| code")) continue;
    const std::string cell = line.substr(2, line.find('|', 2) - 2);
    if (contains(cell, "`")) {
      for (auto it = std::sregex_iterator(cell.begin(), cell.end(), code);
           it != std::sregex_iterator(); ++it) {
        out.insert((*it)[1].str());
      }
    } else {
      for (auto it = std::sregex_iterator(cell.begin(), cell.end(), number);
           it != std::sregex_iterator(); ++it) {
        out.insert("exit " + it->str());
      }
    }
  }
  return out;
}

TEST(Coverage, EveryOptionAndErrorCodeHasATest) {
  std::map<std::string, std::size_t> table;
  for (const auto& c : kCoverage) {
    EXPECT_EQ(table.count(c.item), 0u) << c.item << " is in the table twice";
    EXPECT_FALSE(c.tests.empty()) << c.item << " has no test";
    table[c.item] = c.tests.size();
  }

  const RunResult help = run({"--help"});
  ASSERT_EQ(help.exit_code, 0) << describe(help);
  const auto options = help_options(help.out);
  // A parser that finds nothing would let everything pass.
  ASSERT_GE(options.size(), 40u) << "too few options parsed from --help:\n" << help.out;
  std::map<std::string, std::string> long_for_short;
  for (const auto& [long_name, short_name] : options) {
    if (!short_name.empty()) long_for_short[short_name] = long_name;
    EXPECT_EQ(table.count(long_name), 1u)
        << "imgflow --help lists " << long_name << ", which has no test in kCoverage";
  }

  const std::string readme = read_text(IMGFLOW_README);
  const auto documented = readme_options(readme);
  ASSERT_GE(documented.size(), 40u) << "too few options parsed from README.md";
  for (const auto& name : documented) {
    const std::string long_name = starts_with(name, "--") ? name : long_for_short[name];
    EXPECT_FALSE(long_name.empty()) << "README.md documents " << name << ", unknown to --help";
    if (long_name.empty()) continue;
    EXPECT_EQ(options.count(long_name), 1u)
        << "README.md documents " << long_name << ", which --help does not list";
    EXPECT_EQ(table.count(long_name), 1u)
        << "README.md documents " << long_name << ", which has no test in kCoverage";
  }

  const auto codes = readme_codes(readme);
  // 0, 1, 2, 130, 143 and the 15 error codes of the README's tables.
  ASSERT_GE(codes.size(), 20u) << "too few codes parsed from README.md";
  for (const char* exit_code : {"exit 0", "exit 1", "exit 2", "exit 130", "exit 143"}) {
    EXPECT_EQ(codes.count(exit_code), 1u) << exit_code << " not found in README.md";
  }
  for (const auto& code : codes) {
    EXPECT_EQ(table.count(code), 1u)
        << "README.md documents " << code << ", which has no test in kCoverage";
  }

  // And nothing stale: every entry is a current option or code.
  for (const auto& [item, n] : table) {
    EXPECT_TRUE(options.count(item) || codes.count(item))
        << "kCoverage lists " << item << ", which neither --help nor README.md has";
  }
}

// Test names a gtest binary lists with --gtest_list_tests ("Suite.Name",
// parameterised ones as "Prefix/Suite.Name/Param").
std::set<std::string> listed_tests(const std::string& listing) {
  std::set<std::string> out;
  std::string suite;
  for (const auto& line : lines_of(listing)) {
    if (line.empty()) continue;
    const std::string name = line.substr(0, line.find("  #", 2));
    if (line[0] != ' ') {
      suite = name;  // "Suite."
    } else {
      out.insert(suite + name.substr(name.find_first_not_of(' ')));
    }
  }
  return out;
}

TEST(Coverage, EveryListedTestExists) {
  std::set<std::string> here;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      here.insert(std::string(suite->name()) + "." + suite->GetTestInfo(j)->name());
    }
  }
  ASSERT_GE(here.size(), 30u);

  std::map<std::string, std::set<std::string>> others;  // binary -> its tests
  for (const char* binary : {"cli_tests", "hostile_tests"}) {
    const fs::path path = this_binary_dir() / binary;
    if (!fs::exists(path)) continue;  // not built: its names are not checked
    const CommandResult r = run_command({path.string(), "--gtest_list_tests"});
    ASSERT_EQ(r.exit_code, 0) << path << "\n" << r.err;
    others[binary] = listed_tests(r.out);
    EXPECT_GE(others[binary].size(), 10u) << r.out;
  }
  for (const auto& c : kCoverage) {
    for (const auto& test : c.tests) {
      const auto colon = test.find(':');
      if (colon == std::string::npos) {
        EXPECT_EQ(here.count(test), 1u) << c.item << ": no test " << test << " in option_tests";
        continue;
      }
      const std::string binary = test.substr(0, colon);
      EXPECT_TRUE(binary == "cli_tests" || binary == "hostile_tests")
          << c.item << ": unknown test binary in " << test;
      if (!others.count(binary)) {
        std::printf("not checked (%s not built): %s\n", binary.c_str(), test.c_str());
        continue;
      }
      EXPECT_EQ(others[binary].count(test.substr(colon + 1)), 1u)
          << c.item << ": no test " << test.substr(colon + 1) << " in " << binary;
    }
  }
}

// ---------------------------------------------------------------------------
// Batch jobs
// ---------------------------------------------------------------------------

TEST(Options, DryRunPrintsEveryInputAndItsOutputsAndWritesNothing) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().alpha, in / "sub" / "b.png");
  write_text(in / "c.jpg", "not an image, and a dry run does not read it\n");
  const auto out = dir / "out";
  const RunResult r =
      run({"--dry-run", "-r", "-s", "100x", "-s", "50%", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const std::string o = out.string();
  EXPECT_EQ(r.out, (in / "a.jpg").string() + " -> " + o + "/a_100x.jpg, " + o + "/a_50pc.jpg\n" +
                       (in / "c.jpg").string() + " -> " + o + "/c_100x.jpg, " + o +
                       "/c_50pc.jpg\n" + (in / "sub" / "b.png").string() + " -> " + o +
                       "/sub/b_100x.png, " + o + "/sub/b_50pc.png\n");
  EXPECT_EQ(r.err, "imgflow: dry run: 3 files planned, nothing written\n");
  EXPECT_TRUE(!fs::exists(out) || list_files(out).empty()) << "a dry run wrote files";
  EXPECT_EQ(list_files(in), (std::vector<std::string>{"a.jpg", "c.jpg", "sub/b.png"}));
}

TEST(Options, LogJsonPrintsOneReportEntryPerFile) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().alpha, in / "b.png");
  write_text(in / "c.jpg", "text\n");
  const auto report_path = dir / "report.json";
  const RunResult r = run({"--log-json", "--report", report_path.string(), "-s", "100", "-o",
                           (dir / "out").string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json report = parse_json(read_text(report_path));
  std::map<std::string, json> entries;  // by input
  for (const auto& f : report["files"]) entries[f["input"].get<std::string>()] = f;
  ASSERT_EQ(entries.size(), 3u);

  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  std::set<std::string> seen;
  for (const auto& line : lines) {
    json object = parse_json(line);
    ASSERT_TRUE(object.is_object()) << line;
    const std::string input = object.value("input", "");
    SCOPED_TRACE(input);
    ASSERT_EQ(entries.count(input), 1u) << line;
    seen.insert(input);
    // The same fields and values as the report's entry (timings may be
    // formatted differently, but the stages are the same).
    json expected = entries[input];
    ASSERT_TRUE(object.contains("timings_ms"));
    for (const char* stage : {"read", "decode", "resize", "encode", "write"}) {
      EXPECT_TRUE(object["timings_ms"][stage].is_number()) << stage;
    }
    object.erase("timings_ms");
    expected.erase("timings_ms");
    EXPECT_EQ(object, expected);
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(entries[(in / "c.jpg").string()]["error"]["code"], "unknown-format");
  EXPECT_EQ(entries[(in / "a.jpg").string()]["outputs"][0]["width"], 100);
  // Stderr as without --log-json: the failure line, then the summary.
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + (in / "c.jpg").string() + ": unknown-format: "));
  EXPECT_TRUE(is_summary_line(err[1], 3, 2, 1, 0)) << err[1];
}

// Files bad1..bad<bad> (text) sorted before good1..good<good> (photos); one
// file in flight at a time, so exactly the files before the stop are read.
RunResult run_stopping_batch(const ScratchDir& dir, int bad, int good,
                             const std::vector<std::string>& stop_options) {
  const auto in = dir / "in";
  for (int i = 1; i <= bad; ++i) write_text(in / numbered("a_bad", i, ".jpg"), "text\n");
  for (int i = 1; i <= good; ++i) copy_to(photos().landscape, in / numbered("b_good", i, ".jpg"));
  std::vector<std::string> args = {"-j",
                                   "1",
                                   "--readers",
                                   "1",
                                   "--max-in-flight",
                                   "1",
                                   "-s",
                                   "50",
                                   "--report",
                                   (dir / "report.json").string(),
                                   "-o",
                                   (dir / "out").string(),
                                   in.string()};
  args.insert(args.begin(), stop_options.begin(), stop_options.end());
  return run(args);
}

// The report after a stopped run: `failed` failures first, then only files
// reported skipped with code cancelled and no outputs.
void expect_stopped_after(const ScratchDir& dir, const RunResult& r, std::size_t failed,
                          std::size_t total) {
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json report = parse_json(read_text(dir / "report.json"));
  EXPECT_EQ(report["summary"]["total"], total);
  EXPECT_EQ(report["summary"]["ok"], 0);
  EXPECT_EQ(report["summary"]["failed"], failed);
  EXPECT_EQ(report["summary"]["skipped"], total - failed);
  ASSERT_EQ(report["files"].size(), total);
  for (std::size_t i = 0; i < total; ++i) {
    const auto& f = report["files"][i];
    SCOPED_TRACE(f["input"].get<std::string>());
    if (i < failed) {
      EXPECT_EQ(f["status"], "failed");
      EXPECT_EQ(f["error"]["code"], "unknown-format");
    } else {
      EXPECT_EQ(f["status"], "skipped");
      EXPECT_EQ(f["error"]["code"], "cancelled");
      EXPECT_EQ(f["outputs"], json::array());
    }
  }
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{});
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), failed + 1) << describe(r);
  EXPECT_TRUE(starts_with(err.back(), "imgflow: " + std::to_string(total) + " files: 0 ok, " +
                                          std::to_string(failed) + " failed, " +
                                          std::to_string(total - failed) + " skipped in "))
      << err.back();
  EXPECT_TRUE(contains(err.back(), "stopped after too many errors")) << err.back();
}

TEST(Options, FailFastStopsAtTheFirstFailureAndSkipsTheRest) {
  {
    ScratchDir dir;
    expect_stopped_after(dir, run_stopping_batch(dir, 3, 3, {"--fail-fast"}), 1, 6);
  }
  {
    // Without it, every file is done.
    ScratchDir dir;
    const RunResult r = run_stopping_batch(dir, 3, 3, {});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(list_files(dir / "out"),
              (std::vector<std::string>{"b_good1.jpg", "b_good2.jpg", "b_good3.jpg"}));
  }
}

TEST(Options, MaxErrorsStopsAfterNFailures) {
  {
    ScratchDir dir;
    expect_stopped_after(dir, run_stopping_batch(dir, 3, 3, {"--max-errors", "2"}), 2, 6);
  }
  {
    // 3 failures stay under --max-errors 4: everything is done.
    ScratchDir dir;
    const RunResult r = run_stopping_batch(dir, 3, 3, {"--max-errors", "4"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const json report = parse_json(read_text(dir / "report.json"));
    EXPECT_EQ(report["summary"]["ok"], 3);
    EXPECT_EQ(report["summary"]["failed"], 3);
    EXPECT_EQ(report["summary"]["skipped"], 0);
  }
}

// --log-json has one object for every file of a stopped run too: the files
// never read come last, as the report shows them (skipped, cancelled).
TEST(Options, LogJsonListsTheFilesAStoppedRunNeverRead) {
  ScratchDir dir;
  const RunResult r = run_stopping_batch(dir, 3, 3, {"--max-errors", "2", "--log-json"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json report = parse_json(read_text(dir / "report.json"));
  std::map<std::string, json> by_input;
  for (const auto& f : report["files"]) by_input[f["input"]] = f;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  std::set<std::string> seen;
  std::size_t cancelled = 0;
  for (const auto& line : lines) {
    json f = parse_json(line);
    seen.insert(f["input"]);
    f.erase("timings_ms");
    json expected = by_input[f["input"]];
    expected.erase("timings_ms");
    EXPECT_EQ(f, expected);
    if (f.contains("error") && f["error"]["code"] == "cancelled") ++cancelled;
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(cancelled, 4u);
}

TEST(Options, NoFsyncWritesTheSameBytes) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().alpha, in / "b.png");
  std::vector<std::string> files;
  for (const char* mode : {"default", "nofsync"}) {
    const auto out = dir / mode;
    std::vector<std::string> args = {"-s", "120",  "-f", "keep",       "-f",       "webp",
                                     "-f", "tiff", "-o", out.string(), in.string()};
    if (std::string(mode) == "nofsync") args.insert(args.begin(), "--no-fsync");
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    if (files.empty()) files = list_files(out);
    EXPECT_EQ(list_files(out), files);
  }
  ASSERT_EQ(files.size(), 6u);
  for (const auto& name : files) {
    EXPECT_EQ(read_bytes(dir / "default" / name), read_bytes(dir / "nofsync" / name)) << name;
  }
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
}

TEST(Options, FilesFromFileOneALineOrNulSeparated) {
  ScratchDir dir;
  const std::string odd = "photos/sub/new\nline.jpg";  // only a NUL list can name it
  copy_to(photos().landscape, dir / "photos" / "a.jpg");
  copy_to(photos().portrait, dir / odd);
  copy_to(photos().alpha, dir / "photos" / "b.png");
  copy_to(photos().alpha, dir / "photos" / "not-listed.png");
  {
    std::string list = "photos/a.jpg";
    list.push_back('\0');
    list += odd;
    list.push_back('\0');
    write_text(dir / "list0", list);
    const RunResult r = run_imgflow(
        RunSpec({"--files-from", "list0", "-0", "-s", "50", "-o", "out0"}).in_dir(dir.path()));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    // Outputs keep the relative folders of the listed paths.
    EXPECT_EQ(list_files(dir / "out0"), (std::vector<std::string>{"photos/a.jpg", odd}));
    EXPECT_EQ(decoded_size(dir / "out0" / "photos" / "a.jpg"), cv::Size(50, 31));
    EXPECT_EQ(decoded_size(dir / "out0" / odd), cv::Size(31, 50));
  }
  {
    // One a line (CRLF too), plus an INPUT on the command line.
    write_text(dir / "list.txt", "photos/a.jpg\r\nphotos/b.png\n");
    const RunResult r =
        run_imgflow(RunSpec({"--files-from", "list.txt", "-s", "50", "-o", "out1", "photos/sub"})
                        .in_dir(dir.path()));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(dir / "out1"),
              (std::vector<std::string>{"new\nline.jpg", "photos/a.jpg", "photos/b.png"}));
  }
}

TEST(Options, FilesFromStdinThroughAPipe) {
  ScratchDir dir;
  const auto a = dir / "in" / "a.jpg";
  const auto odd = dir / "in" / "new\nline.jpg";
  copy_to(photos().landscape, a);
  copy_to(photos().portrait, odd);
  {
    const auto out = dir / "out0";
    const CommandResult r = run_command(
        {"/bin/sh", "-c",
         "printf '%s\\0%s\\0' \"$1\" \"$2\" | \"$0\" --files-from - -0 -s 50 --quiet -o \"$3\"",
         imgflow_binary().string(), a.string(), odd.string(), out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    // Absolute paths: outputs named after the file alone.
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"a.jpg", "new\nline.jpg"}));
    EXPECT_EQ(decoded_size(out / "a.jpg"), cv::Size(50, 31));
    EXPECT_EQ(decoded_size(out / "new\nline.jpg"), cv::Size(31, 50));
  }
  {
    const auto out = dir / "out1";
    const CommandResult r = run_command(
        {"/bin/sh", "-c", "printf '%s\\n' \"$1\" | \"$0\" --files-from - -s 50 -o \"$2\"",
         imgflow_binary().string(), a.string(), out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(list_files(out), std::vector<std::string>{"a.jpg"});
  }
}

TEST(Options, SkipExistingSkipsUpToDateOutputsOnly) {
  ScratchDir dir;
  const auto in = dir / "in";
  const auto out = dir / "out";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().alpha, in / "b.png");
  const std::vector<std::string> args = {"--skip-existing", "-s",       "64", "-o",
                                         out.string(),      in.string()};
  {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    ASSERT_EQ(list_files(out), (std::vector<std::string>{"a.jpg", "b.png"}));
  }
  const auto a_time = fs::last_write_time(out / "a.jpg");
  {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 1u) << describe(r);
    EXPECT_TRUE(is_summary_line(err[0], 2, 0, 0, 2)) << err[0];
    EXPECT_EQ(fs::last_write_time(out / "a.jpg"), a_time) << "rewritten";
  }
  {
    // A missing output is redone; the other is still up to date.
    fs::remove(out / "b.png");
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(is_summary_line(lines_of(r.err).back(), 2, 1, 0, 1)) << r.err;
    EXPECT_EQ(decoded_size(out / "b.png"), cv::Size(64, 40));
  }
  {
    // An input newer than its output is redone.
    fs::last_write_time(in / "a.jpg", a_time + std::chrono::seconds(10));
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(is_summary_line(lines_of(r.err).back(), 2, 1, 0, 1)) << r.err;
    EXPECT_NE(fs::last_write_time(out / "a.jpg"), a_time);
  }
}

TEST(Options, NameTemplateSetsTheOutputPath) {
  ScratchDir dir;
  const auto a = dir / "in" / "photo.jpg";
  copy_to(photos().landscape, a);
  {
    const auto out = dir / "out1";
    const RunResult r = run({"--name", "{stem}-{width}x{height}.{format}.{ext}", "-s", "200x", "-f",
                             "jpeg", "-f", "webp", "-o", out.string(), a.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(out),
              (std::vector<std::string>{"photo-200x125.jpeg.jpg", "photo-200x125.webp.webp"}));
    EXPECT_EQ(decoded_size(out / "photo-200x125.jpeg.jpg"), cv::Size(200, 125));
  }
  {
    // The README's example: one folder per size.
    const auto out = dir / "out2";
    const RunResult r = run({"--name", "{size}/{stem}.{ext}", "-s", "100x", "-s", "50%", "-o",
                             out.string(), a.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"100x/photo.jpg", "50pc/photo.jpg"}));
    EXPECT_EQ(decoded_size(out / "100x" / "photo.jpg"), cv::Size(100, 63));
    EXPECT_EQ(decoded_size(out / "50pc" / "photo.jpg"), cv::Size(200, 125));
  }
}

// ---------------------------------------------------------------------------
// Sizes and resizing
// ---------------------------------------------------------------------------

TEST(Options, SeveralSizesNameAtAsPxAndPercentAsPc) {
  ScratchDir dir;
  const auto a = dir / "a.jpg";
  copy_to(photos().landscape, a);  // 400x250
  const auto out = dir / "out";
  const RunResult r = run({"-s", "100x", "-s", "5000@", "-s", "50%", "-s", "10%", "-s", "80x80>",
                           "-o", out.string(), a.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"a_100x.jpg", "a_10pc.jpg", "a_5000px.jpg",
                                                       "a_50pc.jpg", "a_80x80.jpg"}));
  EXPECT_EQ(decoded_size(out / "a_100x.jpg"), cv::Size(100, 63));
  EXPECT_EQ(decoded_size(out / "a_50pc.jpg"), cv::Size(200, 125));
  EXPECT_EQ(decoded_size(out / "a_10pc.jpg"), cv::Size(40, 25));
  EXPECT_EQ(decoded_size(out / "a_80x80.jpg"), cv::Size(80, 50));
  // 5000@: at most 5000 pixels, the aspect ratio kept, and not far below.
  const cv::Size px = decoded_size(out / "a_5000px.jpg");
  EXPECT_LE(px.area(), 5000) << px;
  EXPECT_GE(px.area(), 4800) << px;
  EXPECT_NEAR(double(px.width) / px.height, 1.6, 0.04) << px;
}

TEST(Options, DefaultMaxPixelsIsCheckedFromTheHeaderAlone) {
  ScratchDir dir;
  // The default limit is 268402689 = 16383 x 16383.
  const auto over = dir / "over.png";    // 16383 x 16384: 16383 pixels too many
  const auto over1 = dir / "over1.png";  // 2 x 134201345: one pixel too many
  const auto at = dir / "at.png";        // exactly at the limit
  write_bytes(over, png_declaring(16383, 16384));
  write_bytes(over1, png_declaring(2, 134201345));
  write_bytes(at, png_declaring(16383, 16383));
  ASSERT_LT(read_bytes(over).size(), 200u);
  const RunResult r =
      run({"-s", "100", "-o", (dir / "out").string(), over.string(), over1.string(), at.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 4u) << describe(r);
  std::vector<std::string> sorted(err.begin(), err.end() - 1);
  std::sort(sorted.begin(), sorted.end());
  // at.png passes the pixel check; its (missing) data then fails it.
  EXPECT_TRUE(starts_with(sorted[0], "imgflow: " + at.string() + ": ")) << sorted[0];
  EXPECT_FALSE(contains(sorted[0], "too-many-pixels")) << sorted[0];
  EXPECT_EQ(sorted[1], "imgflow: " + over.string() +
                           ": too-many-pixels: 16383x16384 exceeds the limit of 268402689 pixels");
  EXPECT_EQ(sorted[2], "imgflow: " + over1.string() +
                           ": too-many-pixels: 2x134201345 exceeds the limit of 268402689 pixels");
  // Refused from the header: nothing of the declared 805 MB was allocated.
  if (!kSanitized) {
    EXPECT_LT(r.max_rss_kb, 150 * 1024);
  }

  // --max-pixels 0: no limit, so over.png gets as far as its data.
  const RunResult unlimited =
      run({"--max-pixels", "0", "-s", "100", "-o", (dir / "out").string(), over.string()});
  EXPECT_EQ(unlimited.exit_code, 1) << describe(unlimited);
  EXPECT_TRUE(starts_with(unlimited.err, "imgflow: " + over.string() + ": ")) << unlimited.err;
  EXPECT_FALSE(contains(unlimited.err, "too-many-pixels")) << unlimited.err;
}

TEST(Options, FitModesGiveExactSizes) {
  ScratchDir dir;
  const auto a = dir / "a.jpg";
  copy_to(photos().landscape, a);  // 400x250 into a 200x200 box
  struct Case {
    std::vector<std::string> args;
    cv::Size size;
  };
  const std::map<std::string, Case> cases = {
      {"inside", {{"--fit", "inside", "-s", "200x200"}, {200, 125}}},
      {"cover", {{"--fit", "cover", "-s", "200x200"}, {200, 200}}},
      {"contain", {{"--fit", "contain", "-s", "200x200"}, {200, 200}}},
      {"fill", {{"--fit", "fill", "-s", "200x200"}, {200, 200}}},
      {"outside", {{"--fit", "outside", "-s", "200x200"}, {320, 200}}},
      {"caret", {{"-s", "200x200^"}, {320, 200}}},  // = --fit outside
      {"bang", {{"-s", "200x200!"}, {200, 200}}},   // = --fit fill
  };
  std::map<std::string, cv::Mat> got;
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE(name);
    std::vector<std::string> args = c.args;
    for (const auto& s : {std::string("-f"), std::string("png"), std::string("-o"),
                          (dir / name).string(), a.string()}) {
      args.push_back(s);
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    got[name] = read_image(dir / name / "a.png");
    EXPECT_EQ(got[name].size(), c.size);
  }
  EXPECT_EQ(read_bytes(dir / "caret" / "a.png"), read_bytes(dir / "outside" / "a.png"));
  EXPECT_EQ(read_bytes(dir / "bang" / "a.png"), read_bytes(dir / "fill" / "a.png"));
  // contain pads (white by default) above and below the 200x125 image.
  EXPECT_TRUE(near_colour(got["contain"], 100, 0, {255, 255, 255}, 0));
  EXPECT_TRUE(near_colour(got["contain"], 100, 199, {255, 255, 255}, 0));
  // fill stretches the whole image; cover crops its sides.
  const cv::Mat source = read_image(a);
  cv::Mat stretched;
  cv::resize(source, stretched, {200, 200}, 0, 0, cv::INTER_AREA);
  EXPECT_LT(mean_abs_diff(got["fill"], stretched), 4.0);
  EXPECT_GT(mean_abs_diff(got["cover"], stretched), 8.0);
}

TEST(Options, GravityNorthSouthAndCentreCropTheFullResize) {
  ScratchDir dir;
  const auto p = dir / "p.jpg";
  copy_to(photos().portrait, p);  // 250x400: cover 200x100 scales to 200x320, then crops
  const RunResult full =
      run({"-s", "200x", "-f", "png", "-o", (dir / "full").string(), p.string()});
  ASSERT_EQ(full.exit_code, 0) << describe(full);
  const cv::Mat whole = read_image(dir / "full" / "p.png");
  ASSERT_EQ(whole.size(), cv::Size(200, 320));
  std::map<std::string, cv::Mat> crops;
  for (const auto& [gravity, top] :
       std::vector<std::pair<std::string, int>>{{"north", 0}, {"south", 220}, {"centre", 110}}) {
    SCOPED_TRACE(gravity);
    const auto out = dir / gravity;
    const RunResult r = run({"-s", "200x100", "--fit", "cover", "--gravity", gravity, "-f", "png",
                             "-o", out.string(), p.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    crops[gravity] = read_image(out / "p.png");
    ASSERT_EQ(crops[gravity].size(), cv::Size(200, 100));
    EXPECT_LE(max_abs_diff(crops[gravity], whole(cv::Rect(0, top, 200, 100))), 1.0);
  }
  EXPECT_GT(mean_abs_diff(crops["north"], crops["south"]), 5.0);
}

TEST(Options, BackgroundPadsContainAndFlattensAlphaForJpeg) {
  ScratchDir dir;
  const auto a = dir / "a.jpg";
  copy_to(photos().landscape, a);
  // contain: 200x125 placed in 200x200, padding above and below.
  for (const char* colour : {"#204080", "32,64,128"}) {
    SCOPED_TRACE(colour);
    const auto out = dir / (std::string("contain") + (colour[0] == '#' ? "hex" : "rgb"));
    const RunResult r = run({"-s", "200x200", "--fit", "contain", "--background", colour, "-f",
                             "png", "-o", out.string(), a.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const cv::Mat m = read_image(out / "a.png");
    ASSERT_EQ(m.size(), cv::Size(200, 200));
    ASSERT_EQ(m.channels(), 3);
    for (int y : {0, 30, 170, 199}) {
      for (int x : {0, 100, 199}) EXPECT_TRUE(near_colour(m, x, y, {0x80, 0x40, 0x20}, 2));
    }
    EXPECT_FALSE(near_colour(m, 100, 100, {0x80, 0x40, 0x20}, 10)) << "the photo is not there";
  }
  {
    // transparent: the padding has alpha 0 in a PNG (see also
    // BackgroundTransparentPadsAnOpaqueInputWithAlpha).
    const RunResult r =
        run({"-s", "200x200", "--fit", "contain", "--background", "transparent", "-f", "png", "-o",
             (dir / "transparent").string(), photos().alpha.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const cv::Mat m = read_image(dir / "transparent" / "alpha.png");
    ASSERT_EQ(m.channels(), 4);
    EXPECT_EQ(m.at<cv::Vec4b>(0, 100)[3], 0);
    EXPECT_EQ(m.at<cv::Vec4b>(100, 100)[3], 255);
  }
  // alpha.png as JPEG: its transparent corner flattened onto the colour.
  const auto alpha = dir / "alpha.png";
  copy_to(photos().alpha, alpha);
  const cv::Mat source = read_image(alpha);
  ASSERT_EQ(source.channels(), 4);
  ASSERT_EQ(source.at<cv::Vec4b>(4, 4)[3], 0) << "the fixture's corner should be transparent";
  ASSERT_EQ(source.at<cv::Vec4b>(125, 200)[3], 255) << "the fixture's centre should be opaque";
  for (const auto& [colour, bgr] : std::vector<std::pair<std::string, std::vector<int>>>{
           {"white", {255, 255, 255}}, {"#ff0000", {0, 0, 255}}, {"0,128,255", {255, 128, 0}}}) {
    SCOPED_TRACE(colour);
    const auto out = dir / numbered("flat", bgr[0] * 1000 + bgr[2], "");
    std::vector<std::string> args = {"-f",  "jpeg", "-q",         "95",          "--chroma",
                                     "444", "-o",   out.string(), alpha.string()};
    if (colour != "white") {
      args.insert(args.begin(), colour);
      args.insert(args.begin(), "--background");
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const cv::Mat m = read_image(out / "alpha.jpg");
    ASSERT_EQ(m.size(), cv::Size(400, 250));
    ASSERT_EQ(m.channels(), 3);
    EXPECT_TRUE(near_colour(m, 4, 4, bgr, 2));
    EXPECT_TRUE(near_colour(m, 395, 245, bgr, 2));
    // The opaque middle is the photo itself.
    cv::Mat opaque;
    cv::cvtColor(source(cv::Rect(190, 115, 20, 20)), opaque, cv::COLOR_BGRA2BGR);
    EXPECT_LT(mean_abs_diff(m(cv::Rect(190, 115, 20, 20)), opaque), 4.0);
  }
}

// `--fit contain --background transparent` on an opaque input (a JPEG): the
// PNG gains an alpha channel and its padding is see-through (it was opaque
// black before the canvas learnt to add alpha).
TEST(Options, BackgroundTransparentPadsAnOpaqueInputWithAlpha) {
  ScratchDir dir;
  const RunResult r = run({"-s", "200x200", "--fit", "contain", "--background", "transparent", "-f",
                           "png", "-o", (dir / "out").string(), photos().landscape.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const cv::Mat m = read_image(dir / "out" / "landscape.png");
  ASSERT_EQ(m.size(), cv::Size(200, 200));
  ASSERT_EQ(m.channels(), 4) << "no alpha channel: the padding cannot be transparent";
  EXPECT_EQ(m.at<cv::Vec4b>(0, 100)[3], 0);
  EXPECT_EQ(m.at<cv::Vec4b>(199, 100)[3], 0);
  EXPECT_EQ(m.at<cv::Vec4b>(100, 100)[3], 255);
}

TEST(Options, EnlargeOnlyWithTheFlag) {
  ScratchDir dir;
  const auto a = dir / "a.jpg";
  copy_to(photos().landscape, a);
  const RunResult plain = run({"-s", "800x", "-o", (dir / "plain").string(), a.string()});
  EXPECT_EQ(plain.exit_code, 0) << describe(plain);
  EXPECT_EQ(decoded_size(dir / "plain" / "a.jpg"), cv::Size(400, 250));
  const RunResult enlarged =
      run({"--enlarge", "-s", "800x", "-o", (dir / "enlarged").string(), a.string()});
  EXPECT_EQ(enlarged.exit_code, 0) << describe(enlarged);
  EXPECT_EQ(decoded_size(dir / "enlarged" / "a.jpg"), cv::Size(800, 500));
}

// Runs `-s size -f png --filter filter` on `input` and returns the decoded output.
cv::Mat resized_with(const ScratchDir& dir, const fs::path& input, const std::string& filter,
                     const std::string& size, bool enlarge = false) {
  const auto out = dir / ("f-" + filter + "-" + size);
  std::vector<std::string> args = {"--filter", filter, "-s",         size,          "-f",
                                   "png",      "-o",   out.string(), input.string()};
  if (enlarge) args.insert(args.begin(), "--enlarge");
  const RunResult r = run(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return read_image(out / (input.stem().string() + ".png"));
}

TEST(Options, FiltersGiveExactSizesAndNearestSamplesSourcePixels) {
  ScratchDir dir;
  const auto input = dir / "synthetic.png";
  const cv::Mat source = make_test_pixels(64, 64, 3, 5);
  write_pixels(input, source);
  std::map<std::string, cv::Mat> halves;
  for (const char* filter : {"auto", "nearest", "area", "linear", "cubic", "lanczos"}) {
    SCOPED_TRACE(filter);
    halves[filter] = resized_with(dir, input, filter, "32x32");
    EXPECT_EQ(halves[filter].size(), cv::Size(32, 32));
    EXPECT_EQ(resized_with(dir, input, filter, "45x45!").size(), cv::Size(45, 45));
    EXPECT_EQ(resized_with(dir, input, filter, "100x100!", true).size(), cv::Size(100, 100));
  }
  // nearest on an exact 2x downscale: every pixel is one source pixel, on a
  // fixed grid (whichever of the four phases the filter uses).
  const cv::Mat& nearest = halves["nearest"];
  bool on_a_grid = false;
  for (int dy = 0; dy < 2 && !on_a_grid; ++dy) {
    for (int dx = 0; dx < 2 && !on_a_grid; ++dx) {
      bool all = true;
      for (int y = 0; y < 32 && all; ++y) {
        for (int x = 0; x < 32 && all; ++x) {
          all = nearest.at<cv::Vec3b>(y, x) == source.at<cv::Vec3b>(2 * y + dy, 2 * x + dx);
        }
      }
      on_a_grid = all;
    }
  }
  EXPECT_TRUE(on_a_grid) << "nearest's pixels are not source pixels";
  // area on an exact 2x downscale: the mean of each 2x2 block.
  cv::Mat blocks;
  cv::resize(source, blocks, {32, 32}, 0, 0, cv::INTER_AREA);
  EXPECT_LE(max_abs_diff(halves["area"], blocks), 1.0);
  EXPECT_GT(mean_abs_diff(nearest, halves["lanczos"]), 3.0);
  EXPECT_GT(mean_abs_diff(nearest, halves["auto"]), 3.0);
}

// README: auto box-averages by whole factors while at least twice the output
// size remains, then resamples with Lanczos-3 (enlarging too).
TEST(Options, FilterAutoIsABoxShrinkThenLanczos) {
  ScratchDir dir;
  const auto input = dir / "synthetic.png";
  write_pixels(input, make_test_pixels(64, 64, 3, 6));
  // Shrinking by 4: a 2x box average to 32x32, then Lanczos-3 to 16x16.
  const cv::Mat boxed = resized_with(dir, input, "area", "32x32");
  write_pixels(dir / "boxed.png", boxed);
  const cv::Mat two_steps = resized_with(dir, dir / "boxed.png", "lanczos", "16x16");
  const cv::Mat automatic = resized_with(dir, input, "auto", "16x16");
  EXPECT_LE(max_abs_diff(automatic, two_steps), 1.0);
  EXPECT_GT(mean_abs_diff(automatic, resized_with(dir, input, "lanczos", "16x16")), 0.5)
      << "no box step";
  // Less than 2x smaller, and enlarging: Lanczos-3 alone (not area, not cubic).
  EXPECT_TRUE(same_pixels(resized_with(dir, input, "auto", "40x40"),
                          resized_with(dir, input, "lanczos", "40x40")));
  const cv::Mat up = resized_with(dir, input, "auto", "100x100", true);
  EXPECT_TRUE(same_pixels(up, resized_with(dir, input, "lanczos", "100x100", true)));
  EXPECT_GT(mean_abs_diff(up, resized_with(dir, input, "cubic", "100x100", true)), 0.5);
}

// ---------------------------------------------------------------------------
// JPEG decoding and metadata
// ---------------------------------------------------------------------------

TEST(Options, ShrinkMarginChoosesTheDecodeScale) {
  // kite.jpg is 2000 px wide; for 480 px the shrink-on-load scale is the
  // smallest of 1/8, 1/4, 1/2 that keeps X * 480 px: 1/4 (500 px) for X = 1,
  // 1/2 (1000 px) for 1.25 (the default) and 1.9, none for 2.5 and 8.
  ScratchDir dir;
  std::map<std::string, Bytes> out;
  for (const char* margin : {"default", "1", "1.25", "1.9", "2.5", "8"}) {
    std::vector<std::string> args = {"-s", "480x", "-o", (dir / margin).string(),
                                     (sample_dir() / "kite.jpg").string()};
    if (std::string(margin) != "default") {
      args.insert(args.begin(), margin);
      args.insert(args.begin(), "--shrink-margin");
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    out[margin] = read_bytes(dir / margin / "kite.jpg");
    EXPECT_EQ(decoded_size(dir / margin / "kite.jpg"), cv::Size(480, 300)) << margin;
  }
  EXPECT_EQ(out["1.25"], out["default"]);
  EXPECT_EQ(out["1.9"], out["default"]);
  EXPECT_EQ(out["2.5"], out["8"]);
  EXPECT_NE(out["1"], out["default"]);
  EXPECT_NE(out["2.5"], out["default"]);
  EXPECT_NE(out["1"], out["8"]);
}

TEST(Options, ProgressiveBitsStopsReadingScansEarly) {
  ScratchDir dir;
  // cold_ripple.jpg is progressive (2000x1250), shrunk on load at 1/2 for 480 px.
  auto resized = [&](const fs::path& input, const char* bits) {
    const auto out = dir / (input.stem().string() + bits);
    std::vector<std::string> args = {"-s", "480x", "-f", "png", "-o", out.string(), input.string()};
    if (std::string(bits) != "default") {
      args.insert(args.begin(), bits);
      args.insert(args.begin(), "--progressive-bits");
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return read_image(out / (input.stem().string() + ".png"));
  };
  const fs::path progressive = sample_dir() / "cold_ripple.jpg";
  const cv::Mat by_default = resized(progressive, "default");
  const cv::Mat two = resized(progressive, "2");
  const cv::Mat all = resized(progressive, "-1");
  ASSERT_EQ(by_default.size(), cv::Size(480, 300));
  EXPECT_TRUE(same_pixels(by_default, two)) << "the default is not 2";
  EXPECT_FALSE(same_pixels(by_default, all)) << "-1 should read every scan";
  EXPECT_GT(cv::PSNR(by_default, all), 40.0);
  // A baseline JPEG has no scans to skip.
  const fs::path baseline = sample_dir() / "kite.jpg";
  EXPECT_TRUE(same_pixels(resized(baseline, "2"), resized(baseline, "-1")));
}

TEST(Options, KeepIccEmbedsTheOriginalProfileInsteadOfConverting) {
  ScratchDir dir;
  const Bytes profile = wide_gamut_profile();
  ASSERT_GT(profile.size(), 128u);
  ASSERT_LT(profile.size(), 60000u);
  Bytes app2 = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0, 1, 1};
  app2.insert(app2.end(), profile.begin(), profile.end());
  const Bytes plain = read_bytes(photos().landscape);
  write_bytes(dir / "in" / "tagged.jpg", with_segment(plain, 0xE2, app2));
  write_bytes(dir / "in" / "untagged.jpg", plain);
  ASSERT_EQ(jpeg_icc(read_bytes(dir / "in" / "tagged.jpg")), profile);

  const RunResult converted =
      run({"-s", "200", "-o", (dir / "converted").string(), (dir / "in").string()});
  ASSERT_EQ(converted.exit_code, 0) << describe(converted);
  const RunResult kept =
      run({"--keep-icc", "-s", "200", "-o", (dir / "kept").string(), (dir / "in").string()});
  ASSERT_EQ(kept.exit_code, 0) << describe(kept);

  // Default: converted to sRGB, no profile in the output.
  EXPECT_EQ(jpeg_icc(read_bytes(dir / "converted" / "tagged.jpg")), Bytes{});
  // --keep-icc: the original profile, and the pixels as stored (like the
  // same photo without a profile).
  EXPECT_EQ(jpeg_icc(read_bytes(dir / "kept" / "tagged.jpg")), profile);
  const cv::Mat untagged = read_image(dir / "converted" / "untagged.jpg");
  EXPECT_LT(mean_abs_diff(read_image(dir / "kept" / "tagged.jpg"), untagged), 0.5);
  EXPECT_GT(mean_abs_diff(read_image(dir / "converted" / "tagged.jpg"), untagged), 3.0);
}

TEST(Options, KeepMetadataCopiesExifWithOrientationOne) {
  ScratchDir dir;
  const auto input = dir / "in" / "turned.jpg";
  write_bytes(input, with_segment(read_bytes(photos().landscape), 0xE1, exif_payload(6)));
  {
    const TiffReader exif(jpeg_exif_tiff(read_bytes(input)));
    ASSERT_EQ(exif.short_value(0x0112), 6);
    ASSERT_EQ(exif.ascii_value(0x010F), "imgflow-test");
  }
  const RunResult stripped = run({"-s", "200", "-o", (dir / "stripped").string(), input.string()});
  ASSERT_EQ(stripped.exit_code, 0) << describe(stripped);
  const RunResult kept =
      run({"--keep-metadata", "-s", "200", "-o", (dir / "kept").string(), input.string()});
  ASSERT_EQ(kept.exit_code, 0) << describe(kept);

  const Bytes without = read_bytes(dir / "stripped" / "turned.jpg");
  EXPECT_FALSE(has_marker(jpeg_segments(without), 0xE1)) << "EXIF kept by default";
  const Bytes with = read_bytes(dir / "kept" / "turned.jpg");
  const Bytes tiff = jpeg_exif_tiff(with);
  ASSERT_FALSE(tiff.empty()) << "no EXIF in the --keep-metadata output";
  const TiffReader exif(tiff);
  EXPECT_EQ(exif.short_value(0x0112), 1) << "orientation not reset";
  EXPECT_EQ(exif.ascii_value(0x010F), "imgflow-test");
  // Both upright: 250x400 stored as 400x250 with orientation 6.
  EXPECT_EQ(decoded_size(dir / "kept" / "turned.jpg"), cv::Size(125, 200));
  EXPECT_EQ(decoded_size(dir / "stripped" / "turned.jpg"), cv::Size(125, 200));
}

// ---------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------

// Runs `extra` + `-s 200 -o DIR/tag landscape.jpg` and returns the output's bytes.
Bytes encoded_with(const ScratchDir& dir, const std::string& tag,
                   const std::vector<std::string>& extra, const std::string& output_name) {
  std::vector<std::string> args = extra;
  for (const auto& s : {std::string("-s"), std::string("200"), std::string("-o"),
                        (dir / tag).string(), photos().landscape.string()}) {
    args.push_back(s);
  }
  const RunResult r = run(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return read_bytes(dir / tag / output_name);
}

TEST(Options, ChromaSetsTheJpegSamplingFactors) {
  ScratchDir dir;
  // Y 2x2 and Cb, Cr 1x1 for 4:2:0; all 1x1 for 4:4:4.
  EXPECT_EQ(jpeg_sampling_factors(encoded_with(dir, "default", {}, "landscape.jpg")),
            (std::vector<int>{0x22, 0x11, 0x11}));
  EXPECT_EQ(jpeg_sampling_factors(encoded_with(dir, "420", {"--chroma", "420"}, "landscape.jpg")),
            (std::vector<int>{0x22, 0x11, 0x11}));
  EXPECT_EQ(jpeg_sampling_factors(encoded_with(dir, "444", {"--chroma", "444"}, "landscape.jpg")),
            (std::vector<int>{0x11, 0x11, 0x11}));
}

TEST(Options, ProgressiveWritesSof2) {
  ScratchDir dir;
  const auto baseline = jpeg_segments(encoded_with(dir, "default", {}, "landscape.jpg"));
  EXPECT_TRUE(has_marker(baseline, 0xC0) || has_marker(baseline, 0xC1));
  EXPECT_FALSE(has_marker(baseline, 0xC2));
  const Bytes bytes = encoded_with(dir, "progressive", {"--progressive"}, "landscape.jpg");
  const auto progressive = jpeg_segments(bytes);
  EXPECT_TRUE(has_marker(progressive, 0xC2));
  EXPECT_FALSE(has_marker(progressive, 0xC0));
  EXPECT_EQ(decoded_size(dir / "progressive" / "landscape.jpg"), cv::Size(200, 125));
}

TEST(Options, QualityChangesTheFileSize) {
  ScratchDir dir;
  for (const char* format : {"jpeg", "webp"}) {
    SCOPED_TRACE(format);
    const std::string name = std::string("landscape.") + (format[0] == 'j' ? "jpg" : "webp");
    const auto low =
        encoded_with(dir, std::string(format) + "30", {"-f", format, "-q", "30"}, name);
    const auto high =
        encoded_with(dir, std::string(format) + "95", {"-f", format, "-q", "95"}, name);
    const auto normal = encoded_with(dir, std::string(format) + "default", {"-f", format}, name);
    const auto q85 =
        encoded_with(dir, std::string(format) + "85", {"-f", format, "-q", "85"}, name);
    EXPECT_LT(low.size(), normal.size());
    EXPECT_LT(normal.size(), high.size());
    EXPECT_EQ(normal, q85) << "the default quality is not 85";
  }
}

TEST(Options, PngCompressionLevelChangesSizeNotPixels) {
  ScratchDir dir;
  const auto none =
      encoded_with(dir, "0", {"-f", "png", "--png-compression", "0"}, "landscape.png");
  const auto best =
      encoded_with(dir, "9", {"-f", "png", "--png-compression", "9"}, "landscape.png");
  EXPECT_GT(none.size(), best.size() + best.size() / 4);
  // Level 0 stores: at least the raw pixels (200x125x3).
  EXPECT_GE(none.size(), 200u * 125u * 3u);
  const cv::Mat a = read_image(dir / "0" / "landscape.png");
  const cv::Mat b = read_image(dir / "9" / "landscape.png");
  ASSERT_EQ(a.size(), cv::Size(200, 125));
  EXPECT_TRUE(same_pixels(a, b));
}

TEST(Options, LosslessWebpEqualsThePngOutputOfTheSameRun) {
  ScratchDir dir;
  const RunResult r = run({"-s", "200", "-f", "png", "-f", "webp", "--lossless", "-o",
                           (dir / "lossless").string(), photos().landscape.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(list_files(dir / "lossless"),
            (std::vector<std::string>{"landscape.png", "landscape.webp"}));
  const cv::Mat png = read_image(dir / "lossless" / "landscape.png");
  const cv::Mat webp = read_image(dir / "lossless" / "landscape.webp");
  ASSERT_EQ(png.size(), cv::Size(200, 125));
  EXPECT_TRUE(same_pixels(png, webp)) << "max difference " << max_abs_diff(png, webp);
  // Without --lossless: lossy.
  const RunResult lossy = run({"-s", "200", "-f", "png", "-f", "webp", "-o",
                               (dir / "lossy").string(), photos().landscape.string()});
  EXPECT_EQ(lossy.exit_code, 0) << describe(lossy);
  EXPECT_FALSE(same_pixels(read_image(dir / "lossy" / "landscape.png"),
                           read_image(dir / "lossy" / "landscape.webp")));
}

long tiff_compression_tag(const fs::path& path) {
  const Bytes b = read_bytes(path);
  return TiffReader(b).short_value(259);
}

TEST(Options, TiffCompressionNoneAndLzwSetTheCompressionTag) {
  ScratchDir dir;
  for (const auto& [option, tag] :
       std::vector<std::pair<std::string, long>>{{"default", 5}, {"none", 1}, {"lzw", 5}}) {
    SCOPED_TRACE(option);
    std::vector<std::string> extra = {"-f", "tiff"};
    if (option != "default") extra.insert(extra.end(), {"--tiff-compression", option});
    encoded_with(dir, option, extra, "landscape.tif");
    EXPECT_EQ(tiff_compression_tag(dir / option / "landscape.tif"), tag);
    EXPECT_EQ(decoded_size(dir / option / "landscape.tif"), cv::Size(200, 125));
  }
}

// --tiff-compression deflate writes code 8 (Adobe Deflate, the one the TIFF
// spec registers), silently: the legacy 32946 it wrote before made libtiff
// print "Creating TIFF with legacy Deflate codec identifier" for every file.
TEST(Options, TiffCompressionDeflateWritesTheAdobeDeflateCode) {
  ScratchDir dir;
  const RunResult r = run({"-f", "tiff", "--tiff-compression", "deflate", "-s", "200", "-o",
                           (dir / "out").string(), photos().landscape.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(decoded_size(dir / "out" / "landscape.tif"), cv::Size(200, 125));
  EXPECT_EQ(tiff_compression_tag(dir / "out" / "landscape.tif"), 8);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 1u) << describe(r);
  EXPECT_TRUE(is_summary_line(err[0], 1, 1, 0, 0)) << err[0];
}

// ---------------------------------------------------------------------------
// Concurrency and memory settings
// ---------------------------------------------------------------------------

TEST(Options, ConcurrencySettingsGiveIdenticalOutputs) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().portrait, in / "b.jpg");
  copy_to(photos().alpha, in / "c.png");
  copy_to(sample_dir() / "more" / "evening_glow.webp", in / "d.webp");
  write_pixels(in / "e.png", make_test_pixels(300, 200, 3, 9));
  const std::vector<std::vector<std::string>> settings = {{},
                                                          {"-j", "1"},
                                                          {"-j", "2"},
                                                          {"--readers", "1"},
                                                          {"--readers", "3"},
                                                          {"--writers", "1"},
                                                          {"--writers", "3"},
                                                          {"--max-in-flight", "1"},
                                                          {"--max-in-flight", "8"},
                                                          {"--max-memory", "1"},
                                                          {"--max-memory", "512M"}};
  std::vector<std::string> files;
  for (std::size_t i = 0; i < settings.size(); ++i) {
    std::vector<std::string> args = settings[i];
    const std::string tag = numbered("run", static_cast<int>(i), "");
    for (const auto& s : {std::string("-s"), std::string("150"), std::string("-o"),
                          (dir / tag).string(), in.string()}) {
      args.push_back(s);
    }
    SCOPED_TRACE(settings[i].empty() ? "default" : settings[i][0] + " " + settings[i][1]);
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    if (i == 0) {
      files = list_files(dir / tag);
      ASSERT_EQ(files.size(), 5u);
      continue;
    }
    ASSERT_EQ(list_files(dir / tag), files);
    for (const auto& name : files) {
      EXPECT_EQ(read_bytes(dir / tag / name), read_bytes(dir / "run0" / name)) << name;
    }
  }
}

// Four PNGs of 4000x4000 (48 MB each decoded, 0.2 MB on disk): with one image
// in flight, or a memory budget below two images, the peak stays below 1.5
// images above a tiny run's; by default two decode at once. --filter area
// keeps them on the whole-image path; with the default filter they stream
// row by row into the resizer and never come near one image.
TEST(Options, MaxInFlightAndMaxMemoryBoundPeakMemory) {
  if (kSanitized) GTEST_SKIP() << "peak RSS means nothing under a sanitizer";
  ScratchDir dir;
  const auto in = dir / "in";
  {
    // Freed before the runs: a child's peak RSS starts at this process's RSS
    // when it forks (Linux keeps the high-water mark across exec).
    const cv::Mat flat(4000, 4000, CV_8UC3, cv::Scalar(40, 90, 160));
    write_pixels(in / "m0.png", flat);
  }
  for (int i = 1; i < 4; ++i) fs::copy_file(in / "m0.png", in / numbered("m", i, ".png"));
  const long image_kb = 4000L * 4000 * 3 / 1024;
  write_pixels(dir / "tiny.png", make_test_pixels(8, 8, 3));
  const long baseline_kb =
      run({"-o", (dir / "tiny_out").string(), (dir / "tiny.png").string()}).max_rss_kb;
  std::map<std::string, long> peaks;
  for (const auto& setting : std::vector<std::vector<std::string>>{
           {}, {"--max-in-flight", "1"}, {"--max-memory", "1"}, {"--max-memory", "80M"}}) {
    const std::string tag = setting.empty() ? "default" : setting[0] + " " + setting[1];
    std::vector<std::string> args = setting;
    for (const auto& s : {std::string("-j"), std::string("2"), std::string("-s"),
                          std::string("100"), std::string("--filter"), std::string("area"),
                          std::string("-o"), (dir / "out").string(), in.string()}) {
      args.push_back(s);
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << tag << ": " << describe(r);
    peaks[tag] = r.max_rss_kb;
    std::printf("peak RSS %s: %ld KB (a tiny run: %ld KB, one image %ld KB)\n", tag.c_str(),
                r.max_rss_kb, baseline_kb, image_kb);
    if (!setting.empty()) {
      EXPECT_LT(r.max_rss_kb, baseline_kb + image_kb * 3 / 2) << tag;
    }
  }
  // The bound means something: without a setting it is exceeded.
  EXPECT_GT(peaks["default"], baseline_kb + image_kb * 3 / 2);
  const RunResult streamed =
      run({"-j", "2", "-s", "100", "-o", (dir / "streamed").string(), in.string()});
  EXPECT_EQ(streamed.exit_code, 0) << describe(streamed);
  std::printf("peak RSS streamed: %ld KB\n", streamed.max_rss_kb);
  EXPECT_LT(streamed.max_rss_kb, baseline_kb + image_kb / 4);
}

// ---------------------------------------------------------------------------
// Limits and error codes
// ---------------------------------------------------------------------------

TEST(Options, AllowTruncatedAcceptsAHalfJpegGreyPadded) {
  ScratchDir dir;
  Bytes half = read_bytes(photos().landscape);
  half.resize(half.size() / 2);
  const auto input = dir / "half.jpg";
  write_bytes(input, half);
  {
    const RunResult r = run({"-f", "png", "-o", (dir / "refused").string(), input.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(starts_with(r.err, "imgflow: " + input.string() + ": truncated-input: ")) << r.err;
    EXPECT_EQ(list_files(dir / "refused"), std::vector<std::string>{});
  }
  const RunResult r =
      run({"--allow-truncated", "-f", "png", "-o", (dir / "accepted").string(), input.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + input.string() + ": warning: ")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 1, 1, 0, 0)) << err[1];
  const cv::Mat m = read_image(dir / "accepted" / "half.png");
  ASSERT_EQ(m.size(), cv::Size(400, 250));
  // The top is the photo, the bottom rows grey.
  const cv::Mat whole = read_image(photos().landscape);
  EXPECT_LT(mean_abs_diff(m(cv::Rect(0, 0, 400, 40)), whole(cv::Rect(0, 0, 400, 40))), 1.0);
  for (int x = 0; x < 400; x += 50) EXPECT_TRUE(near_colour(m, x, 249, {128, 128, 128}, 2));
}

TEST(ErrorCodes, InputTooLargeAboveMaxFileSize) {
  ScratchDir dir;
  const auto small = dir / "in" / "small.jpg";
  const auto large = dir / "in" / "large.png";
  copy_to(photos().landscape, small);
  copy_to(photos().alpha, large);
  const auto small_size = fs::file_size(small);
  const auto large_size = fs::file_size(large);
  ASSERT_LT(small_size, large_size);
  {
    // Exactly the limit is accepted; one byte more is not.
    const auto out = dir / "out1";
    const RunResult r = run({"--max-file-size", std::to_string(small_size), "-s", "50", "-o",
                             out.string(), small.string(), large.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 2u) << describe(r);
    EXPECT_EQ(err[0], "imgflow: " + large.string() + ": input-too-large: file is " +
                          std::to_string(large_size) + " bytes, over the limit of " +
                          std::to_string(small_size));
    EXPECT_TRUE(is_summary_line(err[1], 2, 1, 1, 0)) << err[1];
    EXPECT_EQ(list_files(out), std::vector<std::string>{"small.jpg"});
  }
  {
    const auto out = dir / "out2";
    const RunResult r = run({"--max-file-size", std::to_string(small_size - 1), "-s", "50", "-o",
                             out.string(), small.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(starts_with(r.err, "imgflow: " + small.string() + ": input-too-large: ")) << r.err;
  }
  {
    // 0: no limit.
    const auto out = dir / "out3";
    const RunResult r = run(
        {"--max-file-size", "0", "-s", "50", "-o", out.string(), small.string(), large.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"large.png", "small.jpg"}));
  }
}

// README: "Should two inputs still meet at one output once their content is
// known (a PNG named x.jpg beside x.png), the second fails with
// output-conflict instead of replacing the first."
TEST(ErrorCodes, OutputConflictWhenContentMapsTwoInputsToOnePath) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().alpha, in / "x.jpg");  // PNG content: x.png under -f keep
  write_pixels(in / "x.png", make_test_pixels(120, 80, 3, 4));
  const auto out = dir / "out";
  const RunResult r = run({"--report", "-", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json report = parse_json(r.out);
  ASSERT_EQ(report["files"].size(), 2u) << r.out;
  std::string winner, loser;
  for (const auto& f : report["files"]) {
    if (f["status"] == "ok") winner = f["input"].get<std::string>();
    if (f["status"] == "failed") {
      loser = f["input"].get<std::string>();
      EXPECT_EQ(f["error"]["code"], "output-conflict");
      EXPECT_EQ(f["outputs"], json::array());
    }
  }
  ASSERT_FALSE(winner.empty()) << r.out;
  ASSERT_FALSE(loser.empty()) << r.out;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_EQ(err[0], "imgflow: " + loser + ": output-conflict: " + (out / "x.png").string() +
                        " was already written by another input of this run");
  // The one output is the winner's, whole.
  EXPECT_EQ(list_files(out), std::vector<std::string>{"x.png"});
  const cv::Size winner_size =
      winner == (in / "x.png").string() ? cv::Size(120, 80) : cv::Size(400, 250);
  EXPECT_EQ(decoded_size(out / "x.png"), winner_size);
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
}

// decode-error is the codec failing on a valid file. The way to make that
// happen from outside: a valid image larger than the memory the process may
// have (--max-pixels 0 would allow it; here 12000x12000 is under the default
// limit), in a process whose address space is capped (as a container's memory
// limit would). The decoder cannot allocate the 432 MB image. (--filter area:
// with the default filter the PNG would stream row by row, never allocating
// the image, and be found truncated.)
TEST(ErrorCodes, DecodeErrorWhenTheDecoderRunsOutOfMemory) {
  if (kSanitized) GTEST_SKIP() << "a sanitizer's shadow memory needs an uncapped address space";
  ScratchDir dir;
  const auto big = dir / "big.png";
  write_bytes(big, png_declaring(12000, 12000));
  const auto good = dir / "good.jpg";
  copy_to(photos().landscape, good);
  const auto out = dir / "out";
  const CommandResult r = run_command(
      {"/bin/sh", "-c",
       "ulimit -v 300000 && exec \"$0\" -j 1 -s 100 --filter area -o \"$1\" \"$2\" \"$3\"",
       imgflow_binary().string(), out.string(), big.string(), good.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << r.err;
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + big.string() + ": decode-error: ")) << err[0];
  EXPECT_TRUE(contains(err[0], "memory")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 2, 1, 1, 0)) << err[1];
  // The same cap leaves room for the good file.
  EXPECT_EQ(list_files(out), std::vector<std::string>{"good.jpg"});
  EXPECT_EQ(decoded_size(out / "good.jpg"), cv::Size(100, 63));
}

// resize-error: the decode fits, the enlarged image does not. Under a 600 MB
// address-space cap, 2000x1250 enlarged to 20000x12500 needs a 3 GB float
// buffer; a 20000x2 strip in the same run needs no resize and is written.
TEST(ErrorCodes, ResizeErrorWhenTheResizeRunsOutOfMemory) {
  if (kSanitized) GTEST_SKIP() << "a sanitizer's shadow memory needs an uncapped address space";
  ScratchDir dir;
  const auto photo = dir / "photo.jpg";
  copy_to(photos().landscape, photo);
  const auto strip = dir / "strip.png";
  write_pixels(strip, make_test_pixels(20000, 2, 3, 9));
  const auto out = dir / "out";
  const CommandResult r = run_command(
      {"/bin/sh", "-c",
       "ulimit -v 600000 && exec \"$0\" -j 1 -s 20000x --enlarge -o \"$1\" \"$2\" \"$3\"",
       imgflow_binary().string(), out.string(), photo.string(), strip.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << r.err;
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + photo.string() + ": resize-error: ")) << err[0];
  EXPECT_TRUE(contains(err[0], "memory")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 2, 1, 1, 0)) << err[1];
  EXPECT_EQ(list_files(out), std::vector<std::string>{"strip.png"});
  EXPECT_EQ(decoded_size(out / "strip.png"), cv::Size(20000, 2));
}

// encode-error: WebP cannot hold an image wider than 16383 px; the same
// 16384x4 image is fine as PNG.
TEST(ErrorCodes, EncodeErrorForAWebpWiderThan16383) {
  ScratchDir dir;
  const auto wide = dir / "wide.png";
  write_pixels(wide, make_test_pixels(16384, 4, 3, 7));
  const RunResult r = run({"-f", "webp", "-o", (dir / "webp").string(), wide.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + wide.string() + ": encode-error: ")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 1, 0, 1, 0)) << err[1];
  EXPECT_EQ(list_files(dir / "webp"), std::vector<std::string>{});
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
  const RunResult png = run({"-f", "png", "-o", (dir / "png").string(), wide.string()});
  EXPECT_EQ(png.exit_code, 0) << describe(png);
  EXPECT_EQ(decoded_size(dir / "png" / "wide.png"), cv::Size(16384, 4));
}

}  // namespace
}  // namespace imgflow::test
