"""The test matrix of real producers (issue 10): every PNG writer and option research teams use, and
every archiver and compression method, flat and in one folder.

Each accepted case must score exactly what a plain Pillow + numpy reference computes from the same
PNG files; each refused case must end `python -m evaluation score` with exit status 2 and one line
naming the file and the fix. No case may raise (a traceback). The writers come from
requirements-dev.txt (opencv-python-headless, pypng, imageio, scikit-image, matplotlib); the
archivers from Debian (zip, p7zip-full, libarchive-tools), installed by `make test`.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import cv2
import imageio.v3 as iio
import matplotlib.image
import numpy as np
import png as pypng
import pytest
import skimage.io
from PIL import Image

from evaluation.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
SHAPES = {"im00": (27, 41), "im01": (30, 25), "im02": (32, 32)}  # height, width; im01's prediction is uniform


# --- writers: a uint8 array -> PNG bytes ----------------------------------------------------------------


def _pillow(mode: str = "L", **options: object) -> Callable[[np.ndarray], bytes]:
    def write(array: np.ndarray) -> bytes:
        image = Image.fromarray(array)
        if mode == "P":
            image = image.convert("P")  # no dithering from L: indices = values
            image.putpalette([v for i in range(256) for v in (i, (i * 7) % 256, (i * 13) % 256)])
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", **options)
        return buffer.getvalue()

    return write


def _opencv(*params: int) -> Callable[[np.ndarray], bytes]:
    def write(array: np.ndarray) -> bytes:
        ok, encoded = cv2.imencode(".png", array, list(params))
        assert ok
        return bytes(encoded.tobytes())

    return write


def _pypng(palette: bool = False, **options: object) -> Callable[[np.ndarray], bytes]:
    def write(array: np.ndarray) -> bytes:
        height, width = array.shape
        kind: dict[str, object] = {"palette": [(i, i, 255 - i) for i in range(256)]} if palette else {"greyscale": True}
        buffer = io.BytesIO()
        pypng.Writer(width, height, bitdepth=8, **kind, **options).write(buffer, array.tolist())
        return buffer.getvalue()

    return write


def _imageio(array: np.ndarray) -> bytes:
    return bytes(iio.imwrite("<bytes>", array, extension=".png"))


def _via_file(save: Callable[[str, np.ndarray], None]) -> Callable[[np.ndarray], bytes]:
    def write(array: np.ndarray) -> bytes:
        path = Path(_via_file.folder) / "written.png"  # type: ignore[attr-defined]
        save(str(path), array)
        return path.read_bytes()

    return write


def _skimage(path: str, array: np.ndarray) -> None:
    skimage.io.imsave(path, array, check_contrast=False)


def _matplotlib(path: str, array: np.ndarray) -> None:
    matplotlib.image.imsave(path, array, cmap="gray", vmin=0, vmax=255)  # writes RGBA, whatever the cmap


def _pillow_4bit(array: np.ndarray) -> bytes:
    image = Image.fromarray(array).convert("P")
    image.putpalette([v for i in range(16) for v in (i * 16, i * 16, i * 16)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", bits=4)
    return buffer.getvalue()


def _pillow_rgb(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG")
    return buffer.getvalue()


VALID_WRITERS: dict[str, Callable[[np.ndarray], bytes]] = {
    "pillow-L": _pillow(),
    "pillow-L-compress0": _pillow(compress_level=0),
    "pillow-L-compress9": _pillow(compress_level=9),
    "pillow-L-optimize": _pillow(optimize=True),
    "pillow-P": _pillow("P"),
    "pillow-P-compress0": _pillow("P", compress_level=0),
    "pillow-P-4bit": _pillow_4bit,
    "opencv": _opencv(),
    "opencv-compression0": _opencv(cv2.IMWRITE_PNG_COMPRESSION, 0),
    "pypng-greyscale": _pypng(),
    "pypng-palette": _pypng(palette=True),
    "pypng-compression0": _pypng(compression=0),
    "imageio": _imageio,
    "skimage.io": _via_file(_skimage),
}
# The typical mistakes: (writer, error code, what the message must say for track 1, for track 3).
REFUSED_WRITERS: dict[str, tuple[Callable[[np.ndarray], bytes], str, str, str]] = {
    "matplotlib-imsave (RGBA)": (
        _via_file(_matplotlib),
        "unsupported_png_mode",
        "is an RGBA PNG with color channels (a visualization?); save the label map as an 8-bit single-channel PNG",
        "is an RGBA PNG with color channels (a visualization?); save the localization map as an 8-bit "
        "single-channel PNG of values 0..255",
    ),
    "pillow-RGB": (
        _pillow_rgb,
        "unsupported_png_mode",
        "is an RGB PNG with color channels",
        "localization map as an 8-bit single-channel PNG of values 0..255",
    ),
    "opencv-uint16": (
        lambda a: _opencv()(a.astype(np.uint16)),
        "unsupported_png_mode",
        "is a 16-bit PNG (mode L;16); save the label map as an 8-bit single-channel PNG",
        "is a 16-bit PNG (mode L;16); rescale the map to 0..255 first",
    ),
    "jpeg-renamed": (_jpeg, "not_png", "is a JPEG image renamed to .png", "is a JPEG image renamed to .png"),
}


# --- archivers: a folder holding the PNGs (flat, or in preds/) -> a zip ---------------------------------------


def _zipfile(method: int, backslash: bool = False) -> Callable[[Path, Path], None]:
    def make(source: Path, target: Path) -> None:
        with zipfile.ZipFile(target, "w", method) as archive:
            for path in sorted(source.rglob("*")):
                name = path.relative_to(source).as_posix()
                if path.is_dir():
                    archive.writestr(name + "/", b"")
                else:
                    archive.write(path, name.replace("/", "\\") if backslash else name)

    return make


def _command(*args: str, inside: bool = True) -> Callable[[Path, Path], None]:
    def make(source: Path, target: Path) -> None:
        done = subprocess.run(
            [*args, str(target), "."] if inside else [*args, str(target), *sorted(p.name for p in source.iterdir())],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    return make


def _bsdtar(source: Path, target: Path) -> None:
    done = subprocess.run(
        ["bsdtar", "--format", "zip", "-cf", str(target), "-C", str(source), "."], capture_output=True
    )
    assert done.returncode == 0, done.stderr


ARCHIVERS: dict[str, Callable[[Path, Path], None]] = {
    "zipfile-stored": _zipfile(zipfile.ZIP_STORED),
    "zipfile-deflate": _zipfile(zipfile.ZIP_DEFLATED),
    "zipfile-bzip2": _zipfile(zipfile.ZIP_BZIP2),
    "zipfile-lzma": _zipfile(zipfile.ZIP_LZMA),
    "powershell5-backslashes": _zipfile(zipfile.ZIP_DEFLATED, backslash=True),
    "zip -r": _command("zip", "-r", "-q"),
    "7z-deflate": _command("7z", "a", "-tzip", "-mm=Deflate", "-bso0", inside=False),
    "7z-deflate64": _command("7z", "a", "-tzip", "-mm=Deflate64", "-bso0", inside=False),
    "7z-bzip2": _command("7z", "a", "-tzip", "-mm=BZip2", "-bso0", inside=False),
    "7z-lzma": _command("7z", "a", "-tzip", "-mm=LZMA", "-bso0", inside=False),
    "bsdtar-zip": _bsdtar,
}
ARCHIVER_METHODS = {  # the method each archiver must really have used (else the case tests nothing)
    "zipfile-stored": 0,
    "zipfile-deflate": 8,
    "zipfile-bzip2": 12,
    "zipfile-lzma": 14,
    "powershell5-backslashes": 8,
    "zip -r": 8,
    "7z-deflate": 8,
    "7z-deflate64": 9,
    "7z-bzip2": 12,
    "7z-lzma": 14,
    "bsdtar-zip": 8,
}


# --- the reference: Pillow + numpy, nothing from evaluation ------------------------------------------------


def reference_track1(truth: dict[str, np.ndarray], pngs: dict[str, bytes]) -> dict[str, float]:
    confusion = np.zeros((201, 201), np.int64)
    for name, labels in truth.items():
        prediction = np.asarray(Image.open(io.BytesIO(pngs[name])))  # mode P gives its indices
        keep = labels != 255
        confusion += np.bincount(labels[keep].astype(np.int64) * 201 + prediction[keep], minlength=201 * 201).reshape(
            201, 201
        )
    tp = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - tp
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        iou = np.where(union > 0, tp / union, np.nan)
        accuracy = np.where(confusion.sum(1) > 0, tp / confusion.sum(1), np.nan)
        return {
            "mean_iou": float(np.nanmean(iou)),
            "mean_accuracy": float(np.nanmean(accuracy)),
            "pixel_accuracy": float(tp.sum() / confusion.sum()),
        }


def reference_track3(masks: dict[str, np.ndarray], pngs: dict[str, bytes]) -> tuple[float, int]:
    curve = np.zeros(256)
    for name in sorted(masks):
        score_map = np.asarray(Image.open(io.BytesIO(pngs[name])))
        inside = masks[name] > 0
        for t in range(256):
            fg = score_map >= t
            union = int((fg | inside).sum())
            curve[t] += (fg & inside).sum() / union if union else 1.0
    curve /= len(masks)
    return float(curve.max()), int(np.argmax(curve))


# --- fixtures --------------------------------------------------------------------------------------------


def _predictions(track: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(track)
    top = 6 if track == 1 else 255
    out = {name: rng.integers(0, top + 1, shape).astype(np.uint8) for name, shape in SHAPES.items()}
    out["im01"][:] = 0  # an all-background prediction: uncompressed, it deflates several hundred times
    if track == 1:
        out["im02"] = np.minimum(out["im02"], 15)  # 4-bit palette writers hold 16 values
    return out


@pytest.fixture(scope="module")
def truth_track1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    folder = tmp_path_factory.mktemp("gt1")
    rng = np.random.default_rng(11)
    truth = {}
    for name, shape in SHAPES.items():
        labels = rng.integers(0, 7, shape).astype(np.uint8)
        labels[0, 0] = 255
        truth[name] = labels
        Image.fromarray(labels).save(folder / f"{name}.png")
    return folder, truth


@pytest.fixture(scope="module")
def truth_track3(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    folder = tmp_path_factory.mktemp("gt3")
    masks = {}
    for i, (name, (height, width)) in enumerate(SHAPES.items()):
        mask = np.zeros((height, width), np.uint8)
        mask[1 : height - 1, i : width - 1] = 255
        masks[name] = mask
        Image.fromarray(mask).save(folder / f"{name}.png")
    return folder, masks


def cli(capsys: pytest.CaptureFixture[str], track: int, gt: Path, archive: Path) -> tuple[int, str, str]:
    """`python -m evaluation score --json`, run in this process (its entry point, no interpreter start)."""
    status = main(["score", "--track", str(track), "--gt", str(gt), "--pred", str(archive), "--json"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def folder_of(tmp_path: Path, pngs: dict[str, bytes], layout: str) -> Path:
    source = tmp_path / "src"
    target = source / "preds" if layout == "in-folder" else source
    target.mkdir(parents=True)
    for name, data in pngs.items():
        (target / f"{name}.png").write_bytes(data)
    return source


# --- the matrix ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", sorted(VALID_WRITERS))
def test_every_valid_writer_scores_like_the_reference_track1(
    writer: str, truth_track1: tuple[Path, dict[str, np.ndarray]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _via_file.folder = tmp_path  # type: ignore[attr-defined]
    gt, truth = truth_track1
    pngs = {name: VALID_WRITERS[writer](array) for name, array in _predictions(1).items()}
    assert all(data[25] in (0, 3) and data[24] in (4, 8) for data in pngs.values())  # 8-bit L, or P of 4/8 bits
    archive = tmp_path / "p.zip"
    ARCHIVERS["zipfile-deflate"](folder_of(tmp_path, pngs, "in-folder"), archive)
    status, out, err = cli(capsys, 1, gt, archive)
    assert (status, err) == (0, ""), err
    payload = json.loads(out)
    assert {k: payload[k] for k in ("mean_iou", "mean_accuracy", "pixel_accuracy")} == reference_track1(truth, pngs)


@pytest.mark.parametrize("writer", [w for w in sorted(VALID_WRITERS) if "P" not in w.split("-")])
def test_every_valid_grayscale_writer_scores_like_the_reference_track3(
    writer: str, truth_track3: tuple[Path, dict[str, np.ndarray]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _via_file.folder = tmp_path  # type: ignore[attr-defined]
    gt, masks = truth_track3
    pngs = {name: VALID_WRITERS[writer](array) for name, array in _predictions(3).items()}
    archive = tmp_path / "p.zip"
    ARCHIVERS["zipfile-deflate"](folder_of(tmp_path, pngs, "flat"), archive)
    status, out, err = cli(capsys, 3, gt, archive)
    assert (status, err) == (0, ""), err
    payload = json.loads(out)
    peak_iou, peak_threshold = reference_track3(masks, pngs)
    assert payload["peak_threshold"] == peak_threshold
    assert payload["peak_iou"] == pytest.approx(peak_iou, abs=1e-15)


@pytest.mark.parametrize("track", [1, 3])
@pytest.mark.parametrize("writer", sorted(REFUSED_WRITERS))
def test_every_typical_mistake_is_refused_with_status_2_naming_the_file_and_the_fix(
    writer: str,
    track: int,
    truth_track1: tuple[Path, dict[str, np.ndarray]],
    truth_track3: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _via_file.folder = tmp_path  # type: ignore[attr-defined]
    write, code, for_labels, for_maps = REFUSED_WRITERS[writer]
    gt = (truth_track1 if track == 1 else truth_track3)[0]
    arrays = _predictions(track)
    pngs = {name: _pillow()(array) for name, array in arrays.items()} | {"im00": write(arrays["im00"])}
    archive = tmp_path / "p.zip"
    ARCHIVERS["zip -r"](folder_of(tmp_path, pngs, "in-folder"), archive)
    status, out, err = cli(capsys, track, gt, archive)
    assert status == 2
    assert json.loads(out)["code"] == code
    assert err.count("\n") == 1 and err.startswith("'preds/im00.png' "), err
    assert (for_labels if track == 1 else for_maps) in err, err
    if track == 3:
        assert "label" not in err, err


@pytest.mark.parametrize("layout", ["flat", "in-folder"])
@pytest.mark.parametrize("archiver", sorted(ARCHIVERS))
def test_every_archiver_and_method_scores_like_the_reference(
    archiver: str,
    layout: str,
    truth_track1: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # one archive holding PNGs of several writers (uncompressed ones included), with OS litter
    _via_file.folder = tmp_path  # type: ignore[attr-defined]
    gt, truth = truth_track1
    writers = ["pillow-L-compress0", "opencv-compression0", "pypng-palette"]
    pngs = {name: VALID_WRITERS[w](a) for w, (name, a) in zip(writers, _predictions(1).items(), strict=True)}
    source = folder_of(tmp_path, pngs, layout)
    (source / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (source / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    archive = tmp_path / "p.zip"
    ARCHIVERS[archiver](source, archive)
    with zipfile.ZipFile(archive) as opened:
        methods = {info.compress_type for info in opened.infolist() if info.filename.endswith(".png")}
    assert ARCHIVER_METHODS[archiver] in methods and methods <= {0, ARCHIVER_METHODS[archiver]}, (
        methods
    )  # 0: too small to compress
    status, out, err = cli(capsys, 1, gt, archive)
    assert (status, err) == (0, ""), err
    payload = json.loads(out)
    assert {k: payload[k] for k in ("mean_iou", "mean_accuracy", "pixel_accuracy")} == reference_track1(truth, pngs)


def test_the_real_command_refuses_a_matplotlib_png_in_one_line(
    truth_track3: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    # the same as above through a real `python -m evaluation` process: exit 2, one line, no traceback
    _via_file.folder = tmp_path  # type: ignore[attr-defined]
    gt, _ = truth_track3
    arrays = _predictions(3)
    pngs = {name: _pillow()(array) for name, array in arrays.items()} | {"im01": _via_file(_matplotlib)(arrays["im01"])}
    archive = tmp_path / "p.zip"
    ARCHIVERS["7z-deflate64"](folder_of(tmp_path, pngs, "flat"), archive)
    done = subprocess.run(
        [sys.executable, "-m", "evaluation", "score", "--track", "3", "--gt", str(gt), "--pred", str(archive)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("'im01.png' is an RGBA PNG") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_the_debian_archivers_are_installed() -> None:
    # `make test` installs them (Makefile target `archivers`); without them the matrix would be partial
    assert all(shutil.which(tool) for tool in ("zip", "7z", "bsdtar"))
