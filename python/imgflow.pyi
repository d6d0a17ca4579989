"""imgflow: resize whole folders of images on every core, in one process."""

import os
from typing import Any, BinaryIO, Callable, Iterator, Literal, Sequence, Union

import numpy

__version__: str

_Path = Union[str, os.PathLike[str]]
_Source = Union[_Path, bytes, bytearray, memoryview, BinaryIO]
_Size = Union[str, int]
_Entry = dict[str, Any]

class Error(Exception):
    """An imgflow error; ``code`` is its stable name ("usage", "truncated-input", ...)."""

    code: str | None

class RunIterator(Iterator[_Entry]):
    """Each file's report entry as it finishes; closing it cancels the run."""

    def __iter__(self) -> RunIterator: ...
    def __next__(self) -> _Entry: ...
    def close(self) -> None: ...
    def __enter__(self) -> RunIterator: ...
    def __exit__(self, *args: object) -> None: ...
    @property
    def report(self) -> dict[str, Any] | None: ...

def run(
    inputs: _Path | Sequence[_Path],
    output: _Path,
    *,
    size: _Size | Sequence[_Size] | None = "800x800",
    on_file: Callable[[_Entry], object] | None = None,
    report: _Path | None = None,
    dry_run: bool = False,
    format: str | Sequence[str] = "keep",
    fit: Literal["inside", "cover", "contain", "fill", "outside"] = "inside",
    gravity: str = "centre",
    enlarge: bool = False,
    filter: str = "auto",
    background: str = "white",
    name: str = "",
    quality: int = 85,
    progressive: bool = False,
    shrink_margin: float = 1.25,
    progressive_bits: int = 2,
    chroma: str | int = "420",
    png_compression: int = 6,
    lossless: bool = False,
    tiff_compression: str = "lzw",
    recursive: bool = False,
    threads: int = 0,
    readers: int = 2,
    writers: int = 2,
    max_in_flight: int = 0,
    max_memory: str | int = "auto",
    files_from: _Path | None = None,
    null: bool = False,
    shard: str | tuple[int, int] | None = None,
    skip_existing: bool = False,
    max_pixels: int = 268402689,
    max_scans: int = 500,
    max_frames: int = 10000,
    max_file_size: int = 0,
    timeout: float = 120,
    allow_truncated: bool = False,
    fail_fast: bool = False,
    max_errors: int = 0,
    no_rotate: bool = False,
    keep_icc: bool = False,
    keep_metadata: bool = False,
    animated: bool = False,
    strip_gps: bool = False,
    no_fsync: bool = False,
    log_json: bool = False,
    quiet: bool = False,
) -> dict[str, Any]:
    """Resizes `inputs` into `output` as the imgflow command does; returns the report."""

def imap(inputs: _Path | Sequence[_Path], output: _Path, **options: Any) -> RunIterator:
    """run() as an iterator of report entries; closing or dropping it cancels the run."""

def merge_reports(
    reports: Sequence[_Path | dict[str, Any]], output: _Path | None = None
) -> dict[str, Any]:
    """One report for a job's shards (paths or run() dicts), as `imgflow merge-reports` makes it."""

def thumbnail(
    source: _Source,
    size: _Size | None,
    *,
    format: str = "jpeg",
    quality: int = 85,
    **options: Any,
) -> bytes:
    """`source` shrunk on load, upright, sRGB, resized to `size` and encoded."""

def decode(source: _Source, *, size: _Size | None = None, **options: Any) -> numpy.ndarray:
    """H×W×C pixels (RGB/RGBA, uint8 or uint16), shrunk on load for `size`."""

def resize(pixels: numpy.ndarray, size: _Size, **options: Any) -> numpy.ndarray:
    """`pixels` resized to `size` with the batch's resampler."""

def encode(pixels: numpy.ndarray, format: str, *, quality: int = 85, **options: Any) -> bytes:
    """`pixels` encoded as "jpeg", "png", "webp", "tiff", "avif", "heic" or "jxl"."""
