#!/usr/bin/python3
"""Build the benchmark corpora from the photos shipped in Debian's wallpaper packages.

Usage: make_corpus.py OUT_DIR COUNT

Creates OUT_DIR/jpeg, OUT_DIR/png and OUT_DIR/webp with COUNT files each.
The same corpus is rebuilt only when the count or the generator version changes
(a stamp file records both), so repeated benchmark runs reuse it.

Sources: every distinct jpg/png/webp under /usr/share/wallpapers and
/usr/share/backgrounds (symlinks resolved, so each real file counts once), minus
the small preview images (screenshot.*, anything under 1 MP).

JPEG corpus: full-resolution photos. Files i % 3 == 2 are re-encoded as
progressive JPEGs (quality 90); the rest are the packaged JPEG bytes as they are
(or a baseline quality-92 encode when the source is PNG/WebP). Sources are
cycled to reach COUNT, so later files repeat a photo but usually in the other
encoding.

PNG and WebP corpora: each source downscaled (never enlarged) to about 3, 2 or
4 megapixels (cycling), RGB, so decoding time stays reasonable on 2 cores.
"""

import hashlib
import json
import os
import random
import shutil
import sys
from multiprocessing import Pool

from PIL import Image, ImageOps

GENERATOR_VERSION = 3
SOURCE_ROOTS = ["/usr/share/wallpapers", "/usr/share/backgrounds"]
EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
MIN_PIXELS = 1_000_000
TARGET_MEGAPIXELS = (3.0, 2.0, 4.0)


def find_sources():
    seen = set()
    sources = []
    for root in SOURCE_ROOTS:
        for dirpath, _dirs, files in os.walk(root, followlinks=True):
            for name in sorted(files):
                if not name.lower().endswith(EXTENSIONS):
                    continue
                if name.lower().startswith("screenshot"):
                    continue
                real = os.path.realpath(os.path.join(dirpath, name))
                if real in seen or not os.path.isfile(real):
                    continue
                seen.add(real)
                try:
                    with Image.open(real) as im:
                        w, h = im.size
                        fmt = im.format
                except Exception as exc:  # a broken packaged file: skip it, say so
                    print(f"make_corpus: skipping unreadable {real}: {exc}", file=sys.stderr)
                    continue
                if w * h < MIN_PIXELS:
                    continue
                sources.append({"path": real, "format": fmt, "size": (w, h)})
    sources.sort(key=lambda s: s["path"])
    # A fixed shuffle so that a small (--quick) corpus still mixes sizes and formats.
    random.Random(20240601).shuffle(sources)
    return sources


def label_for(path):
    """A short readable name: the wallpaper's folder plus the file stem."""
    parts = path.split(os.sep)
    stem = os.path.splitext(parts[-1])[0]
    if "wallpapers" in parts:
        theme = parts[parts.index("wallpapers") + 1]
        extra = "dark" if "images_dark" in parts else ""
        label = "-".join(x for x in (theme, extra, stem) if x)
    else:
        label = stem
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)


def load_rgb(path):
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            im = im.convert("RGBA")
            background = Image.new("RGB", im.size, (255, 255, 255))
            background.paste(im, mask=im.getchannel("A"))
            return background, None
        icc = im.info.get("icc_profile")
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        else:
            im.load()
        return im, icc


def downscale_to(im, megapixels):
    w, h = im.size
    target = megapixels * 1_000_000
    if w * h <= target:
        return im
    scale = (target / (w * h)) ** 0.5
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return im.resize(size, Image.LANCZOS)


def make_one(job):
    kind, index, src, dest = job
    if kind == "jpeg":
        progressive = index % 3 == 2
        if not progressive and src["format"] == "JPEG":
            shutil.copyfile(src["path"], dest)
            return dest
        im, icc = load_rgb(src["path"])
        extra = {"icc_profile": icc} if icc else {}
        if progressive:
            im.save(dest, "JPEG", quality=90, progressive=True, optimize=True, **extra)
        else:
            im.save(dest, "JPEG", quality=92, **extra)
        return dest
    im, icc = load_rgb(src["path"])
    im = downscale_to(im, TARGET_MEGAPIXELS[index % len(TARGET_MEGAPIXELS)])
    if im.mode == "L":
        im = im.convert("RGB")
    extra = {"icc_profile": icc} if icc else {}
    if kind == "png":
        im.save(dest, "PNG", **extra)
    else:
        im.save(dest, "WEBP", quality=90, **extra)
    return dest


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir, count = sys.argv[1], int(sys.argv[2])
    if count < 1:
        print("make_corpus: COUNT must be >= 1", file=sys.stderr)
        return 2
    sources = find_sources()
    if not sources:
        print("make_corpus: no source photos found under " + " and ".join(SOURCE_ROOTS)
              + " (are plasma-workspace-wallpapers and gnome-backgrounds installed?)", file=sys.stderr)
        return 1
    fingerprint = hashlib.sha256(json.dumps(
        [GENERATOR_VERSION, count, [s["path"] for s in sources]]).encode()).hexdigest()
    stamp = os.path.join(out_dir, "corpus.stamp")
    if os.path.exists(stamp) and open(stamp).read().strip() == fingerprint:
        print(f"make_corpus: reusing corpora in {out_dir} ({count} files each)")
        return 0

    ext = {"jpeg": "jpg", "png": "png", "webp": "webp"}
    jobs = []
    for kind in ("jpeg", "png", "webp"):
        kind_dir = os.path.join(out_dir, kind)
        shutil.rmtree(kind_dir, ignore_errors=True)
        os.makedirs(kind_dir)
        for i in range(count):
            src = sources[i % len(sources)]
            name = f"{kind}_{i:04d}_{label_for(src['path'])}.{ext[kind]}"
            jobs.append((kind, i, src, os.path.join(kind_dir, name)))
    print(f"make_corpus: {len(sources)} distinct source photos; writing {count} files "
          f"per corpus (jpeg, png, webp) to {out_dir} ...", flush=True)
    with Pool(os.cpu_count() or 1) as pool:
        for done, _ in enumerate(pool.imap_unordered(make_one, jobs, chunksize=1), 1):
            if done % 50 == 0 or done == len(jobs):
                print(f"make_corpus: {done}/{len(jobs)}", flush=True)
    with open(os.path.join(out_dir, "sources.txt"), "w") as fh:
        fh.write("\n".join(s["path"] for s in sources) + "\n")
    with open(stamp, "w") as fh:
        fh.write(fingerprint + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
