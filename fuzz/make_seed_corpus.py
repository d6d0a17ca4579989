#!/usr/bin/env python3
"""Regenerates fuzz/corpus/decode/: tiny (< 2 KB) images of every format and
variant imgflow decodes, plus a few broken ones (tagged.*, with metadata: < 8 KB). JPEG, WebP and TIFF come from
the imgflow binary itself (its encoders); HEIC and AVIF from libheif's heif-enc
and GIFs and TIFF variants from ImageMagick's convert (scripts/setup.sh installs both), made
from a 24x15 image; the rest is written byte by byte.

usage: fuzz/make_seed_corpus.py BUILD_DIR/imgflow
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "decode")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, color_type, bit_depth=8, interlace=0, extra=b"", palette=None,
        filters=False):
    """filters: row y uses filter type y % 5 (None, Sub, Up, Average, Paeth)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    row_bytes = (width * channels * bit_depth + 7) // 8
    raw = b"".join(bytes([y % 5 if filters else 0]) +
                   bytes((x * 37 + y * 11) % 256 for x in range(row_bytes))
                   for y in range(height))
    if palette is not None:
        raw = b"".join(b"\x00" + bytes((x + y) % 4 for x in range(row_bytes)) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    body = chunk(b"IHDR", ihdr) + extra
    if palette is not None:
        body += chunk(b"PLTE", palette) + chunk(b"tRNS", b"\xff\x80")
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def bmp(width, height):
    row = (width * 3 + 3) // 4 * 4
    pixels = bytes((i * 7) % 256 for i in range(row * abs(height)))
    header = struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 0, 0, 0, 0)
    return b"BM" + header + info + pixels


