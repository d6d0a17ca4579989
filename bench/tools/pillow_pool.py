#!/usr/bin/python3
"""The batch resizer most people write with Pillow: multiprocessing.Pool + thumbnail().

Usage: pillow_pool.py INPUT_DIR OUTPUT_DIR [PROCESSES]

Each image: open, apply EXIF orientation, thumbnail() to fit 800x800 with
Lanczos (thumbnail never enlarges), convert to RGB if needed, save as JPEG
quality 85 named OUTPUT_DIR/<stem>.jpg. PROCESSES defaults to the core count.
Exits 1 if any image failed (after trying all of them).
"""

import os
import sys
from multiprocessing import Pool

from PIL import Image, ImageOps

LANCZOS = getattr(Image, "Resampling", Image).LANCZOS
MAX_SIZE = (800, 800)
QUALITY = 85


def resize_one(job):
    src, dst = job
    try:
        with Image.open(src) as im:
            im = ImageOps.exif_transpose(im)
            im.thumbnail(MAX_SIZE, LANCZOS)
            if im.mode != "RGB":
                im = im.convert("RGB")
            im.save(dst, "JPEG", quality=QUALITY)
        return None
    except Exception as exc:
        return f"{src}: {exc}"


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    in_dir, out_dir = sys.argv[1], sys.argv[2]
    processes = int(sys.argv[3]) if len(sys.argv) == 4 else os.cpu_count()
    jobs = []
    for name in sorted(os.listdir(in_dir)):
        src = os.path.join(in_dir, name)
        if os.path.isfile(src):
            jobs.append((src, os.path.join(out_dir, os.path.splitext(name)[0] + ".jpg")))
    pool = Pool(processes)
    errors = [e for e in pool.map(resize_one, jobs) if e]
    # close + join (not terminate) so the workers are reaped by this process and
    # their CPU time shows up in /usr/bin/time's numbers for it.
    pool.close()
    pool.join()
    for err in errors:
        print("pillow_pool: " + err, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
