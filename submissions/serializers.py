"""JSON shapes of the submissions API (docs/CONTRACT.md, "Submission JSON")."""

from __future__ import annotations

from rest_framework import serializers

from lidserver.user_text import METHOD_DESCRIPTION_MAX, METHOD_NAME_MAX, NameValidator


class SubmissionUploadSerializer(serializers.Serializer):
    """The multipart form of an upload. Ranges (e.g. the parameter limit) are checked by the service."""

    archive = serializers.FileField(help_text="A zip of one PNG per ground-truth image, named <image id>.png.")
    method_name = serializers.CharField(max_length=METHOD_NAME_MAX, validators=[NameValidator("method name")])
    method_description = serializers.CharField(
        max_length=METHOD_DESCRIPTION_MAX, required=False, allow_blank=True, default=""
    )
    declared_parameters = serializers.IntegerField(help_text="The model's parameter count; fewer than 150,000,000.")


class SubmissionTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SubmissionSerializer(serializers.Serializer):
    """Documents what ``submissions.selectors.submission_to_dict`` returns (used for the schema)."""

    id = serializers.IntegerField()
    challenge = serializers.CharField()
    track = serializers.IntegerField()
    split = serializers.CharField()
    team = SubmissionTeamSerializer()
    uploaded_by = serializers.CharField(allow_null=True)
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
    metrics = serializers.DictField(child=serializers.FloatField(allow_null=True))
    per_class = serializers.DictField(allow_null=True, help_text='Tracks 1-2: {"iou": [...], "accuracy": [...]}.')
    curve = serializers.DictField(allow_null=True, help_text='Track 3: {"mean": [256 values], "pixel": [256]}.')
    ci = serializers.ListField(child=serializers.FloatField(), allow_null=True, min_length=2, max_length=2)
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    is_representative = serializers.BooleanField()


class SubmissionPageSerializer(serializers.Serializer):
    """A page of submissions (``?limit=&offset=``), newest first."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SubmissionSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    detail = serializers.JSONField(allow_null=True)
