"""Team-facing sentences for problems found inside PNG predictions."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evaluation.png import PngProblem
from evaluation.tracks import TrackSpec

_FIXES = {
    "not_png": "Save every prediction as a PNG file.",
    "nested_archive": "Put the PNG files directly in one zip archive.",
    "truncated_png": "Write the file again and create the archive again.",
    "corrupt_png": "Write the file again with a standard PNG writer (Pillow, OpenCV, imageio).",
    "image_too_large": "Each prediction must have exactly the size of its ground-truth image.",
}


_MAP_HINT = "save the localization map as an 8-bit single-channel PNG of values 0..255, e.g. Image.fromarray(scores).save(path) with scores a uint8 array"
_TRACK3_FIXES = {
    "16-bit": "rescale the map to 0..255 first (e.g. np.round(255 * scores / scores.max()).astype(np.uint8)): "
    "casting a 16-bit map to uint8 wraps every value above 255 around; then " + _MAP_HINT,
    "1-bit": "which cannot hold a localization map 0..255; " + _MAP_HINT,
}


def png_problem_message(name: str, problem: PngProblem, spec: TrackSpec | None = None) -> str:
    """``'<name>' <reason>. <how to fix>``; track 3 speaks of localization maps 0..255, not labels.

    Examples
    --------
    >>> png_problem_message("a.png", PngProblem("not_png", "is a JPEG image renamed to .png, not a PNG file"))
    "'a.png' is a JPEG image renamed to .png, not a PNG file. Save every prediction as a PNG file."
    >>> from evaluation.tracks import TRACKS
    >>> problem = PngProblem("unsupported_png_mode", "is a 16-bit PNG (mode L;16); ...", what="is a 16-bit PNG (mode L;16)", kind="16-bit")
    >>> print(png_problem_message("a.png", problem, TRACKS[3]))  # doctest: +ELLIPSIS
    'a.png' is a 16-bit PNG (mode L;16); rescale the map to 0..255 first (...): casting a 16-bit map to uint8 wraps every value above 255 around; then save the localization map as an 8-bit single-channel PNG of values 0..255, ...
    """
    reason = problem.reason
    if spec is not None and not spec.is_segmentation and problem.code == "unsupported_png_mode":
        fix = _TRACK3_FIXES.get(problem.kind, _MAP_HINT)
        reason = problem.what + (", " if problem.kind == "1-bit" else "; ") + fix
    fix = _FIXES.get(problem.code, "")
    return f"'{name}' {reason}." + (f" {fix}" if fix else "")


def size_mismatch_message(name: str, got: tuple[int, int], expected: tuple[int, int]) -> str:
    """Say both sizes as width x height, and whether they are swapped.

    Examples
    --------
    >>> size_mismatch_message("a.png", (500, 375), (375, 500))
    "'a.png' is 375 x 500 pixels (width x height) but its ground-truth image is 500 x 375: width and height are swapped (a transposed array?). Predictions must have exactly the ground-truth size; nothing is resized."
    """
    (got_h, got_w), (exp_h, exp_w) = got, expected
    message = f"'{name}' is {got_w} x {got_h} pixels (width x height) but its ground-truth image is {exp_w} x {exp_h}"
    if (got_h, got_w) == (exp_w, exp_h):
        message += ": width and height are swapped (a transposed array?)"
    return message + ". Predictions must have exactly the ground-truth size; nothing is resized."


def _likely_cause(values: list[int], bad: list[int], spec: TrackSpec) -> str:
    top = spec.num_classes - 1
    if set(values) <= {0, 1, 255} and 255 in values:
        return (
            "It looks like a 0..1 (binary) map scaled to 0/255 rather than class labels; "
            f"write the class label (0..{top}) of each pixel."
        )
    if bad == [255]:
        if spec.ignore_label == 0:
            return "255 is not a label here: it looks like 255 was used for unlabeled or ignored pixels; predict a class 1..150 for every pixel."
        return "255 is not a label here: it looks like 255 was used for background or ignored pixels; write 0 for background."
    if bad == [spec.num_classes] or (values and min(values) >= 1 and max(values) == spec.num_classes):
        return (
            f"The labels look shifted up by one (as when 1 is added to labels that were already shifted, "
            f"e.g. mmsegmentation's reduce_zero_label): the largest label is {top}."
        )
    if len(values) > 32:
        return "It looks like a grayscale score or probability map scaled to 0..255, not a map of class labels."
    return f"Each pixel must hold a class label 0..{top}."


def out_of_range_message(name: str, prediction: npt.NDArray[np.uint8], spec: TrackSpec) -> str:
    """Name the values outside ``0..C-1`` and the likely cause.

    Examples
    --------
    >>> from evaluation.tracks import TRACKS
    >>> print(out_of_range_message("a.png", np.array([[0, 3, 255]], np.uint8), TRACKS[1]))
    'a.png' holds values that are not track 1 labels (0..200): 255. 255 is not a label here: it looks like 255 was used for background or ignored pixels; write 0 for background.
    """
    values = [int(v) for v in np.flatnonzero(np.bincount(prediction.ravel(), minlength=256))]
    bad = [v for v in values if v >= spec.num_classes]
    shown = ", ".join(str(v) for v in bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
    return (
        f"'{name}' holds values that are not track {spec.number} labels (0..{spec.num_classes - 1}): {shown}. "
        + _likely_cause(values, bad, spec)
    )
