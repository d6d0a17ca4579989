// Every documented option and error code, exercised through the REAL imgflow
// binary (issue 9, item 4). kCoverage below names, for each option of
// `imgflow --help` and of README.md's "Command line" block, and for each exit
// code and error code of README.md's "Exit codes and errors" tables, the tests
// that drive it through the binary; Coverage.EveryOptionAndErrorCodeHasATest
// fails when a new option or code has no entry, and
// Coverage.EveryListedTestExists when an entry names a test that does not exist.
//
// This file: the coverage table and its checks; the options themselves are
// driven by tests/cli/options_*_test.cpp (the same option_tests binary).
#include <gtest/gtest.h>

#include <algorithm>

#include "cli/options_helpers.hpp"

namespace imgflow::test::option_tests {
namespace {

// ---------------------------------------------------------------------------
// The coverage table: option, exit code or error code -> the tests that drive
// it through the binary. "binary:Suite.Name" is a test of another test binary
// built beside this one; a plain "Suite.Name" is in this binary (option_tests:
// tests/cli/options_*_test.cpp).
// ---------------------------------------------------------------------------

struct Coverage {
  std::string item;
  std::vector<std::string> tests;
};

// The test binaries a "binary:Suite.Name" entry may name.
constexpr const char* kOtherBinaries[] = {"cli_tests", "hostile_tests", "pipeline_tests"};

const std::vector<Coverage> kCoverage = {
    // Options (long names; a short alias is covered through its long name).
    {"--help",
     {"cli_tests:CliUsage.HelpExitsZeroAndListsEveryOption",
      "Coverage.EveryOptionAndErrorCodeHasATest"}},
    {"--version", {"cli_tests:CliUsage.VersionPrintsImgflowAndItsLibraries"}},
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
      "cli_tests:CliFormats.AvifAndHeicOutputsRoundTripThroughTheReferenceDecoder",
      "cli_tests:CliFormats.HeicAvifAndGifInputsGiveExactSizes",
      "Options.LosslessWebpEqualsThePngOutputOfTheSameRun"}},
    {"--name", {"Options.NameTemplateSetsTheOutputPath"}},
    {"--quality",
     {"Options.QualityChangesTheFileSize", "cli_tests:CliUsage.QualityOutOfRangeIsUsageError"}},
    {"--progressive", {"Options.ProgressiveWritesSof2"}},
    {"--chroma", {"Options.ChromaSetsTheJpegSamplingFactors"}},
    {"--png-compression", {"Options.PngCompressionLevelChangesSizeNotPixels"}},
    {"--lossless",
     {"Options.LosslessWebpEqualsThePngOutputOfTheSameRun",
      "cli_tests:CliFormats.AvifAndHeicOutputsRoundTripThroughTheReferenceDecoder"}},
    {"--tiff-compression",
     {"Options.TiffCompressionNoneAndLzwSetTheCompressionTag",
      "Options.TiffCompressionDeflateWritesTheAdobeDeflateCode"}},
    {"--keep-icc",
     {"Options.KeepIccEmbedsTheOriginalProfileInsteadOfConverting",
      "Options.KeepIccEmbedsTheProfileInEveryFormat"}},
    {"--keep-metadata",
     {"Options.KeepMetadataCopiesExifWithOrientationOne",
      "Options.KeepMetadataCarriesExifAndXmpIntoEveryFormat",
      "Options.KeepMetadataReadsEveryInputFormat"}},
    {"--strip-gps", {"Options.StripGpsKeepsEverythingButTheLocation"}},
    {"--no-rotate", {"cli_tests:CliOutputs.ExifOrientationIsAppliedUnlessNoRotate"}},
    {"--animated",
     {"cli_tests:CliAnimated.GifBecomesAnAnimatedWebpWithItsDurationsAndLoopCount",
      "cli_tests:CliAnimated.EveryFrameIsThatFrameResizedAlone",
      "cli_tests:CliAnimated.DisposalAndTransparencyCompositeAsBrowsersShowThem",
      "cli_tests:CliAnimated.StillFormatsGetTheFirstFrameWithAWarning",
      "cli_tests:CliAnimated.AnimatedWebpInKeepsItsFramesAndWithoutTheFlagGivesItsFirstFrame",
      "cli_tests:CliAnimated.SingleFrameGifWithTheFlagIsAStillWebp",
      "hostile_tests:HostileAnimation.GifCutInsideItsFramesIsTruncatedWithAnimated"}},
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
      "cli_tests:CliUsage.DecodeTuningOutOfRangeIsUsageError",
      "cli_tests:CliUsage.MaxMemoryAutoIsTheDefault",
      "cli_tests:CliUsage.BadMaxMemoryIsOneLineUsageError"}},
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
    {"--max-frames",
     {"cli_tests:CliAnimated.MaxPixelsCountsEveryFrameAndMaxFramesCapsThem",
      "hostile_tests:HostileTimeBomb.GifOfAHundredThousandFramesIsTooComplexAtOnce"}},
    {"--max-scans",
     {"hostile_tests:HostileTimeBomb.JpegWithMoreScansThanMaxScansIsTooComplexAndTheBatchGoesOn"}},
    {"--timeout",
     {"hostile_tests:HostileTimeBomb."
      "ScanBombPastTimeoutIsTimedOutWithinTheLimitAndTheBatchGoesOn"}},
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
    {"exit 3", {"hostile_tests:HostileOutput.FullDiskStopsTheRunAndReportsTheRestAsSkipped"}},
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
     {"cli_tests:CliErrors.SvgIsUnsupportedFormat",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/Svg"}},
    {"truncated-input",
     {"hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "JpegCutInHalf",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "PngCutInsideIdat",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "HeicCutInItsPixels",
      "cli_tests:CliErrors.GifIsReadByContentAndACutGifIsTruncated",
      "Options.AllowTruncatedAcceptsAHalfJpegGreyPadded"}},
    {"corrupt-input",
     {"hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "PngBadCrcOnIdat",
      "hostile_tests:Catalogue/HostileContent.FailsAloneWithItsCodeAndLeavesNothingBehind/"
      "HeicWithOnlyItsFtypBox",
      "hostile_tests:HostileBomb."
      "HeicDerivedImagesOfNonImagesOrOversizedCanvasesAreRefusedBeforeLibheif",
      "cli_tests:CliErrors.CodecChatterIsCapturedNotPrintedRaw"}},
    {"too-many-pixels",
     {"cli_tests:CliErrors.MaxPixelsRefusesLargerImages",
      "Options.DefaultMaxPixelsIsCheckedFromTheHeaderAlone"}},
    {"too-complex",
     {"hostile_tests:HostileTimeBomb.JpegWithMoreScansThanMaxScansIsTooComplexAndTheBatchGoesOn",
      "hostile_tests:HostileTimeBomb."
      "HeicDerivedImagesThatCycleNestDeepOrMultiplyAreRefusedBeforeLibheif"}},
    {"timed-out",
     {"hostile_tests:HostileTimeBomb."
      "ScanBombPastTimeoutIsTimedOutWithinTheLimitAndTheBatchGoesOn",
      "hostile_tests:HostileTimeBomb.WebpEncodePastTimeoutIsStoppedWithinTheLimit"}},
    {"disk-full",
     {"hostile_tests:HostileOutput.FullDiskStopsTheRunAndReportsTheRestAsSkipped",
      "hostile_tests:HostileIo.QuotaReadOnlyAndFsyncFaultsStopTheRunWithExit3"}},
    {"output-unavailable",
     {"pipeline_tests:Pipeline.OutputFolderRemovedDuringTheRunStopsIt",
      "hostile_tests:HostileIo.OutputFolderGoneDuringAWriteStopsTheRunWithExit3",
      "hostile_tests:HostileIo.QuotaReadOnlyAndFsyncFaultsStopTheRunWithExit3"}},
    {"decode-error", {"ErrorCodes.DecodeErrorWhenTheDecoderRunsOutOfMemory"}},
    {"resize-error", {"ErrorCodes.ResizeErrorWhenTheResizeRunsOutOfMemory"}},
    {"encode-error", {"ErrorCodes.EncodeErrorForAWebpWiderThan16383"}},
    {"write-error",
     {"hostile_tests:HostileOutput.OutputFolderBlockedByAFileIsWriteErrorPerFile",
      "hostile_tests:HostileOutput.FileSizeLimitIsWriteErrorWithNoPartialFile"}},
    {"output-conflict", {"ErrorCodes.OutputConflictWhenContentMapsTwoInputsToOnePath"}},
    {"cancelled",
     {"cli_tests:CliSignals.SigintFinishesInFlightFilesAndExits130",
      "Options.FailFastStopsAtTheFirstFailureAndSkipsTheRest",
      "Options.MaxErrorsStopsAfterNFailures"}},
};

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

