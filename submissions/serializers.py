"""JSON shapes of the submissions API (docs/CONTRACT.md, "Submission JSON")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lidserver.user_text import METHOD_DESCRIPTION_MAX, METHOD_NAME_MAX, NameValidator
from submissions.models import Submission
from submissions.selectors import representative_ids, submission_queue_position


class SubmissionUploadSerializer(serializers.Serializer):
    """The multipart form of an upload. Ranges (e.g. the parameter limit) are checked by the service."""

    archive = serializers.FileField(help_text="A zip of one PNG per ground-truth image, named <image id>.png.")
    method_name = serializers.CharField(max_length=METHOD_NAME_MAX, validators=[NameValidator("method name")])
    method_description = serializers.CharField(
        max_length=METHOD_DESCRIPTION_MAX, required=False, allow_blank=True, default=""
    )
    declared_parameters = serializers.IntegerField(help_text="The model's parameter count; fewer than 150,000,000.")


class SubmissionCheckSerializer(SubmissionUploadSerializer):
    """The pre-check: the upload's fields without the archive (the same fields and rules), and its size."""

    archive = None  # type: ignore[assignment]  # DRF drops a field set to None in a subclass
    archive_size = serializers.IntegerField(
        required=False, min_value=0, help_text="The archive's size in bytes, if already chosen."
    )


class SubmissionCheckQuotaSerializer(serializers.Serializer):
    limit = serializers.IntegerField(allow_null=True)
    used = serializers.IntegerField()
    remaining = serializers.IntegerField(allow_null=True)
    daily_limit = serializers.IntegerField(allow_null=True)
    used_today = serializers.IntegerField()
    next_allowed_at = serializers.DateTimeField(allow_null=True)


class SubmissionCheckResultSerializer(serializers.Serializer):
    """What the pre-check answers: the fields' errors in plain words, and whether the team has a slot now."""

    ok = serializers.BooleanField(help_text="No field error and a slot free: the upload would be accepted.")
    errors = serializers.DictField(  # type: ignore[assignment]  # the answer's field, not Serializer.errors
        child=serializers.CharField(), help_text="Field name -> one sentence; empty when every field is fine."
    )
    can_submit = serializers.BooleanField(help_text="The team may upload now (whatever the fields say).")
    refusal = serializers.JSONField(
        allow_null=True, help_text='Why it may not: {"code", "message", "detail"} as the upload would answer.'
    )
    quota = SubmissionCheckQuotaSerializer()


class SubmissionTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "number", "nullable": True}},
)
class MetricsField(serializers.JSONField):
    """The track's metrics by name: fractions, and track 3's integer ``peak_threshold`` (kept an integer)."""


class SubmissionSerializer(serializers.Serializer):
    """A submission as the API returns it (docs/CONTRACT.md, "Submission JSON").

    Lists pass ``context={"representatives": ids}`` (``representative_ids`` of the page) so the
    representative rule costs two queries per page, not per row.
    """

    id = serializers.IntegerField()
    challenge = serializers.CharField(source="phase.track.challenge.slug")
    track = serializers.IntegerField(source="phase.track.number")
    split = serializers.CharField(source="phase.split")
    team = SubmissionTeamSerializer()
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True)
    status = serializers.ChoiceField(choices=["uploaded", "queued", "running", "scored", "rejected", "failed"])
    archive_name = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    method_name = serializers.CharField()
    method_description = serializers.CharField()
    declared_parameters = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    queued_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    scoring_seconds = serializers.FloatField(allow_null=True)
    scorer_version = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="The track's key metric, a fraction in [0, 1].")
    metrics = MetricsField()
    per_class = serializers.DictField(allow_null=True, help_text='Tracks 1-2: {"iou": [...], "accuracy": [...]}.')
    curve = serializers.DictField(allow_null=True, help_text='Track 3: {"mean": [256 values], "pixel": [256]}.')
    diagnosis = serializers.DictField(
        allow_null=True,
        help_text="Advice on a scored submission; never changes the score. Tracks 1-2: "
        '{"mean_iou_labels_plus_one", "mean_iou_labels_minus_one", "advice": [...]}; track 3: '
        '{"peak_iou_inverted", "peak_threshold_inverted", "advice": [...]}; each advice '
        '{"code", "would_reach", "message"} (and "shift" for labels_shifted). Null until scored.',
    )
    ci = serializers.SerializerMethodField()
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    is_representative = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.ListField(child=serializers.FloatField(), allow_null=True, min_length=2, max_length=2)
    )
    def get_ci(self, sub: Submission) -> list[float] | None:
        """The 95% bootstrap interval of the key metric, [low, high]; null when it is not known."""
        return [sub.ci_low, sub.ci_high] if sub.ci_low is not None and sub.ci_high is not None else None

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=1))
    def get_queue_position(self, sub: Submission) -> int | None:
        """While queued: 1 for the next to be scored (fair order: submission_queue_position); else null."""
        return submission_queue_position(submission=sub)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"shards_done": {"type": "integer"}, "shards_total": {"type": "integer"}},
            "required": ["shards_done", "shards_total"],
        }
    )
    def get_progress(self, sub: Submission) -> dict[str, int] | None:
        """A submission scored in shards: how many of them are scored (of the current attempt); null
        for one scored in one pass or not yet split."""
        if not sub.shards_total:
            return None
        return {"shards_done": sub.shards_done, "shards_total": sub.shards_total}

    def get_is_representative(self, sub: Submission) -> bool:
        representatives = self.context.get("representatives")
        if representatives is None:
            representatives = representative_ids([sub])
        return sub.pk in representatives


def submission_json(submission: Submission, *, representatives: set[int] | None = None) -> dict[str, Any]:
    """The API's JSON of one submission (for pages that show or poll it)."""
    context = {} if representatives is None else {"representatives": representatives}
    return dict(SubmissionSerializer(submission, context=context).data)


class SubmissionPageSerializer(serializers.Serializer):
    """A page of submissions (``?limit=&offset=``), newest first."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SubmissionSerializer(many=True)
