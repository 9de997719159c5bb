"""PNG decoding: every route gives Pillow's pixels; palette indices are labels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evaluation import accelerators, png, unfilter
from evaluation.png import PngProblem, decode_png, decode_png_with_pillow, read_png_header

from .builders import pillow_png, png_bytes

LIMIT = 10**7


def label_maps() -> st.SearchStrategy[np.ndarray]:
    shapes = st.tuples(st.integers(1, 23), st.integers(1, 23))
    return shapes.flatmap(lambda shape: arrays(np.uint8, shape, elements=st.integers(0, 255)))


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pixels=label_maps(),
    kinds=st.lists(st.integers(0, 4), min_size=1, max_size=5),
    color_type=st.sampled_from([0, 3]),
    interlace=st.booleans(),
)
def test_every_filter_and_route_gives_the_pixels(
    route: str, pixels: np.ndarray, kinds: list[int], color_type: int, interlace: bool
) -> None:
    data = png_bytes(pixels, color_type=color_type, kinds=kinds, interlace=interlace)
    assert np.array_equal(decode_png(data, LIMIT), pixels)
    assert np.array_equal(decode_png_with_pillow(data), pixels)


@pytest.mark.parametrize("route", ["numpy", "pillow"])
def test_routes_without_the_optional_accelerators(monkeypatch: pytest.MonkeyPatch, route: str) -> None:
    monkeypatch.setattr(accelerators, "jit", lambda: None)
    monkeypatch.setattr(unfilter, "_pyspng", None)
    monkeypatch.setattr(png, "_libdeflate", None)
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (17, 13)).astype(np.uint8)
    kinds = [0, 1, 2] if route == "numpy" else [0, 1, 2, 3, 4]
    for color_type in (0, 3):
        assert np.array_equal(decode_png(png_bytes(pixels, color_type=color_type, kinds=kinds), LIMIT), pixels)


@pytest.mark.parametrize(
    "kinds", [[4], [4, 4, 4, 0], [3, 4], [1, 4, 4], [4, 4, 1], [4, 4, 4, 4, 0], [4, 4, 4, 4, 4, 2]]
)
def test_compiled_paeth_rows_agree_with_pillow_on_smooth_maps(kinds: list[int]) -> None:
    # Score-map-like gradients: neighbours differ by small signed steps, so the Paeth predictor's
    # differences are often negative (a uint8 subtraction there once wrapped and miscounted).
    rows, cols = np.mgrid[0:61, 0:53]
    pixels = ((rows * 7 + cols * 5 + (rows * cols) % 11) % 256).astype(np.uint8)
    pixels[20:40, 10:30] = 255 - pixels[20:40, 10:30]
    assert accelerators.jit() is not None
    data = png_bytes(pixels, kinds=kinds)
    assert np.array_equal(decode_png(data, LIMIT), decode_png_with_pillow(data))
    assert np.array_equal(decode_png(data, LIMIT), pixels)


def test_pillow_written_label_maps(tmp_path: object) -> None:
    rng = np.random.default_rng(0)
    labels = np.zeros((60, 80), np.uint8)
    labels[10:40, 20:70] = 7
    labels[rng.random((60, 80)) < 0.05] = 200
    for mode in ("L", "P"):
        for optimize in (False, True):
            assert np.array_equal(decode_png(pillow_png(labels, mode, optimize=optimize), LIMIT), labels)


def test_palette_indices_not_colours_are_the_labels() -> None:
    labels = np.array([[0, 1, 2], [150, 200, 255]], np.uint8)
    data = pillow_png(labels, "P")
    assert read_png_header(data).mode == "P"
    assert decode_png(data, LIMIT).tolist() == labels.tolist()


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_low_bit_palettes_are_labels(depth: int) -> None:
    labels = (np.arange(24).reshape(4, 6) % (2**depth)).astype(np.uint8)
    assert np.array_equal(decode_png(png_bytes(labels, color_type=3, bit_depth=depth), LIMIT), labels)


def test_interlaced_pngs_are_fine() -> None:
    labels = np.random.default_rng(1).integers(0, 200, (37, 41)).astype(np.uint8)
    assert read_png_header(png_bytes(labels, interlace=True)).interlaced
    assert np.array_equal(decode_png(png_bytes(labels, interlace=True, kinds=[4, 1]), LIMIT), labels)


def test_extra_image_data_is_ignored_like_pillow() -> None:
    labels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    data = png_bytes(np.vstack([labels, labels]), height=3)  # the header says 3 rows, the data has 6
    assert np.array_equal(decode_png(data, LIMIT), labels)


def test_palette_without_plte_goes_through_pillow_and_keeps_indices() -> None:
    labels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert np.array_equal(decode_png(png_bytes(labels, color_type=3, palette=False, kinds=[1]), LIMIT), labels)


def test_a_bad_filter_type_is_corrupt() -> None:
    data = png_bytes(np.ones((3, 4), np.uint8), kinds=[0])
    import zlib

    from .builders import SIGNATURE, chunk

    broken = (
        SIGNATURE
        + data[8:33]
        + chunk(b"IDAT", zlib.compress(b"\x07" + bytes(4) + (b"\x00" + bytes(4)) * 2))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(PngProblem) as caught:
        decode_png(broken, LIMIT)
    assert caught.value.code == "corrupt_png"


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5])
def test_compiled_paeth_rows_of_every_small_width(width: int) -> None:
    # three Paeth rows run interleaved, each a column behind: the first two columns and the last
    # two are their edges, and a width of 1 has no second column
    rng = np.random.default_rng(width)
    for height in range(1, 8):
        pixels = rng.integers(0, 256, (height, width)).astype(np.uint8)
        for kinds in ([4], [4, 4, 4, 1], [4, 4, 0]):
            assert np.array_equal(decode_png(png_bytes(pixels, kinds=kinds), LIMIT), pixels), (height, kinds)


def test_header_is_read_without_decoding() -> None:
    header = read_png_header(png_bytes(np.zeros((1, 1), np.uint8), width=20000, height=20000))
    assert (header.width, header.height, header.pixels) == (20000, 20000, 400_000_000)


@settings(max_examples=40, deadline=None, database=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    height=st.integers(1, 9),
    width=st.integers(1, 70),
    kinds=st.lists(st.integers(0, 4), min_size=1, max_size=5),
)
def test_compiled_rows_on_label_maps_with_long_runs(seed: int, height: int, width: int, kinds: list[int]) -> None:
    # Regions of one label: Sub rows are then mostly zeros, which the compiled loop fills 16 at a time
    rng = np.random.default_rng(seed)
    edges = np.sort(rng.integers(0, width + 1, 3))
    pixels = np.zeros((height, width), np.uint8)
    for row in range(height):
        pixels[row] = np.repeat(rng.integers(0, 256, 4).astype(np.uint8), np.diff([0, *edges, width]))
    assert accelerators.jit() is not None
    data = png_bytes(pixels, kinds=kinds)
    assert np.array_equal(decode_png(data, LIMIT), pixels)


def test_compiled_paeth_predictor_is_the_spec_for_every_input() -> None:
    # the compiled loops use stb_image's branch-free form of the predictor: check all 256^3 inputs
    numba = pytest.importorskip("numba")
    kernels = accelerators.numba_kernels()
    assert kernels is not None

    @numba.njit
    def table() -> np.ndarray:
        out = np.empty((256, 256, 256), np.uint8)
        for a in range(256):
            for b in range(256):
                for c in range(256):
                    out[a, b, c] = kernels._paeth(np.int64(a), np.int64(b), np.int64(c))
        return out

    a, b, c = (v.astype(np.int64) for v in np.meshgrid(*[np.arange(256)] * 3, indexing="ij", sparse=True))
    p = a + b - c
    to_a, to_b, to_c = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    spec = np.where((to_a <= to_b) & (to_a <= to_c), a, np.where(to_b <= to_c, b, c))
    assert np.array_equal(table(), spec)
