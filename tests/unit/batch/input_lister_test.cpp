// InputLister: the inputs one at a time, in the order of sorting all the
// paths, holding only the folders being walked; and OutputClaims, the check
// that no two inputs write one output, scoped per input folder.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "imgflow/error.hpp"
#include "imgflow/plan.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;
using test::write_text;

std::vector<std::string> listed(const Options& options) {
  std::vector<std::string> out;
  InputLister lister(options);
  while (const auto file = lister.next()) out.push_back(file->relative.string());
  return out;
}

// Names chosen so that sorting whole path strings and sorting name by name
// differ ("a-b" < "a/" as strings, '-' < '/'; "a" < "a-b" by name), and a
// folder's files straddle its subfolders.
void write_tree(const fs::path& root) {
  for (const char* name : {"a.jpg", "a/x.jpg", "a/y/z.png", "a-b/q.webp", "a0.jpg", "b.png",
                           "k.jpg", "k.l/m.jpg", "k.png", "deep/1/2/3/4/5/six.tif"}) {
    write_text(root / name, "x");
  }
  write_text(root / "notes.txt", "x");                           // not an image
  write_text(root / ".hidden.jpg", "x");                         // hidden file
  write_text(root / ".cache/c.jpg", "x");                        // hidden folder
  write_text(root / "thumbs/old.jpg", "x");                      // the output folder
  fs::create_directory_symlink(root / "a", root / "link_to_a");  // not followed
}

TEST(InputLister, ListsFolderByFolderInTheOrderOfSortingEveryPathByName) {
  ScratchDir dir;
  write_tree(dir / "in");
  Options options;
  options.inputs = {dir / "in"};
  options.output_dir = dir / "in/thumbs";
  options.recursive = true;
  const std::vector<std::string> expected = {
      "a/x.jpg", "a/y/z.png", "a-b/q.webp", "a.jpg", "a0.jpg", "b.png", "deep/1/2/3/4/5/six.tif",
      "k.jpg",   "k.l/m.jpg", "k.png"};
  EXPECT_EQ(listed(options), expected);
  // The same as sorting every path found (std::filesystem::path compares by name).
  std::vector<fs::path> all;
  for (const auto& name : expected) all.emplace_back(name);
  std::sort(all.begin(), all.end());
  std::vector<std::string> sorted;
  for (const auto& p : all) sorted.push_back(p.string());
  EXPECT_EQ(listed(options), sorted);
  // plan_inputs() is the same list, all at once.
  std::vector<std::string> planned;
  for (const auto& f : plan_inputs(options)) planned.push_back(f.relative.string());
  EXPECT_EQ(planned, expected);

  options.recursive = false;
  EXPECT_EQ(listed(options),
            (std::vector<std::string>{"a.jpg", "a0.jpg", "b.png", "k.jpg", "k.png"}));
}

TEST(InputLister, NamedInputsThenTheListReadAsItGoes) {
  ScratchDir dir;
  write_text(dir / "list.txt", "photos/one.jpg\r\n\n/abs/two.png\n../up/three.webp\n");
  Options options;
  options.inputs = {dir / "named.jpg"};
  options.output_dir = dir / "out";
  options.files_from = dir / "list.txt";
  EXPECT_EQ(listed(options),
            (std::vector<std::string>{"named.jpg", "photos/one.jpg", "two.png", "three.webp"}));
  {
    std::ofstream nul(dir / "list0", std::ios::binary);
    nul << "a b.jpg" << '\0' << "c\nd.jpg" << '\0';
  }
  options.inputs.clear();
  options.files_from = dir / "list0";
  options.files_from_nul = true;
  EXPECT_EQ(listed(options), (std::vector<std::string>{"a b.jpg", "c\nd.jpg"}));

  options.files_from = dir / "missing.txt";
  try {
    InputLister lister(options);
    ADD_FAILURE() << "a missing list was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("missing.txt"), std::string::npos) << e.what();
  }
}

