"""Hidden ground truth: checked once, packed into a store that scoring reads fast.

Packing is in :mod:`evaluation.gt_pack`. A store is a folder holding ``index.json`` (track, checksum, image names, shapes, offsets),
``labels.bin`` (for tracks 1-2 the raw ``uint8`` labels of every image, one after the other; for
track 3 the object mask, one bit per pixel) and ``histograms.npy`` (each image's label counts,
which let scoring count only the pixels a prediction gets wrong). A plain folder of PNGs is
accepted too; it is checked image by image as it is read.

The checksum is a SHA-256 over the track, and for each image in name order its name, shape and
scored content (labels, or the mask bits); it does not depend on how the PNGs were encoded.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.errors import GroundTruthError
from evaluation.gt_sources import decode_ground_truth, iter_source
from evaluation.tracks import track_spec

STORE_FORMAT = "lid-ground-truth-store"
STORE_VERSION = 1
INDEX_FILE, LABELS_FILE, HISTOGRAMS_FILE = "index.json", "labels.bin", "histograms.npy"


def scored_payload(track: int, labels: npt.NDArray[np.uint8]) -> bytes:
    if track == 3:
        return np.packbits(labels.ravel() != 0).tobytes()
    return np.ascontiguousarray(labels).tobytes()


def hash_start(track: int) -> Any:
    digest = hashlib.sha256(b"lid-ground-truth\x00")
    digest.update(bytes([track]))
    return digest


def hash_image(digest: Any, name: str, shape: tuple[int, int], payload: bytes) -> None:
    digest.update(name.encode("utf-8") + b"\x00" + struct.pack("<II", *shape))
    digest.update(payload)


def _example_folder() -> str:
    """A temporary folder of two tiny track 1 ground-truth PNGs, for the examples."""
    import tempfile

    from PIL import Image

    folder = tempfile.mkdtemp()
    Image.fromarray(np.array([[0, 1, 1], [255, 2, 2]], np.uint8)).save(os.path.join(folder, "a.png"))
    Image.fromarray(np.array([[0, 0, 7, 7]], np.uint8)).save(os.path.join(folder, "b.png"))
    return folder


class GroundTruth:
    """Ground truth of one track and split, from a store or a folder.

    Attributes
    ----------
    track : int
    names : list of str
        Sorted image ids (file names without ``.png``).

    Examples
    --------
    >>> gt = open_ground_truth(_example_folder(), track=1)
    >>> gt.track, gt.names
    (1, ['a', 'b'])
    """

    track: int
    names: list[str]

    @property
    def checksum(self) -> str:
        """SHA-256 hex of the scored content (see the module's description).

        Examples
        --------
        >>> len(open_ground_truth(_example_folder(), track=1).checksum)
        64
        """
        return self._checksum_value()

    def shape_of(self, name: str) -> tuple[int, int]:
        """``(height, width)`` of an image.

        Examples
        --------
        >>> open_ground_truth(_example_folder(), track=1).shape_of("b")
        (1, 4)
        """
        return self._shape_of(name)

    def labels(self, name: str) -> npt.NDArray[np.uint8]:
        """The image's labels (track 3: its 0/1 object mask) as a ``(height, width)`` uint8 array.

        Examples
        --------
        >>> open_ground_truth(_example_folder(), track=1).labels("a").tolist()
        [[0, 1, 1], [255, 2, 2]]
        >>> open_ground_truth(_example_folder(), track=3).labels("a").tolist()
        [[0, 1, 1], [1, 1, 1]]
        """
        return self._labels(name)

    def flat_labels(self, name: str, buffer: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """:meth:`labels` as one row of pixels, read into ``buffer`` when the ground truth can
        (a store can; ``buffer`` must then hold the image's pixels). Scoring reuses one buffer.

        Examples
        --------
        >>> gt = open_ground_truth(_example_folder(), track=1)
        >>> gt.flat_labels("a", np.empty(6, np.uint8)).tolist()
        [0, 1, 1, 255, 2, 2]
        """
        return self._flat_labels(name, buffer)

    def mask_bits(self, name: str) -> npt.NDArray[np.uint8]:
        """Track 3: the object mask packed eight pixels a byte (``numpy.packbits`` of its rows).

        Examples
        --------
        >>> gt = open_ground_truth(_example_folder(), track=3)
        >>> np.unpackbits(gt.mask_bits("a"), count=6).tolist()
        [0, 1, 1, 1, 1, 1]
        """
        return self._mask_bits(name)

    def histogram(self, name: str) -> npt.NDArray[np.int64]:
        """Counts of the 256 values of :meth:`labels`.

        Examples
        --------
        >>> open_ground_truth(_example_folder(), track=1).histogram("b")[[0, 7]].tolist()
        [2, 2]
        """
        return self._histogram(name)

    def labels_and_histogram(self, name: str) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        """:meth:`labels` and :meth:`histogram` together (a folder decodes the PNG once).

        Examples
        --------
        >>> labels, counts = open_ground_truth(_example_folder(), track=1).labels_and_histogram("b")
        >>> labels.shape, int(counts.sum())
        ((1, 4), 4)
        """
        return self._labels_and_histogram(name)

    def close(self) -> None:
        """Release open files (reopened on demand).

        Examples
        --------
        >>> open_ground_truth(_example_folder(), track=1).close()
        """
        self._close()

    def _checksum_value(self) -> str:
        raise NotImplementedError

    def _shape_of(self, name: str) -> tuple[int, int]:
        raise NotImplementedError

    def _labels(self, name: str) -> npt.NDArray[np.uint8]:
        raise NotImplementedError

    def _mask_bits(self, name: str) -> npt.NDArray[np.uint8]:
        return np.packbits(self._labels(name).ravel() != 0)

    def _flat_labels(self, name: str, buffer: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        return np.ascontiguousarray(self._labels(name)).reshape(-1)

    def _histogram(self, name: str) -> npt.NDArray[np.int64]:
        return self._labels_and_histogram(name)[1]

    def _labels_and_histogram(self, name: str) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        labels = self._labels(name)
        return labels, np.bincount(labels.ravel(), minlength=256).astype(np.int64)

    def _close(self) -> None:
        pass


class PackedGroundTruth(GroundTruth):
    """A store written by :func:`pack_ground_truth`, read with one ``pread`` per image.

    Examples
    --------
    >>> import tempfile, os
    >>> from evaluation.synth import make_synthetic
    >>> out = tempfile.mkdtemp()
    >>> _ = make_synthetic(1, 2, out, prediction=False)
    >>> from evaluation.gt_pack import pack_ground_truth
    >>> info = pack_ground_truth(1, os.path.join(out, "gt"), os.path.join(out, "store"))
    >>> store = open_ground_truth(os.path.join(out, "store"))
    >>> store.names == list(info.names), store.checksum == info.checksum
    (True, True)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        try:
            with open(os.path.join(self.path, INDEX_FILE), encoding="utf-8") as handle:
                index = json.load(handle)
            self._histograms = np.load(os.path.join(self.path, HISTOGRAMS_FILE))
        except (OSError, ValueError) as error:
            raise GroundTruthError(f"{self.path} is not a readable ground-truth store ({error})") from None
        if index.get("format") != STORE_FORMAT or index.get("version") != STORE_VERSION:
            raise GroundTruthError(f"{self.path} is not a ground-truth store of version {STORE_VERSION}; pack it again")
        self.track = int(index["track"])
        self.names = list(index["names"])
        self._checksum = str(index["checksum"])
        self._position = {name: i for i, name in enumerate(self.names)}
        self._shapes = np.asarray(index["shapes"], dtype=np.int64).reshape(-1, 2)
        self._shape_list: list[tuple[int, int]] = [(h, w) for h, w in self._shapes.tolist()]
        self._offsets = np.asarray(index["offsets"], dtype=np.int64)
        self._descriptor = -1

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def _checksum_value(self) -> str:
        return self._checksum

    def _shape_of(self, name: str) -> tuple[int, int]:
        return self._shape_list[self._position[name]]

    def _stored(self, name: str) -> tuple[npt.NDArray[np.uint8], int, int]:
        """The image's bytes in ``labels.bin`` (track 3: packed bits), its height and width."""
        i = self._position[name]
        height, width = self._shape_list[i]
        if self._descriptor < 0:
            self._descriptor = os.open(os.path.join(self.path, LABELS_FILE), os.O_RDONLY | getattr(os, "O_BINARY", 0))
        size = (height * width + 7) // 8 if self.track == 3 else height * width
        data = os.pread(self._descriptor, size, int(self._offsets[i]))
        if len(data) != size:
            raise GroundTruthError(f"the ground-truth store {self.path} is truncated at image {name}")
        return np.frombuffer(data, dtype=np.uint8), height, width

    def _flat_labels(self, name: str, buffer: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        if self.track == 3:
            return super()._flat_labels(name, buffer)
        i = self._position[name]
        height, width = self._shape_list[i]
        size = height * width
        if buffer.size < size:
            raise ValueError(f"a buffer of {buffer.size} bytes cannot hold the {size} pixels of {name}")
        if self._descriptor < 0:
            self._descriptor = os.open(os.path.join(self.path, LABELS_FILE), os.O_RDONLY | getattr(os, "O_BINARY", 0))
        out = buffer[:size]
        read = os.preadv(self._descriptor, [out.data], int(self._offsets[i]))  # no new allocation per image
        if read != size:
            raise GroundTruthError(f"the ground-truth store {self.path} is truncated at image {name}")
        return out

    def _labels(self, name: str) -> npt.NDArray[np.uint8]:
        flat, height, width = self._stored(name)
        if self.track == 3:
            flat = np.unpackbits(flat, count=height * width)
        return flat.reshape(height, width)

    def _mask_bits(self, name: str) -> npt.NDArray[np.uint8]:
        if self.track != 3:
            return super()._mask_bits(name)
        return self._stored(name)[0]

    def _histogram(self, name: str) -> npt.NDArray[np.int64]:
        row = self._histograms[self._position[name]]
        full = np.zeros(256, dtype=np.int64)
        full[: row.size] = row
        return full

    def _labels_and_histogram(self, name: str) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        return self._labels(name), self._histogram(name)

    def _close(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1


class FolderGroundTruth(GroundTruth):
    """A folder of ground-truth PNGs, decoded and checked as each image is read.

    Examples
    --------
    >>> import tempfile, os
    >>> from evaluation.synth import make_synthetic
    >>> out = tempfile.mkdtemp()
    >>> _ = make_synthetic(3, 2, out, prediction=False)
    >>> gt = open_ground_truth(os.path.join(out, "gt"), track=3)
    >>> gt.names
    ['ILSVRC2012_val_00000001', 'ILSVRC2012_val_00000002']
    >>> gt.labels(gt.names[0]).shape == gt.shape_of(gt.names[0])
    True
    """

    def __init__(self, path: str | os.PathLike[str], track: int) -> None:
        self.path = os.fspath(path)
        self.track = track_spec(track).number
        self._files = {name: file for name, file in _folder_names(Path(self.path))}
        self.names = sorted(self._files)
        self._checksum: str | None = None

    def _checksum_value(self) -> str:
        if self._checksum is None:
            digest = hash_start(self.track)
            for name in self.names:
                labels = self.labels(name)
                hash_image(digest, name, (labels.shape[0], labels.shape[1]), scored_payload(self.track, labels))
            self._checksum = digest.hexdigest()
        return self._checksum

    def _shape_of(self, name: str) -> tuple[int, int]:
        from evaluation.png import PngProblem, read_png_header

        with open(self._files[name], "rb") as handle:
            head = handle.read(33)
        try:
            header = read_png_header(head)
        except PngProblem as problem:
            raise GroundTruthError(f"ground truth {name}.png {problem.reason}") from None
        return header.height, header.width

    def _labels(self, name: str) -> npt.NDArray[np.uint8]:
        data = Path(self._files[name]).read_bytes()
        labels = decode_ground_truth(self.track, f"{name}.png", data)
        return (labels != 0).astype(np.uint8) if self.track == 3 else labels


def _folder_names(folder: Path) -> Iterator[tuple[str, str]]:
    for name, _ in iter_source(folder, read=False):
        yield name, str(folder / f"{name}.png")


def open_ground_truth(path: str | os.PathLike[str], track: int | None = None) -> GroundTruth:
    """Open a store made by :func:`pack_ground_truth`, or a plain folder of PNGs.

    Parameters
    ----------
    path : str or os.PathLike
    track : int, optional
        Required for a plain folder; for a store, checked against the store's track.

    Returns
    -------
    GroundTruth

    Raises
    ------
    GroundTruthError
        If the path is neither, or the track does not match.

    Examples
    --------
    >>> open_ground_truth("/nonexistent", track=1)
    Traceback (most recent call last):
    ...
    evaluation.errors.GroundTruthError: /nonexistent is not a folder of ground-truth PNGs or a ground-truth store
    """
    folder = Path(path)
    if (folder / INDEX_FILE).is_file():
        store = PackedGroundTruth(folder)
        if track is not None and track_spec(track).number != store.track:
            raise GroundTruthError(f"the store {folder} holds track {store.track} ground truth, not track {track}")
        return store
    if folder.is_dir():
        if track is None:
            raise GroundTruthError(f"{folder} is a folder of PNGs: say which track it belongs to")
        return FolderGroundTruth(folder, track)
    raise GroundTruthError(f"{folder} is not a folder of ground-truth PNGs or a ground-truth store")
