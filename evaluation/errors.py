"""The two error types of the scoring core and the stable codes of a rejected submission.

A :class:`SubmissionFormatError` is the team's fault and is shown to the team: its ``code`` is
stable (the server stores it and the API returns it) and its ``message`` says what is wrong and
how to fix it. A :class:`GroundTruthError` is the organizers' fault and is never shown to a team.
"""

from __future__ import annotations

from typing import Any

#: Every code a :class:`SubmissionFormatError` can carry, with what it means.
ERROR_CODES: dict[str, str] = {
    "not_a_zip": "the upload is not a zip archive (no end-of-central-directory record)",
    "empty_archive": "the zip archive holds no files",
    "too_many_members": "more entries than the limit",
    "archive_too_large": "total uncompressed size beyond the limit",
    "member_too_large": "one member declares more bytes than any PNG of its ground-truth size needs (zip bomb)",
    "bad_characters_in_name": "a member name holds control or direction-changing characters",
    "unsafe_path": "a member name is absolute, has a drive letter, '..', '.', empty parts or backslashes",
    "symlink": "a member is a symbolic link",
    "encrypted_archive": "a member is encrypted",
    "unsupported_compression": "a member uses a method other than stored, Deflate, Deflate64, bzip2 or LZMA",
    "duplicate_names": "two members have the same name",
    "nested_archive": "a member is itself an archive",
    "corrupt_archive": "local headers, sizes or checksums disagree with the directory",
    "overlapping_entries": "two members share bytes of the file (a zip bomb technique)",
    "several_folders": "files are spread over more than one folder",
    "extra_files": "files that are not predictions for a ground-truth image",
    "missing_files": "no prediction for some ground-truth images",
    "not_png": "a .png member is not a PNG file",
    "truncated_png": "a PNG file ends before its image data or its IEND chunk",
    "corrupt_png": "a PNG file cannot be decoded",
    "unsupported_png_mode": "a PNG is not 8-bit single-channel (L) or palette (P)",
    "image_too_large": "a PNG declares more pixels than the limit",
    "size_mismatch": "a prediction's width and height differ from the ground truth",
    "labels_out_of_range": "a prediction holds values that are not class labels of the track",
}


class SubmissionFormatError(Exception):
    """A submission the scorer refuses; the team can fix it and upload again.

    Parameters
    ----------
    code : str
        One of :data:`ERROR_CODES` (stable, snake_case).
    message : str
        A sentence for the team: what is wrong and what to do.
    member : str, optional
        The archive member the problem was found in, if any.

    Examples
    --------
    >>> e = SubmissionFormatError("not_a_zip", "The upload is not a zip archive.")
    >>> e.code, str(e)
    ('not_a_zip', 'The upload is not a zip archive.')
    >>> e.to_dict()
    {'code': 'not_a_zip', 'message': 'The upload is not a zip archive.'}
    """

    def __init__(self, code: str, message: str, *, member: str | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown submission error code {code!r}")
        super().__init__(code, message, member)
        self.code = code
        self.message = message
        self.member = member

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_submission_error, (self.code, self.message, self.member))

    def to_dict(self) -> dict[str, str]:
        """The JSON body the server and ``score --json`` report.

        Returns
        -------
        dict
            ``{"code": ..., "message": ...}``.

        Examples
        --------
        >>> SubmissionFormatError("empty_archive", "Empty.").to_dict()["code"]
        'empty_archive'
        """
        return {"code": self.code, "message": self.message}


def _rebuild_submission_error(code: str, message: str, member: str | None) -> SubmissionFormatError:
    return SubmissionFormatError(code, message, member=member)


class GroundTruthError(Exception):
    """Ground truth that cannot be used: wrong mode, values out of range, duplicates, a bad store.

    Examples
    --------
    >>> str(GroundTruthError("label 7 is not allowed in track 3"))
    'label 7 is not allowed in track 3'
    """