// The options of --help by group heading ("Sizing"), in --help's order; each
// option by its long name.
std::vector<std::pair<std::string, std::set<std::string>>> help_groups(const std::string& help) {
  std::vector<std::pair<std::string, std::set<std::string>>> groups;
  for (const auto& line : lines_of(help)) {
    if (!line.empty() && line[0] != ' ' && line.back() == ':') {
      groups.push_back({line.substr(0, line.size() - 1), {}});
    } else if (!groups.empty() && groups.back().first != "Positionals") {
      for (const auto& [long_name, short_name] : help_options(line + "\n")) {
        groups.back().second.insert(long_name);
      }
    }
  }
  if (!groups.empty() && groups.front().first == "Positionals") groups.erase(groups.begin());
  return groups;
}

// The same from README.md's "Command line" block: a heading is a line of two
// spaces and a capitalised word; every option named below it (first column or
// in a description) belongs to it.
std::vector<std::pair<std::string, std::set<std::string>>> readme_groups(
    const std::string& readme, const std::map<std::string, std::string>& long_for_short) {
  const std::string section = readme_section(readme, "## Command line", "## ");
  const auto open = section.find("```");
  const auto close = section.find("```", open + 3);
  std::vector<std::pair<std::string, std::set<std::string>>> groups;
  static const std::regex heading(R"(  [A-Z][A-Za-z ]*)");
  for (const auto& line : lines_of(section.substr(open + 3, close - open - 3))) {
    if (std::regex_match(line, heading)) {
      groups.push_back({line.substr(2), {}});
    } else if (!groups.empty()) {
      for (const auto& name : readme_options("## Command line\n```\n" + line + "\n```\n")) {
        const auto it = long_for_short.find(name);
        groups.back().second.insert(it == long_for_short.end() ? name : it->second);
      }
    }
  }
  return groups;
}

