"""Hostile (and valid-but-unusual) prediction archives, built in memory.

Every builder returns the bytes of the file a team would upload (the byte-level tools are in
:mod:`tests.security_tests.archives`), so the result is exactly what a hand-crafted attack would send.

A :class:`Sample` is a tiny valid submission (names, ground-truth-shaped arrays); each case starts
from it and breaks one thing.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tests.security_tests.archives import (  # noqa: F401 - re-exported for the tests
    deflated_zeros,
    entries,
    interlaced_png,
    jpeg_bytes,
    palette_png,
    patch_entry,
    png16,
    png_1bit,
    png_bytes,
    png_declaring,
    png_rgb,
    rename_raw,
    symlink_info,
    zip_bytes,
)

# Where a file planted by a path-traversal member would land; tests assert it never exists.
PLANTED = "lid_planted_by_hostile_archive.png"


@dataclass(frozen=True)
class Sample:
    """A valid prediction set: ``arrays[name]`` is the label map of ``<name>.png``."""

    arrays: dict[str, np.ndarray]
    max_label: int  # the highest valid prediction value of the track (200, 150 or 255)

    @property
    def names(self) -> list[str]:
        return sorted(self.arrays)

    def pngs(self) -> dict[str, bytes]:
        return {f"{name}.png": png_bytes(self.arrays[name]) for name in self.names}


def make_sample(track: int, *, count: int = 4, shape: tuple[int, int] = (24, 32), seed: int = 0) -> tuple[dict, Sample]:
    """Ground-truth arrays and a prediction that is right on about 70% of the pixels.

    The shape is not square so that a map with width and height swapped is detectable.
    """
    rng = np.random.default_rng(seed)
    top = {1: 200, 2: 150, 3: 1}[track]
    gt, pred = {}, {}
    for i in range(count):
        name = f"lid_{seed}_{i:04d}"
        labels = rng.integers(0 if track != 2 else 1, top + 1, size=shape).astype(np.uint8)
        if track == 1:
            labels[rng.random(shape) < 0.05] = 255  # ignored pixels
        if track == 3:
            labels = (labels * 255).astype(np.uint8)
        gt[name] = labels
        noise = rng.integers(0, top + 1, size=shape).astype(np.uint8)
        guess = np.where(rng.random(shape) < 0.7, labels, noise)
        if track == 1:
            guess = np.where(guess == 255, 0, guess)
        if track == 3:
            guess = rng.integers(0, 256, size=shape).astype(np.uint8)
        pred[name] = guess.astype(np.uint8)
    return gt, Sample(pred, {1: 200, 2: 150, 3: 255}[track])


# --------------------------------------------------------------------------------------------------
# The cases


@dataclass(frozen=True)
class Case:
    """A hostile archive: ``build(sample, gt_root)`` returns the upload's bytes."""

    id: str
    build: Callable[[Sample, str], bytes]
    codes: tuple[str, ...]  # the stable codes a correct scorer may answer
    filename: str = "predictions.zip"


def _with(sample: Sample, extra: list[tuple[str | zipfile.ZipInfo, bytes]], drop: str | None = None) -> bytes:
    members: list[tuple[str | zipfile.ZipInfo, bytes]] = [
        (name, data) for name, data in sample.pngs().items() if name != drop
    ]
    return zip_bytes(members + extra)


def _replace_first(sample: Sample, data: Callable[[np.ndarray], bytes]) -> bytes:
    first = sample.names[0]
    return _with(sample, [(f"{first}.png", data(sample.arrays[first]))], drop=f"{first}.png")


def _ratio_bomb(sample: Sample, _: str) -> bytes:
    first = f"{sample.names[0]}.png"
    return _with(sample, [(first, deflated_zeros(20 * 2**20))], drop=first)


def _lying_small(sample: Sample, _: str) -> bytes:
    """The directory says 1 KiB; the data inflates to 64 MiB."""
    first = f"{sample.names[0]}.png"
    return patch_entry(_with(sample, [(first, deflated_zeros(64 * 2**20))], drop=first), first, file_size=1024)


def _lying_large(sample: Sample, _: str) -> bytes:
    """The directory says 4 GiB - 1 for a member that is a few hundred bytes."""
    first = f"{sample.names[0]}.png"
    return patch_entry(_with(sample, []), first, file_size=2**32 - 1)


def _overlap(sample: Sample, _: str) -> bytes:
    """Two directory records point at the same local header (the "better zip bomb" trick)."""
    data = _with(sample, [])
    first, second = entries(data)[:2]
    return patch_entry(data, second.name.decode(), local_offset=first.local)


def _extra_member(name: str | Callable[[Sample, str], str]) -> Callable[[Sample, str], bytes]:
    def build(sample: Sample, gt_root: str) -> bytes:
        member = name(sample, gt_root) if callable(name) else name
        return _with(sample, [(member, png_bytes(sample.arrays[sample.names[0]]))])

    return build