TEST(InputLister, ShardsPartitionTheList) {
  ScratchDir dir;
  write_tree(dir / "in");
  Options options;
  options.inputs = {dir / "in"};
  options.output_dir = dir / "out";
  options.recursive = true;
  const auto all = listed(options);
  std::multiset<std::string> union_of_shards;
  for (int k = 1; k <= 3; ++k) {
    options.shard = {k, 3};
    const auto share = listed(options);
    EXPECT_TRUE(std::is_sorted(share.begin(), share.end(), [](const auto& a, const auto& b) {
      return fs::path(a) < fs::path(b);
    }));
    union_of_shards.insert(share.begin(), share.end());
  }
  EXPECT_EQ(union_of_shards, std::multiset<std::string>(all.begin(), all.end()));
}

// Claims, file by file in listing order: returns each file's conflict ("" when none).
std::vector<std::string> claims_of(const Options& options) {
  OutputClaims claims(options);
  InputLister lister(options);
  std::vector<std::string> out;
  while (const auto file = lister.next()) {
    claims.add_input(*file);
    out.push_back(file->relative.string() + ": " + claims.claim(*file));
  }
  return out;
}

TEST(OutputClaims, OneFolderTreeFindsCollisionsAcrossItsSubfolders) {
  ScratchDir dir;
  // k.jpg and k.png meet at k.webp, with the folder k.l listed between them;
  // the same names in different folders write into different folders.
  for (const char* name : {"k.jpg", "k.l/k.jpg", "k.l/k.png", "k.png", "x/k.jpg"}) {
    write_text(dir / "in" / name, "x");
  }
  Options options;
  options.inputs = {dir / "in"};
  options.output_dir = dir / "out";
  options.recursive = true;
  options.formats = {OutputFormat::webp};
  const std::string both = "this input and an earlier one would both write ";
  EXPECT_EQ(claims_of(options),
            (std::vector<std::string>{"k.jpg: ", "k.l/k.jpg: ",
                                      "k.l/k.png: " + both + (dir / "out/k.l/k.webp").string() +
                                          "; rename one or choose another format",
                                      "k.png: " + both + (dir / "out/k.webp").string() +
                                          "; rename one or choose another format",
                                      "x/k.jpg: "}));
}

TEST(OutputClaims, TwoInputFoldersShareOneScope) {
  ScratchDir dir;
  write_text(dir / "a/same.jpg", "x");
  write_text(dir / "b/same.jpg", "x");
  Options options;
  options.inputs = {dir / "a", dir / "b"};
  options.output_dir = dir / "out";
  const auto result = claims_of(options);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0], "same.jpg: ");
  EXPECT_NE(result[1].find("would both write " + (dir / "out/same.jpg").string()),
            std::string::npos)
      << result[1];
}

TEST(OutputClaims, AnOutputOverAnInputListedLaterIsRefusedBeforeItIsWritten) {
  ScratchDir dir;
  write_text(dir / "in/a.jpg", "x");
  write_text(dir / "in/a.png", "x");
  Options options;
  options.inputs = {dir / "in"};
  options.output_dir = dir / "in";
  options.formats = {OutputFormat::png};  // a.jpg → in/a.png, an input listed after it
  const auto result = claims_of(options);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0], "a.jpg: output " + (dir / "in/a.png").string() +
                           " would overwrite an input; choose another output directory");
  EXPECT_NE(result[1].find("would overwrite an input"), std::string::npos) << result[1];
}

TEST(OutputClaims, ScopeClaimsAPathOnce) {
  ScratchDir dir;
  write_text(dir / "in/a.jpg", "x");
  Options options;
  options.inputs = {dir / "in"};
  options.output_dir = dir / "out";
  OutputClaims claims(options);
  InputLister lister(options);
  const auto file = lister.next();
  ASSERT_TRUE(file);
  EXPECT_EQ(claims.claim(*file), "");
  const auto scope = claims.scope();
  ASSERT_TRUE(scope);
  EXPECT_FALSE(scope->claim(dir / "out/a.jpg"));  // claimed when listed
  EXPECT_TRUE(scope->claim(dir / "out/a.png"));   // named only when written
  EXPECT_FALSE(scope->claim(dir / "out/./a.png"));
}

}  // namespace
}  // namespace imgflow