TEST(Coverage, ReadmeGroupsOptionsAsHelpDoes) {
  const RunResult help = run({"--help"});
  ASSERT_EQ(help.exit_code, 0) << describe(help);
  std::map<std::string, std::string> long_for_short;
  for (const auto& [long_name, short_name] : help_options(help.out)) {
    if (!short_name.empty()) long_for_short[short_name] = long_name;
  }
  const auto in_help = help_groups(help.out);
  const auto in_readme = readme_groups(read_text(IMGFLOW_README), long_for_short);
  ASSERT_GE(in_help.size(), 5u) << help.out;
  std::vector<std::string> help_headings, readme_headings;
  for (const auto& group : in_help) help_headings.push_back(group.first);
  for (const auto& group : in_readme) readme_headings.push_back(group.first);
  ASSERT_EQ(readme_headings, help_headings);
  for (std::size_t i = 0; i < in_help.size(); ++i) {
    EXPECT_EQ(in_readme[i].second, in_help[i].second) << "group " << in_help[i].first;
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
  for (const char* binary : kOtherBinaries) {
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
      EXPECT_TRUE(std::find(std::begin(kOtherBinaries), std::end(kOtherBinaries), binary) !=
                  std::end(kOtherBinaries))
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

}  // namespace
}  // namespace imgflow::test::option_tests
