#!/usr/bin/python3
"""PSNR of each tool's resized outputs against a Lanczos reference.

Usage:
  quality.py --corpus-dir DIR --corpus-name NAME \
             [--summary-csv FILE] [--per-image-csv FILE] TOOL=OUTPUT_DIR [TOOL=OUTPUT_DIR ...]

For every source image in DIR and every tool, the tool's output is found by
file stem (OUTPUT_DIR/<stem>.jpg, or <name>.jpg where name keeps the source
extension; sub-folders are searched too). The reference is the source decoded
in full with Pillow (EXIF orientation applied, converted to RGB) and resized
with Image.LANCZOS to exactly the output's width x height, so a tool is not
penalised for rounding its size differently. PSNR is computed on 8-bit luma
(BT.601: Y = 0.299 R + 0.587 G + 0.114 B, peak 255) and, for the CSVs, also on
all three RGB channels. The reported mean is the arithmetic mean of the
per-image PSNR values in dB over the images the tool produced.

Also checks each output size: it must fit inside 800x800, must not be larger
than the source, and must be within 1 px of the aspect-preserving fit
(a "size error" otherwise).

Prints one line per tool: TOOL mean_psnr_y mean_psnr_rgb images missing size_errors.
Appends rows to the CSV files (header written when the file is new).
Exit status 0 unless the arguments are wrong or nothing could be measured.
"""

import argparse
import csv
import math
import os
import sys
from multiprocessing import Pool

import numpy as np
from PIL import Image, ImageOps

LANCZOS = getattr(Image, "Resampling", Image).LANCZOS
BOX = (800, 800)
LUMA = np.array([0.299, 0.587, 0.114])


def load_rgb(path):
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode != "RGB":
            im = im.convert("RGB")
        else:
            im.load()
        return im


def psnr(mse):
    return 99.0 if mse <= 1e-12 else 10.0 * math.log10(255.0 ** 2 / mse)


def expected_size(w, h):
    scale = min(BOX[0] / w, BOX[1] / h, 1.0)
    return w * scale, h * scale


def measure_source(job):
    """Decode one source once; compare every tool's output of it."""
    src, outputs = job  # outputs: {tool: path or None}
    results = {}
    try:
        source = load_rgb(src)
    except Exception as exc:
        return {tool: {"error": f"cannot decode source: {exc}"} for tool in outputs}
    references = {}
    for tool, out_path in outputs.items():
        if out_path is None:
            results[tool] = {"error": "missing output"}
            continue
        try:
            out = load_rgb(out_path)
        except Exception as exc:
            results[tool] = {"error": f"cannot decode output: {exc}"}
            continue
        size = out.size
        if size not in references:
            references[size] = np.asarray(source.resize(size, LANCZOS), dtype=np.float64)
        ref = references[size]
        got = np.asarray(out, dtype=np.float64)
        diff = got - ref
        mse_rgb = float(np.mean(diff ** 2))
        mse_y = float(np.mean((diff @ LUMA) ** 2))
        ew, eh = expected_size(*source.size)
        size_ok = (size[0] <= BOX[0] and size[1] <= BOX[1]
                   and size[0] <= source.size[0] and size[1] <= source.size[1]
                   and abs(size[0] - ew) <= 1.0 and abs(size[1] - eh) <= 1.0)
        results[tool] = {"psnr_y": psnr(mse_y), "psnr_rgb": psnr(mse_rgb),
                         "out_w": size[0], "out_h": size[1], "size_ok": size_ok}
    return results


def index_outputs(out_dir):
    """Map every plausible source key (stem, or full name) to an output path."""
    found = {}
    for dirpath, _dirs, files in os.walk(out_dir):
        for name in files:
            path = os.path.join(dirpath, name)
            stem = os.path.splitext(name)[0]
            found.setdefault(stem, path)
            found.setdefault(os.path.splitext(stem)[0], path)
    return found


def append_rows(path, header, rows):
    if not path:
        return
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(header)
        writer.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--corpus-name", required=True)
    ap.add_argument("--summary-csv")
    ap.add_argument("--per-image-csv")
    ap.add_argument("--processes", type=int, default=os.cpu_count())
    ap.add_argument("tool_dirs", nargs="+", metavar="TOOL=OUTPUT_DIR")
    args = ap.parse_args()

    tools = {}
    for item in args.tool_dirs:
        tool, sep, out_dir = item.partition("=")
        if not sep or not os.path.isdir(out_dir):
            ap.error(f"bad TOOL=OUTPUT_DIR: {item!r}")
        tools[tool] = index_outputs(out_dir)

    sources = sorted(os.path.join(args.corpus_dir, n) for n in os.listdir(args.corpus_dir)
                     if os.path.isfile(os.path.join(args.corpus_dir, n)))
    if not sources:
        print(f"quality: no images in {args.corpus_dir}", file=sys.stderr)
        return 1
    jobs = []
    for src in sources:
        name = os.path.basename(src)
        stem = os.path.splitext(name)[0]
        jobs.append((src, {tool: idx.get(stem) or idx.get(name) for tool, idx in tools.items()}))

    with Pool(args.processes) as pool:
        per_source = pool.map(measure_source, jobs, chunksize=1)

    per_image_rows = []
    summary_rows = []
    for tool in tools:
        ys, rgbs, missing, size_errors = [], [], 0, 0
        for (src, _), res in zip(jobs, per_source):
            r = res[tool]
            if "error" in r:
                missing += 1
                print(f"quality: {args.corpus_name}/{tool}: {os.path.basename(src)}: {r['error']}", file=sys.stderr)
                per_image_rows.append([args.corpus_name, tool, os.path.basename(src), "", "", "", "", "", r["error"]])
                continue
            ys.append(r["psnr_y"])
            rgbs.append(r["psnr_rgb"])
            if not r["size_ok"]:
                size_errors += 1
            per_image_rows.append([args.corpus_name, tool, os.path.basename(src), f"{r['psnr_y']:.3f}",
                                   f"{r['psnr_rgb']:.3f}", r["out_w"], r["out_h"], int(r["size_ok"]), ""])
        mean_y = sum(ys) / len(ys) if ys else float("nan")
        mean_rgb = sum(rgbs) / len(rgbs) if rgbs else float("nan")
        summary_rows.append([args.corpus_name, tool, f"{mean_y:.3f}", f"{mean_rgb:.3f}", len(ys), missing, size_errors])
        print(f"{tool} {mean_y:.3f} {mean_rgb:.3f} {len(ys)} {missing} {size_errors}")

    append_rows(args.per_image_csv, ["corpus", "tool", "source", "psnr_y_db", "psnr_rgb_db",
                                     "out_width", "out_height", "size_ok", "error"], per_image_rows)
    append_rows(args.summary_csv, ["corpus", "tool", "mean_psnr_y_db", "mean_psnr_rgb_db",
                                   "images", "missing", "size_errors"], summary_rows)
    return 0 if any(r[4] for r in summary_rows) else 1


if __name__ == "__main__":
    sys.exit(main())