def write(name, data):
    # tagged.*: exiv2 pads an XMP packet with 2 KB of spaces.
    assert len(data) < (8192 if name.startswith("tagged.") else 2048), (name, len(data))
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def main():
    imgflow = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write("rgb.png", png(8, 6, 2))
    write("rgba.png", png(8, 6, 6))
    write("gray.png", png(8, 6, 0))
    for name, color_type in (("gray", 0), ("rgb", 2), ("rgba", 6)):
        write("filters_" + name + ".png", png(7, 10, color_type, filters=True))
    write("gray_alpha.png", png(8, 6, 4))
    write("gray1bit.png", png(13, 5, 0, bit_depth=1))
    write("rgb16.png", png(4, 3, 2, bit_depth=16))
    write("interlaced.png", png(9, 9, 2, interlace=1))
    write("palette_trns.png", png(8, 4, 3, palette=b"\x00\x00\x00\xff\x00\x00\x00\xff\x00\x00\x00\xff"))
    write("text_chunk.png", png(4, 4, 2, extra=chunk(b"tEXt", b"Comment\x00seed")))
    # Compressed comments the metadata reader must skip, beside the chunks it
    # reads EXIF and XMP from (an XMP packet, an ImageMagick raw EXIF profile).
    comments = b"".join(chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(600), 9))
                        for _ in range(8))
    xmp = chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    raw_exif = chunk(b"zTXt", b"Raw profile type exif\x00\x00" + zlib.compress(
        b"\nexif\n      22\n457869660000490049492a000800000000000000\n", 9))
    write("metadata_chunks.png", png(4, 4, 2, extra=comments + xmp + raw_exif))
    # Two ICC profiles (PNG allows one), each inflating to 64 KB: the fast
    # path inflates the first only and leaves the file to libpng.
    icc = chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(bytes(64 * 1024), 9))
    write("two_iccp.png", png(4, 4, 2, extra=icc + icc))
    write("bottom_up.bmp", bmp(5, 3))
    write("top_down.bmp", bmp(5, -3))
    write("p6.ppm", b"P6\n4 3\n255\n" + bytes(range(36)))
    write("p5.pgm", b"P5\n# comment\n4 3\n255\n" + bytes(range(12)))
    write("p4.pbm", b"P4\n9 2\n" + b"\xaa\x80\x55\x00")
    write("p3.ppm", b"P3\n2 1\n255\n255 0 0 0 255 0\n")
    write("header.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00"
                        b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
    write("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>\n')
    write("heic_box", b"\x00\x00\x00\x18ftypheic" + bytes(12))
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, "color.png"), "wb") as f:
            f.write(png(12, 9, 2))
        with open(os.path.join(src, "gray.png"), "wb") as f:
            f.write(png(12, 9, 0))
        for fmt in ("jpeg", "webp", "tiff"):
            subprocess.run([imgflow, "--quiet", "-f", fmt, "-q", "50", "-o", os.path.join(tmp, fmt), src],
                           check=True)
        ext = {"jpeg": "jpg", "webp": "webp", "tiff": "tif"}
        for fmt in ("jpeg", "webp", "tiff"):
            for name in ("color", "gray"):
                with open(os.path.join(tmp, fmt, name + "." + ext[fmt]), "rb") as f:
                    data = f.read()
                write(name + "." + ext[fmt], data)
        with open(os.path.join(tmp, "jpeg", "color.jpg"), "rb") as f:
            jpeg = f.read()
        # Progressive, large enough for every shrink-on-load scale (48x32 -> 6x4).
        wide = os.path.join(tmp, "wide.png")
        with open(wide, "wb") as f:
            f.write(png(48, 32, 2))
        subprocess.run([imgflow, "--quiet", "-f", "jpeg", "--progressive", "-q", "50", "-o",
                        os.path.join(tmp, "progressive"), wide], check=True)
        with open(os.path.join(tmp, "progressive", "wide.jpg"), "rb") as f:
            write("progressive.jpg", f.read())
    # EXIF orientation 6 (APP1 right after SOI), a missing end marker, a cut.
    app1 = (b"\xff\xe1\x00\x22Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00"
            b"\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00")
    write("exif_orientation6.jpg", jpeg[:2] + app1 + jpeg[2:])
    write("no_eoi.jpg", jpeg[:-2])
    write("cut.jpg", jpeg[: len(jpeg) // 2])
    time_bomb_seeds()
    reference_tool_seeds()


def repeated_scan(jpeg, limit):
    """The progressive JPEG with its smallest scan repeated before the end
    marker as often as `limit` bytes allow (the scan bomb of
    tests/hostile/, in small)."""
    scans, i = [], 2
    while i + 4 <= len(jpeg) and jpeg[i:i + 2] != b"\xff\xd9":
        start, sos = i, jpeg[i + 1] == 0xDA
        i += 2 + struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        if not sos:
            continue
        while i + 1 < len(jpeg) and not (jpeg[i] == 0xFF and jpeg[i + 1] != 0 and
                                         not 0xD0 <= jpeg[i + 1] <= 0xD7):
            i += 1
        scans.append(jpeg[start:i])
    scan = min(scans, key=len)
    copies = (limit - len(jpeg)) // len(scan)
    return jpeg[:i] + scan * copies + b"\xff\xd9"


def gif(width, height, frames):
    """A GIF89a of `frames`: (left, top, width, height) each, one LZW-coded
    pixel of colour 1 each (a frame larger than its data is cut short)."""
    data = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    for left, top, w, h in frames:
        data += b"\x21\xf9\x04\x04\x01\x00\x00\x00"  # 10 ms, keep the frame
        data += b"\x2c" + struct.pack("<HHHHB", left, top, w, h, 0)
        data += b"\x02\x02\x4c\x01\x00"  # min code size 2: clear, 1, end
    return data + b"\x3b"


def time_bomb_seeds():
    """Small versions of the time bombs of tests/hostile/ (issue 15): a
    progressive JPEG whose smallest scan repeats, an animation of many
    one-pixel frames, and a frame far larger than its screen."""
    with open(os.path.join(out, "progressive.jpg"), "rb") as f:
        write("bomb_repeated_scan.jpg", repeated_scan(f.read(), 2000))
    write("bomb_many_frames.gif", gif(1, 1, [(0, 0, 1, 1)] * 80))
    write("bomb_wide_frame.gif", gif(1, 1, [(0, 0, 65535, 65535)]))


def reference_tool_seeds():
    """HEIC, AVIF (with alpha, with a thumbnail), JPEG XL (lossy, lossless
    with alpha, a recompressed JPEG), GIFs (transparent, interlaced,
    animated) and an animated WebP made by the reference encoders; and files
    with EXIF (GPS too) and XMP for the metadata readers, tagged by exiv2 or
    carried over from a tagged JPEG by heif-enc and cjxl."""
    with tempfile.TemporaryDirectory() as tmp:
        def path(name):
            return os.path.join(tmp, name)

        with open(path("src.png"), "wb") as f:
            f.write(png(24, 15, 2))
        with open(path("alpha.png"), "wb") as f:
            f.write(png(24, 15, 6))
        runs = [
            ["heif-enc", "-q", "40", "-o", path("seed.heic"), path("src.png")],
            ["heif-enc", "-q", "40", "-t", "8", "-o", path("thumb.heic"), path("src.png")],
            ["heif-enc", "-q", "40", "-o", path("seed.avif"), path("src.png")],
            ["heif-enc", "-q", "40", "-o", path("alpha.avif"), path("alpha.png")],
            ["cjxl", "-d", "2", path("src.png"), path("lossy.jxl")],
            ["cjxl", "-d", "0", path("alpha.png"), path("alpha.jxl")],
            ["convert", path("src.png"), path("src.jpg")],
            ["cjxl", path("src.jpg"), path("recompressed.jxl")],
            ["convert", path("alpha.png"), path("transparent.gif")],
            ["convert", path("src.png"), "-interlace", "GIF", path("interlaced.gif")],
            ["convert", "-delay", "5", path("src.png"), path("alpha.png"), path("anim.gif")],
            ["img2webp", "-q", "30", "-d", "50", "-loop", "2", path("src.png"), "-lossless",
             path("alpha.png"), "-o", path("anim.webp")],
            # TIFF kinds libtiff reads (src/codec/tiff_decode.cpp): tiles, JPEG,
            # palette, CMYK, associated alpha in 16 bits, an orientation tag.
            ["convert", path("src.png"), "-compress", "LZW", "-define",
             "tiff:tile-geometry=16x16", "-orient", "RightTop", path("tiled_lzw_orient6.tif")],
            ["convert", path("src.png"), "-compress", "JPEG", path("jpeg.tif")],
            ["convert", path("src.png"), "-colors", "8", "-type", "Palette", "-compress", "Zip",
             path("palette.tif")],
            ["convert", path("src.png"), "-colorspace", "CMYK", "-compress", "RLE",
             path("cmyk_packbits.tif")],
            ["convert", path("alpha.png"), "-crop", "12x8+0+0", "+repage", "-depth", "16",
             "-define", "tiff:alpha=associated", "-compress", "Zip",
             path("rgba16_associated.tif")],
        ]
        for run in runs:
            subprocess.run(run, check=True, stdout=subprocess.DEVNULL)
        tags = ["-M", "set Exif.Image.Make fuzz", "-M", "set Exif.Photo.DateTimeOriginal "
                "2021:05:06 07:08:09", "-M", "set Exif.GPSInfo.GPSLatitude 48/1 51/1 24/1",
                "-M", "set Exif.Image.Orientation 6", "-M", "set Xmp.dc.creator fuzz",
                "-M", "set Xmp.photoshop.City Paris"]
        subprocess.run(["convert", path("src.png"), path("tagged.png")], check=True)
        subprocess.run(["convert", path("src.png"), "-quality", "30", path("tagged.webp")],
                       check=True)
        subprocess.run(["convert", path("src.png"), "-compress", "LZW", path("tagged.tif")],
                       check=True)
        subprocess.run(["cp", path("src.jpg"), path("tagged.jpg")], check=True)
        for name in ("tagged.jpg", "tagged.png", "tagged.webp", "tagged.tif"):
            subprocess.run(["exiv2", "-q"] + tags + [path(name)], check=True)
        subprocess.run(["heif-enc", "-q", "40", "-o", path("tagged.heic"), path("tagged.jpg")],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cjxl", "--quiet", path("tagged.jpg"), path("tagged.jxl")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name in ("seed.heic", "thumb.heic", "seed.avif", "alpha.avif", "lossy.jxl",
                     "alpha.jxl", "recompressed.jxl", "transparent.gif", "interlaced.gif",
                     "anim.gif", "tiled_lzw_orient6.tif", "jpeg.tif", "palette.tif",
                     "cmyk_packbits.tif", "rgba16_associated.tif", "anim.webp", "tagged.jpg",
                     "tagged.png", "tagged.webp", "tagged.tif", "tagged.heic", "tagged.jxl"):
            with open(path(name), "rb") as f:
                write(name, f.read())


if __name__ == "__main__":
    main()
