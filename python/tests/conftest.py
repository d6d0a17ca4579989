"""Shared fixtures for the imgflow module's tests: the sample photos, the
imgflow command (IMGFLOW_BINARY, set by ctest) and images made on the spot."""

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_images"
FIXTURES = ROOT / "tests" / "fixtures"
# The top-level JPEG photos, each 2000x1250 or so, upright (orientation 1).
PHOTOS = sorted(SAMPLES.glob("*.jpg"))


@pytest.fixture(scope="session")
def cli():
    """Runs the imgflow command; returns the CompletedProcess."""
    binary = os.environ.get("IMGFLOW_BINARY")
    assert binary and Path(binary).is_file(), "IMGFLOW_BINARY must name the imgflow command"

    def run(*args):
        return subprocess.run([binary, *map(str, args)], capture_output=True, text=True)

    return run


@pytest.fixture
def corpus(tmp_path):
    """A folder of `count` JPEG photos (copies of the samples), for runs long enough to stop."""

    def make(count):
        folder = tmp_path / "corpus"
        folder.mkdir()
        for i in range(count):
            source = PHOTOS[i % len(PHOTOS)]
            shutil.copy(source, folder / f"{i:03d}_{source.name}")
        return folder

    return make


def png_bytes(pixels):
    """An 8-bit RGB PNG of `pixels` (a list of rows of (r, g, b)), written by hand
    so that the tests know its channel order without imgflow's help."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\0" + b"".join(bytes(p) for p in row) for row in pixels)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) +
            chunk(b"IEND", b""))


def with_orientation(jpeg, orientation):
    """`jpeg` with an EXIF APP1 segment holding only the orientation tag."""
    tiff = (b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01" +
            b"\x01\x12\x00\x03\x00\x00\x00\x01" + struct.pack(">H", orientation) + b"\x00\x00" +
            b"\x00\x00\x00\x00")
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def assert_complete_jpegs(folder):
    """Every file under `folder` is a whole JPEG (no partial or temporary file)."""
    import imgflow

    for path in Path(folder).rglob("*"):
        if path.is_file():
            assert path.suffix == ".jpg", f"unexpected file {path}"
            data = path.read_bytes()
            assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", f"partial {path}"
            imgflow.decode(data)
