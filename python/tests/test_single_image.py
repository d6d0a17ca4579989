"""thumbnail(), decode(), resize(), encode(): sizes, channel order, orientation,
16-bit, sources, errors, threads."""

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import imgflow
from conftest import FIXTURES, PHOTOS, SAMPLES, png_bytes, with_orientation

KITE = SAMPLES / "kite.jpg"  # 2000x1250


def test_thumbnail_is_the_commands_output(tmp_path, cli):
    done = cli("-s", "300x300", "-o", tmp_path, "--quiet", KITE)
    assert done.returncode == 0, done.stderr
    assert imgflow.thumbnail(KITE, "300x300") == (tmp_path / "kite.jpg").read_bytes()
    done = cli("-s", "200x200", "--fit", "cover", "-f", "webp", "-q", "70", "-o", tmp_path,
               "--quiet", KITE)
    assert done.returncode == 0, done.stderr
    assert (imgflow.thumbnail(KITE, "200x200", fit="cover", format="webp", quality=70) ==
            (tmp_path / "kite.webp").read_bytes())


def test_thumbnail_sizes():
    assert imgflow.decode(imgflow.thumbnail(KITE, "300x300")).shape == (188, 300, 3)
    assert imgflow.decode(imgflow.thumbnail(KITE, "200x200", fit="cover")).shape == (200, 200, 3)
    assert imgflow.decode(imgflow.thumbnail(KITE, "x100", format="png")).shape == (100, 160, 3)


def test_thumbnail_sources_give_the_same_bytes():
    data = KITE.read_bytes()
    expected = imgflow.thumbnail(str(KITE), 150)
    assert imgflow.thumbnail(KITE, 150) == expected
    assert imgflow.thumbnail(data, 150) == expected
    assert imgflow.thumbnail(memoryview(data), 150) == expected
    assert imgflow.thumbnail(bytearray(data), 150) == expected
    assert imgflow.thumbnail(io.BytesIO(data), 150) == expected
    with open(KITE, "rb") as f:
        assert imgflow.thumbnail(f, 150) == expected


def test_decode_channel_order_is_rgb():
    red, blue = (250, 10, 20), (5, 30, 240)
    image = png_bytes([[red] * 8 + [blue] * 8 for _ in range(6)])
    pixels = imgflow.decode(image)
    assert pixels.shape == (6, 16, 3) and pixels.dtype == np.uint8
    assert tuple(pixels[0, 0]) == red and tuple(pixels[5, 15]) == blue
    # Through the command's pipeline and back: still red on the left.
    again = imgflow.decode(imgflow.thumbnail(image, "8x8", format="png"))
    assert again.shape == (3, 8, 3)
    assert np.abs(again[1, 0].astype(int) - red).max() <= 2
    assert np.abs(again[1, 7].astype(int) - blue).max() <= 2


def test_decode_matches_the_commands_output_in_rgb(tmp_path, cli):
    done = cli("-s", "250x250", "-f", "png", "-o", tmp_path, "--quiet", KITE)
    assert done.returncode == 0, done.stderr
    from_cli = imgflow.decode(tmp_path / "kite.png")
    ours = imgflow.resize(imgflow.decode(KITE), "250x250")
    assert ours.shape == from_cli.shape == (156, 250, 3)
    assert np.abs(ours.astype(int) - from_cli).mean() < 1.0
    # Swapping red and blue would be far off on this photo (a blue sky).
    assert np.abs(ours[:, :, ::-1].astype(int) - from_cli).mean() > 5


def test_decode_shrinks_on_load_no_smaller_than_asked():
    full = imgflow.decode(KITE)
    assert full.shape == (1250, 2000, 3)
    small = imgflow.decode(KITE, size="200x200")
    # 1/8 scale: 250x157 is at least 1.25 times 200x125 (Options.shrink_margin).
    assert small.shape == (157, 250, 3)
    assert imgflow.decode(KITE, size="200x200", shrink_margin=2).shape == (313, 500, 3)


def test_decode_is_zero_copy():
    pixels = imgflow.decode(KITE, size=100)
    assert not pixels.flags.owndata and type(pixels.base).__name__ == "PyCapsule"
    pixels[0, 0] = (1, 2, 3)  # the array may be written
    assert tuple(pixels[0, 0]) == (1, 2, 3)


