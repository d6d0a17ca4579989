#!/usr/bin/python3
"""Batch resize with Pillow the way its documentation recommends for thumbnails.

Usage: pillow_pool.py [--orient after|before] INPUT_DIR OUTPUT_DIR [PROCESSES]

multiprocessing.Pool(PROCESSES) (default: the core count); each image: fit
inside 800x800 with Lanczos, never enlarge, upright, RGB, JPEG quality 85,
written as OUTPUT_DIR/<stem>.jpg. Exits 1 if any image failed (after trying
all of them).

--orient after (default): JPEG shrink-on-load. Read the EXIF orientation tag
  (no pixels decoded yet), ask the decoder for a reduced size with
  Image.draft() -- at least twice the fitted size on each side, what
  thumbnail()'s own reducing_gap=2.0 asks for -- then thumbnail() the image as
  stored (for orientations 5-8 the box's width and height swap) and finally
  transpose the small image upright. draft() only works before the pixels are
  loaded, so this order is what keeps it.
--orient before: the naive order, ImageOps.exif_transpose() first: it loads
  (and copies) the full-size image, so thumbnail() can no longer draft.

Colour: neither order converts with an embedded ICC profile, and save() writes
no profile (Pillow keeps one only when asked with icc_profile=).
"""

import os
import sys
from multiprocessing import Pool

from PIL import Image, ImageOps

LANCZOS = getattr(Image, "Resampling", Image).LANCZOS
TRANSPOSE = getattr(Image, "Transpose", Image)
MAX_SIZE = (800, 800)
QUALITY = 85
REDUCING_GAP = 2.0     # thumbnail()'s default: the last resampling step shrinks at least 2x
ORIENTATION_TAG = 0x0112
UPRIGHT = {            # EXIF orientation -> the transpose that makes the pixels upright
    2: TRANSPOSE.FLIP_LEFT_RIGHT,
    3: TRANSPOSE.ROTATE_180,
    4: TRANSPOSE.FLIP_TOP_BOTTOM,
    5: TRANSPOSE.TRANSPOSE,
    6: TRANSPOSE.ROTATE_270,
    7: TRANSPOSE.TRANSVERSE,
    8: TRANSPOSE.ROTATE_90,
}
ORIENT = "after"


def fitted(size, box):
    """Size of SIZE scaled to fit inside BOX, never enlarged."""
    scale = min(box[0] / size[0], box[1] / size[1], 1.0)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def thumbnail_orient_after(im):
    orientation = im.getexif().get(ORIENTATION_TAG, 1)
    # thumbnail() works on the pixels as stored; they are turned by 90 degrees
    # for orientations 5-8, so the box is too.
    box = MAX_SIZE if orientation < 5 else (MAX_SIZE[1], MAX_SIZE[0])
    w, h = fitted(im.size, box)
    im.draft("RGB", (int(w * REDUCING_GAP), int(h * REDUCING_GAP)))   # JPEG only; no-op otherwise
    im.thumbnail(box, LANCZOS, reducing_gap=REDUCING_GAP)
    method = UPRIGHT.get(orientation)
    return im.transpose(method) if method is not None else im


def thumbnail_orient_before(im):
    im = ImageOps.exif_transpose(im)
    im.thumbnail(MAX_SIZE, LANCZOS)
    return im


def resize_one(job):
    src, dst = job
    try:
        with Image.open(src) as im:
            im = thumbnail_orient_after(im) if ORIENT == "after" else thumbnail_orient_before(im)
            if im.mode != "RGB":
                im = im.convert("RGB")
            im.save(dst, "JPEG", quality=QUALITY)
        return None
    except Exception as exc:
        return f"{src}: {exc}"


def init_worker(orient):
    global ORIENT
    ORIENT = orient


def main():
    args = sys.argv[1:]
    orient = "after"
    if len(args) >= 2 and args[0] == "--orient":
        orient = args[1]
        args = args[2:]
    if orient not in ("after", "before") or len(args) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    in_dir, out_dir = args[0], args[1]
    processes = int(args[2]) if len(args) == 3 else os.cpu_count()
    jobs = []
    for name in sorted(os.listdir(in_dir)):
        src = os.path.join(in_dir, name)
        if os.path.isfile(src):
            jobs.append((src, os.path.join(out_dir, os.path.splitext(name)[0] + ".jpg")))
    pool = Pool(processes, initializer=init_worker, initargs=(orient,))
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