def _raw_name(raw: bytes) -> Callable[[Sample, str], bytes]:
    def build(sample: Sample, _: str) -> bytes:
        placeholder = "Q" * len(raw)
        return rename_raw(_with(sample, [(placeholder, png_bytes(sample.arrays[sample.names[0]]))]), placeholder, raw)

    return build


def _symlink(target: Callable[[str], str]) -> Callable[[Sample, str], bytes]:
    def build(sample: Sample, gt_root: str) -> bytes:
        first = f"{sample.names[0]}.png"
        return _with(sample, [(symlink_info(first), target(gt_root).encode())], drop=first)

    return build


def _flagged(**patch: int) -> Callable[[Sample, str], bytes]:
    def build(sample: Sample, _: str) -> bytes:
        return patch_entry(_with(sample, []), f"{sample.names[0]}.png", **patch)

    return build


def _nested_zip(sample: Sample, _: str) -> bytes:
    return zip_bytes([("predictions.zip", zip_bytes(sample.pngs()))])


def _zip_as_png(sample: Sample, _: str) -> bytes:
    first = f"{sample.names[0]}.png"
    return _with(sample, [(first, zip_bytes(sample.pngs()))], drop=first)


def _missing(sample: Sample, _: str) -> bytes:
    return _with(sample, [], drop=f"{sample.names[-1]}.png")


def _nested_file(sample: Sample, _: str) -> bytes:
    """All files at the top but one, which sits two folders down."""
    last = f"{sample.names[-1]}.png"
    return _with(sample, [(f"deeper/still/{last}", sample.pngs()[last])], drop=last)


def _two_top_folders(sample: Sample, _: str) -> bytes:
    return zip_bytes({f"{'a' if i % 2 else 'b'}/{n}": d for i, (n, d) in enumerate(sample.pngs().items())})


def _out_of_range(sample: Sample, _: str) -> bytes:
    def bad(array: np.ndarray) -> bytes:
        broken = array.copy()
        broken[0, 0] = sample.max_label + 1
        return png_bytes(broken)

    return _replace_first(sample, bad)


def _png_named_zip(sample: Sample, _: str) -> bytes:
    return png_bytes(sample.arrays[sample.names[0]])


def _tar_gz(sample: Sample, _: str) -> bytes:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in sample.pngs().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _const(data: bytes) -> Callable[[Sample, str], bytes]:
    return lambda sample, gt_root: data


# name -> the codes a correct scorer may answer (evaluation.errors.ERROR_CODES).
UNSAFE = ("unsafe_path",)
_TRAVERSALS = {
    "dotdot": (f"../{PLANTED}", UNSAFE),
    "dotdot_deep": (f"../../../../../../tmp/{PLANTED}", UNSAFE),
    "dotdot_inside": (f"folder/../../{PLANTED}", UNSAFE),
    "dot_dotdot": (f"./../{PLANTED}", UNSAFE),
    "backslash": (f"..\\{PLANTED}", UNSAFE),
    "backslash_deep": (f"..\\..\\..\\tmp\\{PLANTED}", UNSAFE),
    "mixed_slashes": (f"..\\/../{PLANTED}", UNSAFE),
    "dotdotdotdot": (f"....//{PLANTED}", UNSAFE),
    "trailing_dotdot": ("folder/..", UNSAFE),
    # Harmless to a file system, but not a prediction name: refused all the same.
    "percent_encoded": (f"%2e%2e%2f{PLANTED}", ("unsafe_path", "extra_files")),
    "fullwidth_dots": (
        f"\uff0e\uff0e/{PLANTED}",
        ("unsafe_path", "bad_characters_in_name", "several_folders", "extra_files"),
    ),
}
_ABSOLUTE = {
    "unix": f"/tmp/{PLANTED}",
    "unix_double": f"//tmp/{PLANTED}",
    "windows_drive": f"C:\\{PLANTED}",
    "windows_drive_slash": f"C:/{PLANTED}",
    "unc": f"\\\\server\\share\\{PLANTED}",
}
LAYOUT = ("several_folders", "extra_files", "missing_files", "unsafe_path")