def test_uint16_png():
    pixels = imgflow.decode(FIXTURES / "gray16.png")
    assert pixels.shape == (10, 20, 1) and pixels.dtype == np.uint16
    assert pixels[3, :, 0].tolist() == [3000 * x for x in range(20)]
    half = imgflow.resize(pixels, "10x5")
    assert half.dtype == np.uint16 and half.shape == (5, 10, 1)
    assert abs(int(half[2, 5, 0]) - 31500) <= 600
    again = imgflow.decode(imgflow.encode(pixels, "png"))
    assert again.dtype == np.uint16 and np.array_equal(again, pixels)


def test_orientation_is_applied_as_the_command_does():
    rotated = with_orientation(KITE.read_bytes(), 6)  # stored landscape, shown rotated 90° CW
    upright = imgflow.decode(rotated)
    assert upright.shape == (2000, 1250, 3)
    assert np.array_equal(upright, np.rot90(imgflow.decode(KITE), k=-1))
    assert imgflow.decode(rotated, no_rotate=True).shape == (1250, 2000, 3)
    assert imgflow.decode(imgflow.thumbnail(rotated, "200x200")).shape == (200, 125, 3)


def test_resize_options_and_rgb_background():
    pixels = np.zeros((100, 200, 3), np.uint8)
    pixels[:, :, 0] = 200  # red
    padded = imgflow.resize(pixels, "100x100", fit="contain", background="#0000ff")
    assert padded.shape == (100, 100, 3)
    assert tuple(padded[0, 0]) == (0, 0, 255) and tuple(padded[50, 50]) == (200, 0, 0)
    crop = imgflow.resize(pixels, "50x50", fit="cover", gravity="attention")
    assert crop.shape == (50, 50, 3) and tuple(crop[25, 25]) == (200, 0, 0)
    rgba = np.zeros((40, 40, 4), np.uint8)
    assert imgflow.resize(rgba, 20).shape == (20, 20, 4)
    assert imgflow.resize(pixels[:, :100], 10).shape == (10, 10, 3)  # a strided view


def test_resize_never_returns_a_view_of_its_input():
    pixels = np.full((10, 10, 3), 7, np.uint8)
    same = imgflow.resize(pixels, "100x100")  # never enlarges: same size
    assert same.shape == (10, 10, 3)
    pixels[:] = 0
    assert same[0, 0, 0] == 7


def test_encode_formats_round_trip():
    pixels = imgflow.decode(KITE, size=160)
    for format in ("jpeg", "png", "webp", "tiff"):
        again = imgflow.decode(imgflow.encode(pixels, format, quality=95))
        assert again.shape == pixels.shape
        assert np.abs(again.astype(int) - pixels).mean() < 3, format
    assert len(imgflow.encode(pixels, "jpeg", quality=20)) < len(imgflow.encode(pixels, "jpeg"))


def test_error_codes():
    data = KITE.read_bytes()
    cases = [
        (lambda: imgflow.thumbnail(data[: len(data) // 2], 100), "truncated-input"),
        (lambda: imgflow.decode(KITE, max_pixels=1000), "too-many-pixels"),
        (lambda: imgflow.decode(b"hello, world"), "unknown-format"),
        (lambda: imgflow.decode(b""), "empty-input"),
        (lambda: imgflow.thumbnail(SAMPLES / "missing.jpg", 100), "not-found"),
        (lambda: imgflow.thumbnail(KITE, "0x0"), "usage"),
        (lambda: imgflow.encode(np.zeros((4, 4, 3), np.float32), "png"), "usage"),
        (lambda: imgflow.encode(np.zeros((4, 4, 3), np.uint8), "gif"), "usage"),
    ]
    for call, code in cases:
        with pytest.raises(imgflow.Error) as raised:
            call()
        assert raised.value.code == code, (code, str(raised.value))
    assert issubclass(imgflow.Error, Exception)
    assert imgflow.thumbnail(data[: len(data) // 2], 100, allow_truncated=True)[:2] == b"\xff\xd8"


def test_unknown_keyword_raises_type_error():
    with pytest.raises(TypeError, match="thumbnail\\(\\) got an unexpected keyword argument"):
        imgflow.thumbnail(KITE, 100, recursive=True)


def test_threads_in_parallel_give_the_serial_bytes():
    jobs = [(photo, size) for photo in PHOTOS for size in ("300x300", "120x80", "50%")]
    serial = [imgflow.thumbnail(photo, size) for photo, size in jobs]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda job: imgflow.thumbnail(*job), jobs))
    assert parallel == serial
