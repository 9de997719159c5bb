"""Before the archive is sent: the upload's fields checked, and whether the team has a slot now.

The fields go through the upload's own serializer (without the archive) and then through the
same service checks the upload applies, so a rule changes in one place. Each error becomes one
sentence in plain words for the field it belongs to; the slot comes from
``submissions.services.upload_refusal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rest_framework.exceptions import ErrorDetail, ValidationError

from lidserver.errors import ApplicationError
from submissions.selectors import Quota, team_quota
from submissions.serializers import SubmissionCheckSerializer
from submissions.services import _check_size_bytes, _checked_method_name, _checked_parameters, upload_refusal

FIELDS = ("method_name", "method_description", "declared_parameters", "archive_size")

_MISSING = {
    "method_name": "Give your method a name; it is shown on the leaderboard.",
    "method_description": "Describe your method in a few words, or leave the description empty.",
    "declared_parameters": "Give the total number of parameters of your inference model(s), e.g. 25557032.",
    "archive_size": "The archive's size must be a number of bytes.",
}
_NOT_A_NUMBER = {
    "declared_parameters": "The parameter count must be a whole number without commas or units, e.g. 25557032.",
    "archive_size": "The archive's size must be a whole number of bytes.",
}
_LABELS = {
    "method_name": "The method name",
    "method_description": "The description",
    "declared_parameters": "The parameter count",
    "archive_size": "The archive's size",
}


@dataclass(frozen=True)
class UploadCheck:
    """The verdict of the pre-check; ``values`` holds the fields that passed, cleaned."""

    errors: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    refusal: ApplicationError | None = None
    quota: Quota | None = None

    @property
    def can_submit(self) -> bool:
        return self.refusal is None

    @property
    def ok(self) -> bool:
        return not self.errors and self.refusal is None


def _sentence(serializer: SubmissionCheckSerializer, name: str, error: ErrorDetail, value: Any) -> str:
    """One DRF error of one field, in plain words (limits read from the field itself)."""
    code = getattr(error, "code", "")
    spec = serializer.fields[name]
    if code in ("required", "blank", "null"):
        return _MISSING.get(name, f"{_LABELS.get(name, name)} is missing.")
    if code == "max_length":
        length = len(str(value or ""))
        return f"{_LABELS[name]} is {length:,} characters long; at most {getattr(spec, 'max_length', 0):,} are allowed, shorten it."
    if code in ("invalid", "max_string_length") and name in _NOT_A_NUMBER:
        return _NOT_A_NUMBER[name]
    return f"{_LABELS.get(name, name)}: {error}"


def upload_fields_check(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The upload's fields (not the archive): cleaned values of those that pass, and one sentence per error."""
    serializer = SubmissionCheckSerializer(data={k: data[k] for k in FIELDS if k in data})
    errors: dict[str, str] = {}
    if not serializer.is_valid():
        for name, details in serializer.errors.items():
            if name in FIELDS and details:
                errors[name] = _sentence(serializer, name, details[0], data.get(name))
    values: dict[str, Any] = {}
    for name in FIELDS:
        if name in errors or name not in data:
            continue
        # Each field that passed the serializer alone: its value as the serializer cleans it.
        single = serializer.fields[name]
        try:
            values[name] = single.run_validation(data[name])
        except ValidationError:  # reported above already
            continue
    # The service's own rules (name after trimming, the parameter range, the upload size).
    for name, check in (
        ("method_name", _checked_method_name),
        ("declared_parameters", _checked_parameters),
        ("archive_size", _check_size_bytes),
    ):
        if name in values:
            try:
                cleaned = check(values[name])
            except ApplicationError as exc:
                errors[name] = exc.message
                del values[name]
            else:
                if cleaned is not None:
                    values[name] = cleaned
    return values, errors


def upload_check(*, team: Any, phase: Any, data: Mapping[str, Any]) -> UploadCheck:
    """The fields' errors and the team's slot, without the archive: what the upload would say first."""
    values, errors = upload_fields_check(data)
    quota = team_quota(team=team, phase=phase)
    return UploadCheck(
        errors=errors, values=values, refusal=upload_refusal(team=team, phase=phase, quota=quota), quota=quota
    )
