"""The three LID tracks: what their labels mean and which classes the mean is taken over."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from evaluation.classes import ADE20K_CLASSES, DET_CLASSES, LOCALIZATION_CLASSES


@dataclass(frozen=True)
class TrackSpec:
    """What a track's ground truth and predictions mean.

    Attributes
    ----------
    number : int
        1, 2 or 3.
    title : str
        The track's name as shown on the server.
    num_classes : int
        C: predictions of tracks 1-2 must lie in ``0 .. C-1``. Track 3 has 2 (background, object).
    class_names : list of str
        Index = label value.
    key_metric : str
        ``"mean_iou"`` (tracks 1-2) or ``"peak_iou"`` (track 3).
    kind : str
        ``"segmentation"`` (one confusion matrix) or ``"localization"`` (IoU-threshold curve).
    ignore_label : int or None
        Ground-truth value left out of scoring: 255 for track 1, 0 for track 2.
    scored_classes : tuple of int
        Classes the mean IoU and mean accuracy average over.

    Examples
    --------
    >>> TRACKS[1].num_classes, TRACKS[1].ignore_label, len(TRACKS[1].scored_classes)
    (201, 255, 201)
    >>> TRACKS[2].scored_classes[0], TRACKS[2].scored_classes[-1]
    (1, 150)
    >>> TRACKS[3].key_metric
    'peak_iou'
    """

    number: int
    title: str
    num_classes: int
    class_names: list[str] = field(compare=False)
    key_metric: str
    kind: str
    ignore_label: int | None
    scored_classes: tuple[int, ...]

    @property
    def is_segmentation(self) -> bool:
        """True for tracks scored from a confusion matrix (tracks 1-2).

        Examples
        --------
        >>> TRACKS[2].is_segmentation, TRACKS[3].is_segmentation
        (True, False)
        """
        return self.kind == "segmentation"

    def with_scored_classes(self, classes: Iterable[int]) -> TrackSpec:
        """A copy whose means run over ``classes`` (e.g. track 1 without background).

        Parameters
        ----------
        classes : iterable of int
            Labels in ``0 .. num_classes-1``.

        Returns
        -------
        TrackSpec

        Examples
        --------
        >>> spec = TRACKS[1].with_scored_classes(range(1, 201))
        >>> len(spec.scored_classes), spec.scored_classes[0]
        (200, 1)
        """
        chosen = tuple(sorted(set(int(c) for c in classes)))
        if not chosen or chosen[0] < 0 or chosen[-1] >= self.num_classes:
            raise ValueError(f"scored classes must be a non-empty subset of 0..{self.num_classes - 1}")
        return dataclasses.replace(self, scored_classes=chosen)


TRACKS: dict[int, TrackSpec] = {
    1: TrackSpec(
        number=1,
        title="Weakly supervised semantic segmentation (ILSVRC-LID-200)",
        num_classes=201,
        class_names=list(DET_CLASSES),
        key_metric="mean_iou",
        kind="segmentation",
        ignore_label=255,
        scored_classes=tuple(range(0, 201)),
    ),
    2: TrackSpec(
        number=2,
        title="Weakly supervised scene parsing (ADE20K)",
        num_classes=151,
        class_names=list(ADE20K_CLASSES),
        key_metric="mean_iou",
        kind="segmentation",
        ignore_label=0,
        scored_classes=tuple(range(1, 151)),
    ),
    3: TrackSpec(
        number=3,
        title="Weakly supervised object localization (ILSVRC CLS-LOC)",
        num_classes=2,
        class_names=list(LOCALIZATION_CLASSES),
        key_metric="peak_iou",
        kind="localization",
        ignore_label=None,
        scored_classes=(1,),
    ),
}


def track_spec(track: int | TrackSpec) -> TrackSpec:
    """The :class:`TrackSpec` of a track number (a spec is returned as is).

    Parameters
    ----------
    track : int or TrackSpec

    Returns
    -------
    TrackSpec

    Examples
    --------
    >>> track_spec(2).num_classes
    151
    """
    if isinstance(track, TrackSpec):
        return track
    if isinstance(track, bool) or track not in TRACKS:
        raise ValueError(f"unknown track {track!r}; tracks are 1, 2 and 3")
    return TRACKS[track]