CASES: list[Case] = [
    Case("bomb_ratio", _ratio_bomb, ("member_too_large",)),  # 20 MiB: more than any PNG of the image size
    Case("bomb_size_lies_small", _lying_small, ("corrupt_archive", "member_too_large")),
    Case(
        "bomb_size_lies_large",
        _lying_large,
        ("archive_too_large", "member_too_large", "corrupt_archive"),
    ),
    Case("overlapping_entries", _overlap, ("overlapping_entries", "corrupt_archive")),
    *[Case(f"traversal_{key}", _extra_member(name), codes) for key, (name, codes) in _TRAVERSALS.items()],
    *[Case(f"absolute_{key}", _extra_member(name), UNSAFE) for key, name in _ABSOLUTE.items()],
    Case("symlink_to_ground_truth", _symlink(lambda gt_root: gt_root), ("symlink",)),
    Case("symlink_to_etc_passwd", _symlink(lambda gt_root: "/etc/passwd"), ("symlink",)),
    Case(
        "duplicate_name",
        lambda s, g: _with(s, [(f"{s.names[0]}.png", png_bytes(s.arrays[s.names[0]]))]),
        ("duplicate_names",),
    ),
    Case(
        "duplicate_across_top_folder",
        lambda s, g: _with(s, [(f"top/{s.names[0]}.png", s.pngs()[f"{s.names[0]}.png"])]),
        ("duplicate_names", "several_folders", "extra_files"),
    ),
    Case("name_with_nul", _raw_name(b"evil\x00.png"), ("bad_characters_in_name", "corrupt_archive")),
    Case("name_with_cr", _extra_member("evil\r.png"), ("bad_characters_in_name",)),
    Case("name_with_lf", _extra_member("evil\n.png"), ("bad_characters_in_name",)),
    Case("name_with_rlo", _extra_member("evil\u202egnp.exe"), ("bad_characters_in_name",)),
    Case(
        "name_with_html",
        _extra_member("<script>alert('lid')</script><b>x</b>.png"),
        ("bad_characters_in_name", *LAYOUT),
    ),
    Case("encrypted_member", _flagged(flag_bits=0x1), ("encrypted_archive",)),
    # Deflate64, bzip2 and LZMA are read (SPEC 1): tests/evaluation_tests/test_archive_tools.py bombs them.
    Case("zstandard_member", _flagged(method=93), ("unsupported_compression",)),
    Case("nested_zip", _nested_zip, ("nested_archive",)),
    Case("zip_named_png", _zip_as_png, ("nested_archive", "not_png")),
    Case("not_a_zip_png", _png_named_zip, ("not_a_zip",)),
    Case("not_a_zip_text", _const(b"hello, this is not a zip archive\n"), ("not_a_zip",)),
    Case("not_a_zip_tar_gz", _tar_gz, ("not_a_zip",)),
    Case("not_a_zip_random", _const(np.random.default_rng(7).bytes(4096)), ("not_a_zip",)),
    Case("zero_bytes", _const(b""), ("not_a_zip", "empty_archive", "invalid")),
    Case("empty_archive", lambda s, g: zip_bytes({}), ("empty_archive",)),
    Case("jpeg_named_png", lambda s, g: _replace_first(s, jpeg_bytes), ("not_png",)),
    Case(
        "truncated_png",
        lambda s, g: _replace_first(s, lambda a: png_bytes(a)[: len(png_bytes(a)) // 2]),
        ("truncated_png", "corrupt_png"),
    ),
    Case("png_16bit", lambda s, g: _replace_first(s, png16), ("unsupported_png_mode",)),
    Case("png_rgb", lambda s, g: _replace_first(s, png_rgb), ("unsupported_png_mode",)),
    Case("png_1bit", lambda s, g: _replace_first(s, png_1bit), ("unsupported_png_mode",)),
    Case(
        "png_declares_20000x20000",
        lambda s, g: _replace_first(s, lambda a: png_declaring(20000, 20000)),
        ("image_too_large", "size_mismatch"),
    ),
    Case("wrong_size", lambda s, g: _replace_first(s, lambda a: png_bytes(a[:-1, :])), ("size_mismatch",)),
    Case(
        "swapped_size",
        lambda s, g: _replace_first(s, lambda a: png_bytes(np.ascontiguousarray(a.T))),
        ("size_mismatch",),
    ),
    Case("label_out_of_range", _out_of_range, ("labels_out_of_range",)),
    Case("missing_file", _missing, ("missing_files",)),
    Case("extra_file", _extra_member("extra.png"), ("extra_files",)),
    Case("nested_file", _nested_file, LAYOUT),
    Case("two_top_folders", _two_top_folders, ("several_folders",)),
]
CASES_BY_ID = {case.id: case for case in CASES}


# --------------------------------------------------------------------------------------------------
# Valid variants: each must score exactly like ``plain``.


def _junk(sample: Sample) -> bytes:
    first = f"{sample.names[0]}.png"
    junk = [
        ("__MACOSX/._" + first, b"\x00\x05\x16\x07junk"),
        (".DS_Store", b"\x00\x00\x00\x01Bud1"),
        ("Thumbs.db", b"x"),
    ]
    return zip_bytes(list(sample.pngs().items()) + junk)


VARIANTS: dict[str, Callable[[Sample], bytes]] = {
    "plain": lambda s: zip_bytes(s.pngs()),
    "stored": lambda s: zip_bytes(s.pngs(), compression=zipfile.ZIP_STORED),
    "zip64": lambda s: zip_bytes(s.pngs(), force_zip64=True),
    "data_descriptors": lambda s: zip_bytes(s.pngs(), streaming=True),
    "one_top_folder": lambda s: zip_bytes({f"my_predictions/{n}": d for n, d in s.pngs().items()}),
    "os_junk": _junk,
    "palette": lambda s: zip_bytes({f"{n}.png": palette_png(s.arrays[n]) for n in s.names}),
    "interlaced": lambda s: zip_bytes({f"{n}.png": interlaced_png(s.arrays[n]) for n in s.names}),
}
