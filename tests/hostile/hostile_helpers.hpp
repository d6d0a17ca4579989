// The hostile-input catalogue (issue 4, "Batch jobs you can trust"): every
// kind of bad input a batch job meets, each in a batch together with good
// files, run through the REAL imgflow binary. Each case asserts:
//   - exactly one stderr line `imgflow: <input>: <code>: <message>` with the
//     expected stable code (then the summary line),
//   - the good files' outputs present and decodable at the right size, and
//     no other file (exact file set),
//   - no partial or temporary file (nothing named "*.imgflow-*") anywhere,
//   - a pre-existing output of the bad input untouched (byte for byte),
//   - exit code 1 (0 for the inputs that are accepted with a warning).
//
// Cases marked PRODUCT BUG assert documented behaviour that the product did
// not have when the case was written; "fixed in <commit>" where it has since
// been fixed (the case then guards against a regression).
//
// This header: building hostile files, and the batch of two good files around them,
// shared by tests/hostile/*_test.cpp (one file per section of the catalogue).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

namespace imgflow::test::hostile {

using Bytes = std::vector<std::uint8_t>;
using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Building hostile files
// ---------------------------------------------------------------------------

inline void put_be32(Bytes& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
}

inline std::uint32_t get_be32(const Bytes& v, std::size_t i) {
  return (std::uint32_t(v[i]) << 24) | (std::uint32_t(v[i + 1]) << 16) |
         (std::uint32_t(v[i + 2]) << 8) | std::uint32_t(v[i + 3]);
}

struct PngChunk {
  std::string type;
  Bytes data;
  bool bad_crc = false;
};

inline std::vector<PngChunk> png_chunks(const Bytes& png) {
  std::vector<PngChunk> chunks;
  std::size_t i = 8;
  while (i + 12 <= png.size()) {
    const std::uint32_t length = get_be32(png, i);
    PngChunk c;
    c.type.assign(png.begin() + static_cast<std::ptrdiff_t>(i + 4),
                  png.begin() + static_cast<std::ptrdiff_t>(i + 8));
    c.data.assign(png.begin() + static_cast<std::ptrdiff_t>(i + 8),
                  png.begin() + static_cast<std::ptrdiff_t>(i + 8 + length));
    chunks.push_back(std::move(c));
    i += 12 + length;
  }
  return chunks;
}

inline Bytes png_assemble(const std::vector<PngChunk>& chunks) {
  Bytes out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  for (const auto& c : chunks) {
    put_be32(out, static_cast<std::uint32_t>(c.data.size()));
    Bytes typed(c.type.begin(), c.type.end());
    typed.insert(typed.end(), c.data.begin(), c.data.end());
    out.insert(out.end(), typed.begin(), typed.end());
    const std::uint32_t crc = png_crc(typed.data(), typed.size());
    put_be32(out, c.bad_crc ? crc ^ 0xDEADBEEFu : crc);
  }
  return out;
}

// A real PNG (noise, so that IDAT is large) with `edit` applied to its chunks.
inline Bytes edited_png(int width, int height,
                        const std::function<void(std::vector<PngChunk>&)>& edit) {
  auto chunks = png_chunks(encoded_image(".png", width, height, 3, 21));
  edit(chunks);
  return png_assemble(chunks);
}

inline PngChunk& first_chunk(std::vector<PngChunk>& chunks, const std::string& type) {
  for (auto& c : chunks) {
    if (c.type == type) return c;
  }
  throw std::runtime_error("no " + type + " chunk");
}

inline void set_be32(Bytes& v, std::size_t i, std::uint32_t x) {
  for (int k = 0; k < 4; ++k)
    v[i + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(x >> (24 - 8 * k));
}

// A real progressive photo with its smallest scan repeated `copies` times
// before the end-of-image marker: every repeat is one more pass over the
// whole coefficient buffer (50,000 repeats of a 2400-pixel photo: 31 s).
inline Bytes jpeg_with_repeated_scan(const Bytes& jpeg, int copies) {
  // Each scan: from its SOS marker to the next marker that is not a stuffed
  // 0xFF00 or a restart marker.
  std::size_t best_at = 0, best_size = 0;
  std::size_t i = 2;
  while (i + 4 <= jpeg.size() && !(jpeg[i] == 0xFF && jpeg[i + 1] == 0xD9)) {
    const std::size_t start = i;
    const bool sos = jpeg[i + 1] == 0xDA;
    i += 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
    if (!sos) continue;
    while (i + 1 < jpeg.size() &&
           !(jpeg[i] == 0xFF && jpeg[i + 1] != 0 && (jpeg[i + 1] < 0xD0 || jpeg[i + 1] > 0xD7))) {
      ++i;
    }
    if (best_size == 0 || i - start < best_size) {
      best_at = start;
      best_size = i - start;
    }
  }
  EXPECT_GT(best_size, 0u) << "no scan found";
  Bytes bomb(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(i));  // up to EOI
  for (int c = 0; c < copies; ++c) {
    bomb.insert(bomb.end(), jpeg.begin() + static_cast<std::ptrdiff_t>(best_at),
                jpeg.begin() + static_cast<std::ptrdiff_t>(best_at + best_size));
  }
  bomb.push_back(0xFF);
  bomb.push_back(0xD9);
  return bomb;
}

// The only progressive photo of sample_images/ (10 scans).
inline Bytes progressive_photo() {
  const Bytes photo = read_bytes(sample_dir() / "cold_ripple.jpg");
  EXPECT_EQ(photo[2], 0xFF);
  return photo;
}

// For runs over files above the 64 KiB head every file keeps in memory:
// read in pieces, or whole (as every file was before files were read in pieces).
inline const std::string kPiecesEnv = "IMGFLOW_READ_IN_PIECES_ABOVE=65537";
inline const std::string kWholeEnv = "IMGFLOW_READ_IN_PIECES_ABOVE=0";

// The first `n` bytes of `b`.
inline Bytes prefix(const Bytes& b, std::size_t n) {
  return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

// stderr without its summary line (which has times), in a fixed order: to
// compare the messages of two runs over the same files.
inline std::vector<std::string> sorted_messages(const std::string& err) {
  std::vector<std::string> lines;
  for (const auto& line : lines_of(err)) {
    if (!contains(line, " files: ")) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// `-s size` over `inputs` read in pieces (into dir/pieces<N>) and whole (into
// dir/whole<N>): both exit 1 (some inputs are bad), with the same messages
// and the same output files, byte for byte. Returns the run in pieces and
// its output directory, for the caller's own checks.
inline std::pair<RunResult, fs::path> expect_same_in_pieces_and_whole(
    const fs::path& dir, const std::string& size, const std::vector<std::string>& inputs) {
  auto run = [&](const fs::path& out, const std::string& env) {
    std::vector<std::string> argv = {"-s", size, "-o", out.string()};
    argv.insert(argv.end(), inputs.begin(), inputs.end());
    return run_imgflow(RunSpec(argv).with_env({env}));
  };
  const fs::path pieces_dir = dir / ("pieces" + std::to_string(size.size()));
  const fs::path whole_dir = dir / ("whole" + std::to_string(size.size()));
  const RunResult pieces = run(pieces_dir, kPiecesEnv);
  const RunResult whole = run(whole_dir, kWholeEnv);
  EXPECT_EQ(pieces.exit_code, 1) << describe(pieces);
  EXPECT_EQ(whole.exit_code, 1) << describe(whole);
  EXPECT_EQ(sorted_messages(pieces.err), sorted_messages(whole.err));
  const auto outputs = list_files(pieces_dir);
  EXPECT_EQ(outputs, list_files(whole_dir));
  for (const auto& name : outputs) {
    EXPECT_TRUE(read_bytes(pieces_dir / name) == read_bytes(whole_dir / name))
        << name << " at -s " << size;
  }
  return {pieces, pieces_dir};
}

// `-s 400` on a large `big` (`file_kb` in size) read in pieces (the
// default; into dir/pieces) and whole (IMGFLOW_READ_IN_PIECES_ABOVE=0, as
// every file was read before; into dir/whole): the same output, `size`
// pixels, and in pieces a peak RSS below a quarter of the file above a run
// on the small `tiny`, where read whole it costs the file (which shows the
// bound means something). `kind` names the format in the log and properties.
inline void expect_read_in_pieces(const fs::path& dir, const fs::path& big, long file_kb,
                                  const fs::path& tiny, const std::string& kind, cv::Size size) {
  const long baseline =
      run_imgflow(RunSpec({"-o", (dir / "tiny_out").string(), tiny.string()})).max_rss_kb;
  auto run_big = [&](const std::string& out, std::vector<std::string> env) {
    const RunResult r = run_imgflow(
        RunSpec({"-s", "400", "-o", (dir / out).string(), big.string()}).with_env(std::move(env)));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return r.max_rss_kb;
  };
  const long in_pieces = run_big("pieces", {});
  const long whole = run_big("whole", {"IMGFLOW_READ_IN_PIECES_ABOVE=0"});
  std::printf("peak RSS: %ld KB %s read in pieces %ld KB, whole %ld KB; a small one %ld KB\n",
              file_kb, kind.c_str(), in_pieces, whole, baseline);
  ::testing::Test::RecordProperty("large_" + kind + "_in_pieces_peak_rss_kb",
                                  std::to_string(in_pieces));
  ::testing::Test::RecordProperty("large_" + kind + "_whole_peak_rss_kb", std::to_string(whole));
  // The one output, named as its format decides (a GIF's is a JPEG).
  const std::vector<std::string> outputs = list_files(dir / "pieces");
  ASSERT_EQ(outputs.size(), 1u);
  const fs::path name = outputs.front();
  EXPECT_EQ(decoded_size(dir / "pieces" / name), size);
  EXPECT_EQ(read_bytes(dir / "pieces" / name), read_bytes(dir / "whole" / name));
#ifndef IMGFLOW_HOSTILE_SANITIZED  // ASan/TSan shadow memory makes RSS meaningless
  EXPECT_LT(in_pieces, baseline + file_kb / 4);
  EXPECT_GT(whole, baseline + file_kb * 3 / 4);
#endif
}

// Offset of the first start-of-frame marker (FF C0..CF except C4, C8, CC).
inline std::size_t jpeg_sof_offset(const Bytes& jpeg) {
  std::size_t i = 2;
  while (i + 4 <= jpeg.size()) {
    if (jpeg[i] != 0xFF) throw std::runtime_error("not a marker");
    const std::uint8_t m = jpeg[i + 1];
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) return i;
    i += 2 + ((std::size_t(jpeg[i + 2]) << 8) | jpeg[i + 3]);
  }
  throw std::runtime_error("no SOF marker");
}

// A real JPEG whose frame header declares `width`x`height`.
inline Bytes jpeg_declaring(int width, int height) {
  Bytes jpeg = encoded_image(".jpg", 64, 48, 3, 22);
  const std::size_t sof = jpeg_sof_offset(jpeg);
  jpeg[sof + 5] = static_cast<std::uint8_t>(height >> 8);
  jpeg[sof + 6] = static_cast<std::uint8_t>(height);
  jpeg[sof + 7] = static_cast<std::uint8_t>(width >> 8);
  jpeg[sof + 8] = static_cast<std::uint8_t>(width);
  return jpeg;
}

// A little-endian grayscale TIFF whose one strip claims width*height bytes,
// of which only 2 KB are there.
inline Bytes tiff_declaring(std::uint32_t width, std::uint32_t height) {
  struct Entry {
    std::uint16_t tag, type;
    std::uint32_t value;
  };
  const std::vector<Entry> entries = {{256, 4, width}, {257, 4, height}, {258, 3, 8},
                                      {259, 3, 1},     {262, 3, 1},      {273, 4, 0},
                                      {277, 3, 1},     {278, 4, height}, {279, 4, width * height}};
  const std::uint32_t data_offset = 8 + 2 + 12 * static_cast<std::uint32_t>(entries.size()) + 4;
  Bytes out = {'I', 'I', 42, 0, 8, 0, 0, 0};
  auto le16 = [&](std::uint32_t x) {
    out.push_back(static_cast<std::uint8_t>(x));
    out.push_back(static_cast<std::uint8_t>(x >> 8));
  };
  auto le32 = [&](std::uint32_t x) {
    le16(x & 0xFFFF);
    le16(x >> 16);
  };
  le16(static_cast<std::uint32_t>(entries.size()));
  for (const auto& e : entries) {
    le16(e.tag);
    le16(e.type);
    le32(1);
    const std::uint32_t value = e.tag == 273 ? data_offset : e.value;
    if (e.type == 3) {
      le16(value);
      le16(0);
    } else {
      le32(value);
    }
  }
  le32(0);
  for (int i = 0; i < 2048; ++i) out.push_back(static_cast<std::uint8_t>(i * 37));
  return out;
}

// A 64x48 HEIC (or with `avif`, AVIF) made by heif-enc (scripts/setup.sh
// installs it) from a PNG.
inline Bytes heic_by_heif_enc(bool avif = false) {
  ScratchDir dir;
  write_bytes(dir / "in.png", encoded_image(".png", 64, 48, 3, 24));
  std::vector<std::string> argv = {"heif-enc", "-q", "50"};
  if (avif) argv.push_back("-A");
  argv.insert(argv.end(), {"-o", (dir / "out.heif").string(), (dir / "in.png").string()});
  const auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << "heif-enc: " << r.err;
  return read_bytes(dir / "out.heif");
}

// That HEIC (or AVIF) with its 'ispe' box (the image's declared size) saying
// width x height.
inline Bytes heic_declaring(std::uint32_t width, std::uint32_t height, bool avif = false) {
  Bytes heic = heic_by_heif_enc(avif);
  const std::string ispe = "ispe";
  const auto at = std::search(heic.begin(), heic.end(), ispe.begin(), ispe.end());
  EXPECT_NE(at, heic.end());
  const auto i = static_cast<std::size_t>(at - heic.begin()) + 8;  // after type, version, flags
  set_be32(heic, i, width);
  set_be32(heic, i + 4, height);
  return heic;
}

// One item of a HEIC written by heic_items(): a grid of `columns` x `rows`
// of the items `inputs` (ids from 1, in order), or a coded HEVC picture.
struct HeicItem {
  bool grid = false;
  std::vector<int> inputs;  ///< a grid's tiles, row by row (an iden's input)
  int columns = 1, rows = 1;
  bool iden = false;         ///< an identity transform of `inputs` (no data of its own)
  std::uint32_t canvas = 0;  ///< a grid's canvas side (32-bit fields) instead of its tiles'
};

// A HEIC of `items` (item 1 the primary), every coded item the same
// side x side HEVC picture (heif-enc's, its bytes stored once and referenced
// by every coded item): a small file that costs one decode per tile.
// heif-enc 1.15 writes no grids, so the boxes are written here (ISO/IEC
// 23008-12: hdlr, pitm, iinf of 'grid', 'iden' and 'hvc1' items, iref
// 'dimg', iloc, iprp with the tile's hvcC and the ispe sizes; an iden has
// the tile's). The ids in `inputs` are written as given: they may form
// cycles or name items that do not exist.
inline Bytes heic_items(const std::vector<HeicItem>& items, int side) {
  ScratchDir dir;
  write_bytes(dir / "tile.png", encoded_image(".png", side, side, 3, 25));
  const auto r = run_command(
      {"heif-enc", "-q", "90", "-o", (dir / "tile.heic").string(), (dir / "tile.png").string()});
  EXPECT_EQ(r.exit_code, 0) << "heif-enc: " << r.err;
  const Bytes tile = read_bytes(dir / "tile.heic");
  // A box of heif-enc's file by type, whole (the first of that type).
  const auto find_box = [&](const std::string& type) {
    const auto at = std::search(tile.begin(), tile.end(), type.begin(), type.end());
    EXPECT_NE(at, tile.end()) << type;
    const auto start = static_cast<std::size_t>(at - tile.begin()) - 4;
    return Bytes(tile.begin() + static_cast<std::ptrdiff_t>(start),
                 tile.begin() + static_cast<std::ptrdiff_t>(start + get_be32(tile, start)));
  };
  const Bytes hvcc = find_box("hvcC");
  const Bytes mdat = find_box("mdat");
  const Bytes picture(mdat.begin() + 8, mdat.end());  // heif-enc's mdat holds the picture alone

  const auto be16 = [](Bytes& v, int x) {
    v.push_back(static_cast<std::uint8_t>(x >> 8));
    v.push_back(static_cast<std::uint8_t>(x));
  };
  const auto box = [](const std::string& type, const Bytes& body, int version = -1) {
    const std::size_t head = version >= 0 ? 12 : 8;
    Bytes out(head + body.size());
    const auto size = static_cast<std::uint32_t>(out.size());
    for (std::size_t k = 0; k < 4; ++k) {
      out[k] = static_cast<std::uint8_t>(size >> (24 - 8 * k));
      out[4 + k] = static_cast<std::uint8_t>(type[k]);
    }
    if (version >= 0) out[8] = static_cast<std::uint8_t>(version);  // flags 0
    std::copy(body.begin(), body.end(), out.begin() + static_cast<std::ptrdiff_t>(head));
    return out;
  };
  const auto fourcc = [](Bytes& v, const std::string& type) {
    v.insert(v.end(), type.begin(), type.end());
  };
  const int count = static_cast<int>(items.size());

  // The mdat: each grid's description (8 bytes), then the one picture.
  Bytes mdat_body;
  std::vector<std::uint32_t> grid_at(items.size(), 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].grid) continue;
    grid_at[i] = static_cast<std::uint32_t>(mdat_body.size());
    const bool wide = items[i].canvas != 0;
    mdat_body.insert(mdat_body.end(), {0, static_cast<std::uint8_t>(wide ? 1 : 0),
                                       static_cast<std::uint8_t>(items[i].rows - 1),
                                       static_cast<std::uint8_t>(items[i].columns - 1)});
    if (wide) {
      put_be32(mdat_body, items[i].canvas);
      put_be32(mdat_body, items[i].canvas);
    } else {
      be16(mdat_body, items[i].columns * side);
      be16(mdat_body, items[i].rows * side);
    }
  }
  const auto picture_at = static_cast<std::uint32_t>(mdat_body.size());
  mdat_body.insert(mdat_body.end(), picture.begin(), picture.end());

  const auto meta = [&](std::uint32_t mdat_data) {
    Bytes hdlr;
    put_be32(hdlr, 0);
    fourcc(hdlr, "pict");
    for (int i = 0; i < 3; ++i) put_be32(hdlr, 0);
    hdlr.push_back(0);
    Bytes pitm;
    be16(pitm, 1);
    Bytes iinf;
    be16(iinf, count);
    Bytes iref;
    Bytes iloc = {0x44, 0x00};  // 4-byte offsets and lengths, no base offset
    be16(iloc, count);
    Bytes ipma;
    put_be32(ipma, static_cast<std::uint32_t>(count));
    // Properties: 1 the hvcC, 2 the tiles' ispe, 3 on each grid's ispe
    // (7-bit property indexes: at most 125 grids).
    Bytes ipco = hvcc;
    Bytes tile_ispe;
    put_be32(tile_ispe, static_cast<std::uint32_t>(side));
    put_be32(tile_ispe, static_cast<std::uint32_t>(side));
    const Bytes tile_ispe_box = box("ispe", tile_ispe, 0);
    ipco.insert(ipco.end(), tile_ispe_box.begin(), tile_ispe_box.end());
    std::uint8_t next_property = 3;
    for (int id = 1; id <= count; ++id) {
      const HeicItem& item = items[static_cast<std::size_t>(id - 1)];
      Bytes infe;
      be16(infe, id);
      be16(infe, 0);
      fourcc(infe, item.grid ? "grid" : item.iden ? "iden" : "hvc1");
      infe.push_back(0);
      const Bytes entry = box("infe", infe, 2);
      iinf.insert(iinf.end(), entry.begin(), entry.end());
      if (item.grid || (item.iden && !item.inputs.empty())) {
        Bytes dimg;
        be16(dimg, id);
        be16(dimg, static_cast<int>(item.inputs.size()));
        for (const int input : item.inputs) be16(dimg, input);
        const Bytes ref = box("dimg", dimg);
        iref.insert(iref.end(), ref.begin(), ref.end());
      }
      be16(iloc, id);
      be16(iloc, 0);
      be16(iloc, item.iden ? 0 : 1);  // extents
      if (!item.iden) {
        put_be32(iloc,
                 mdat_data + (item.grid ? grid_at[static_cast<std::size_t>(id - 1)] : picture_at));
        put_be32(iloc, static_cast<std::uint32_t>(!item.grid         ? picture.size()
                                                  : item.canvas != 0 ? 12
                                                                     : 8));
      }
      be16(ipma, id);
      if (item.iden) {
        ipma.insert(ipma.end(), {1, 2});  // the tile's ispe
      } else if (item.grid) {
        Bytes ispe;
        put_be32(ispe, static_cast<std::uint32_t>(item.columns * side));
        put_be32(ispe, static_cast<std::uint32_t>(item.rows * side));
        const Bytes ispe_box = box("ispe", ispe, 0);
        ipco.insert(ipco.end(), ispe_box.begin(), ispe_box.end());
        EXPECT_LT(next_property, 128);
        ipma.insert(ipma.end(), {1, next_property++});
      } else {
        ipma.insert(ipma.end(), {2, 0x81, 2});  // hvcC essential, ispe
      }
    }
    Bytes iprp = box("ipco", ipco);
    const Bytes ipma_box = box("ipma", ipma, 0);
    iprp.insert(iprp.end(), ipma_box.begin(), ipma_box.end());
    Bytes body;
    for (const Bytes& b : {box("hdlr", hdlr, 0), box("pitm", pitm, 0), box("iinf", iinf, 0),
                           box("iref", iref, 0), box("iloc", iloc, 0), box("iprp", iprp)}) {
      body.insert(body.end(), b.begin(), b.end());
    }
    return box("meta", body, 0);
  };
  Bytes ftyp_body;
  fourcc(ftyp_body, "heic");
  put_be32(ftyp_body, 0);
  fourcc(ftyp_body, "mif1");
  fourcc(ftyp_body, "heic");
  Bytes file = box("ftyp", ftyp_body);
  const std::size_t head = file.size() + meta(0).size() + 8;  // the mdat's data starts here
  const Bytes meta_box = meta(static_cast<std::uint32_t>(head));
  file.insert(file.end(), meta_box.begin(), meta_box.end());
  const Bytes mdat_box = box("mdat", mdat_body);
  file.insert(file.end(), mdat_box.begin(), mdat_box.end());
  return file;
}

// A HEIC whose primary image is a grid of columns x rows tiles (items 2 to
// columns * rows + 1), all the same side x side picture.
inline Bytes heic_grid(int columns, int rows, int side) {
  HeicItem grid{true, {}, columns, rows};
  for (int id = 2; id <= columns * rows + 1; ++id) grid.inputs.push_back(id);
  std::vector<HeicItem> items = {grid};
  items.resize(static_cast<std::size_t>(columns * rows + 1));
  return heic_items(items, side);
}

inline Bytes jxl_by_cjxl() {
  ScratchDir dir;
  write_bytes(dir / "in.png", encoded_image(".png", 64, 48, 3, 24));
  const auto r = run_command({"cjxl", "--num_threads=0", "-d", "2", (dir / "in.png").string(),
                              (dir / "out.jxl").string()});
  EXPECT_EQ(r.exit_code, 0) << "cjxl: " << r.err;
  return read_bytes(dir / "out.jxl");
}

// A bare JPEG XL codestream whose header declares width x height (written
// bit by bit, least significant first: SizeHeader with 30-bit sides, then
// default image metadata), followed by zeros instead of a frame.
inline Bytes jxl_declaring(std::uint32_t width, std::uint32_t height) {
  Bytes out = {0xFF, 0x0A};
  std::uint64_t bits = 0;
  int count = 0;
  const auto put = [&](std::uint64_t value, int n) {
    for (int i = 0; i < n; ++i, ++count) {
      bits |= ((value >> i) & 1u) << (count % 64);
      if (count % 8 == 7) {
        out.push_back(static_cast<std::uint8_t>(bits >> (count % 64 - 7)));
      }
      if (count % 64 == 63) bits = 0;
    }
  };
  put(0, 1);  // div8: no
  put(3, 2);  // height: 1 + a 30-bit number
  put(height - 1, 30);
  put(0, 3);  // ratio: none, the width follows
  put(3, 2);
  put(width - 1, 30);
  put(1, 1);  // all_default image metadata
  while (count % 8 != 0) put(0, 1);
  out.resize(out.size() + 32, 0);
  return out;
}

inline Bytes text_bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

inline Bytes pnm(const std::string& header, std::size_t payload) {
  Bytes out = text_bytes(header);
  for (std::size_t i = 0; i < payload; ++i) out.push_back(static_cast<std::uint8_t>(i * 13));
  return out;
}

// A BMP info header declaring `width` x 1 (24-bit), with 16 bytes of pixels.
inline Bytes bmp_declaring(std::int32_t width) {
  Bytes out = {'B', 'M'};
  auto le32 = [&](std::uint32_t x) {
    for (int s = 0; s < 32; s += 8) out.push_back(static_cast<std::uint8_t>(x >> s));
  };
  auto le16 = [&](std::uint32_t x) {
    out.push_back(static_cast<std::uint8_t>(x));
    out.push_back(static_cast<std::uint8_t>(x >> 8));
  };
  le32(70);
  le32(0);
  le32(54);
  le32(40);
  le32(static_cast<std::uint32_t>(width));
  le32(1);
  le16(1);
  le16(24);
  for (int i = 0; i < 6; ++i) le32(0);
  for (int i = 0; i < 16; ++i) out.push_back(0x80);
  return out;
}

// ---------------------------------------------------------------------------
// The batch: two good files around the hostile input(s)
// ---------------------------------------------------------------------------

// Good files and the outputs they must give under `-s 64x64`.
struct GoodFile {
  const char* name;
  int width, height, channels;
  cv::Size output;
};
const GoodFile kGood[] = {{"good1.jpg", 320, 240, 3, {64, 48}},
                          {"good2.png", 200, 100, 4, {64, 32}}};

// A pre-existing output (a valid 10x10 JPEG) that a failing input must not touch.
inline Bytes previous_output() {
  return encoded_image(".jpg", 10, 10, 3, 99);
}

class Batch {
 public:
  Batch() {
    fs::create_directories(in());
    for (const auto& g : kGood) {
      write_bytes(in() / g.name, encoded_image(fs::path(g.name).extension().string(), g.width,
                                               g.height, g.channels, 7));
    }
  }
  fs::path in() const { return dir_ / "in"; }
  fs::path out() const { return dir_ / "out"; }
  const ScratchDir& dir() const { return dir_; }

  /// Puts an earlier output at out/NAME, to check that it is left alone.
  void put_previous_output(const std::string& name) {
    previous_ = out() / name;
    write_bytes(previous_, previous_output());
  }

  /// imgflow -s 64x64 -o OUT good1 BAD... good2 (absolute paths: outputs are
  /// named after the file name alone).
  RunResult run(const std::vector<std::string>& bad, RunSpec spec = RunSpec()) const {
    std::vector<std::string> args = {"-s", "64x64", "-o", out().string(),
                                     (in() / kGood[0].name).string()};
    args.insert(args.end(), bad.begin(), bad.end());
    args.push_back((in() / kGood[1].name).string());
    args.insert(args.begin(), spec.args.begin(), spec.args.end());
    spec.args = args;
    return run_imgflow(spec);
  }

  /// The good outputs are there and decode; besides them only `extra` (and
  /// the previous output) exist; no temporaries anywhere; the previous output
  /// is byte-identical.
  void expect_outputs(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> expected = extra;
    for (const auto& g : kGood) expected.push_back(g.name);
    if (!previous_.empty()) expected.push_back(previous_.lexically_relative(out()).string());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(list_files(out()), expected);
    for (const auto& g : kGood) EXPECT_EQ(decoded_size(out() / g.name), g.output) << g.name;
    EXPECT_EQ(temporaries_in(dir_.path()), std::vector<std::string>{});
    if (!previous_.empty()) {
      EXPECT_EQ(read_bytes(previous_), previous_output()) << previous_ << " was changed";
    }
  }

 private:
  ScratchDir dir_;
  fs::path previous_;
};

// Stderr holds exactly one line per failed input, `imgflow: <input>: <code>: <message>`
// (in `failures` order, which is the batch order), then the summary.
inline void expect_failure_lines(const RunResult& r,
                                 const std::vector<std::pair<std::string, std::string>>& failures,
                                 std::size_t total) {
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), failures.size() + 1) << describe(r);
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const std::string prefix = "imgflow: " + failures[i].first + ": " + failures[i].second + ": ";
    EXPECT_TRUE(starts_with(lines[i], prefix))
        << "expected a line starting \"" << prefix << "\", got \"" << lines[i] << "\"";
    EXPECT_GT(lines[i].size(), prefix.size()) << "no message: " << lines[i];
  }
  EXPECT_TRUE(is_summary_line(lines.back(), total, total - failures.size(), failures.size(), 0))
      << lines.back();
}

}  // namespace imgflow::test::hostile
