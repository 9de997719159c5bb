"""The LID challenge's scoring core: reads a team's zip of PNG predictions and scores it.

A pure library (numpy and Pillow; ``deflate`` and ``pyspng`` make it faster when installed) that
runs the same from the command line (``python -m evaluation``) and inside a server worker. The
definitions of the metrics are in :mod:`evaluation.metrics`.

>>> from evaluation import TRACKS, SCORER_VERSION
>>> TRACKS[1].key_metric, TRACKS[3].key_metric
('mean_iou', 'peak_iou')
"""

from evaluation.archive import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    ArchiveListing,
    ArchiveMember,
    check_archive,
)
from evaluation.bootstrap import BootstrapSums, bootstrap_interval, bootstrap_sums
from evaluation.errors import ERROR_CODES, GroundTruthError, SubmissionFormatError
from evaluation.ground_truth import GroundTruth, open_ground_truth
from evaluation.gt_pack import GroundTruthInfo, pack_ground_truth
from evaluation.reader import ArchiveReader
from evaluation.result import PerImageStats, ScoreResult, load_per_image
from evaluation.scoring import score_archive
from evaluation.shards import (
    Merged,
    Shard,
    load_result,
    load_shard,
    merge_results,
    merge_shards,
    save_result,
    shard_ranges,
)
from evaluation.synth import make_synthetic
from evaluation.tracks import TRACKS, TrackSpec, track_spec
from evaluation.version import SCORER_VERSION

__all__ = [
    "DEFAULT_LIMITS",
    "ERROR_CODES",
    "SCORER_VERSION",
    "TRACKS",
    "ArchiveLimits",
    "ArchiveListing",
    "ArchiveMember",
    "ArchiveReader",
    "BootstrapSums",
    "GroundTruth",
    "GroundTruthError",
    "GroundTruthInfo",
    "Merged",
    "PerImageStats",
    "ScoreResult",
    "Shard",
    "SubmissionFormatError",
    "TrackSpec",
    "bootstrap_interval",
    "bootstrap_sums",
    "check_archive",
    "load_per_image",
    "load_result",
    "load_shard",
    "make_synthetic",
    "merge_results",
    "merge_shards",
    "open_ground_truth",
    "pack_ground_truth",
    "save_result",
    "score_archive",
    "shard_ranges",
    "track_spec",
]
