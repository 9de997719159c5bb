"""JSON shapes of challenges, tracks and phases (docs/CONTRACT.md)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema_field
from rest_framework import serializers

from challenges.models import Phase

# The path of a phase, /challenges/{slug}/tracks/{number}/{split}/..., with examples (the docs' "Try it
# out" and schemathesis's examples phase start from them).
PHASE_PATH_PARAMETERS = [
    OpenApiParameter(
        "slug",
        str,
        OpenApiParameter.PATH,
        pattern=r"^[-a-zA-Z0-9_]+$",
        examples=[OpenApiExample("LID 2020", "lid2020")],
    ),
    OpenApiParameter("number", int, OpenApiParameter.PATH, examples=[OpenApiExample("Track 1", 1)]),
    OpenApiParameter("split", str, OpenApiParameter.PATH, enum=Phase.Split.values),
]


class PhaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    split = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    image_count = serializers.IntegerField()
    max_submissions = serializers.IntegerField(allow_null=True)
    max_submissions_per_day = serializers.IntegerField(allow_null=True)
    has_ground_truth = serializers.BooleanField()
    max_declared_parameters = serializers.SerializerMethodField(
        help_text="The rules' parameter limit: a declared count must be below it."
    )

    def get_max_declared_parameters(self, phase: Phase) -> int:
        return int(settings.MAX_DECLARED_PARAMETERS)


class TrackSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    dataset = serializers.CharField()
    description = serializers.CharField()
    key_metric = serializers.CharField()
    phases = PhaseSerializer(many=True, source="phases.all")


class ChallengeListSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    short_title = serializers.CharField()
    description = serializers.CharField()


class ChallengeSerializer(ChallengeListSerializer):
    rules = serializers.CharField()
    tracks = TrackSerializer(many=True, source="tracks.all")


class QuotaSerializer(serializers.Serializer):
    """What ``submissions.selectors.team_quota`` returns: counted submissions and the next free slot."""

    limit = serializers.IntegerField(allow_null=True)
    used = serializers.IntegerField()
    remaining = serializers.IntegerField(allow_null=True)
    daily_limit = serializers.IntegerField(allow_null=True)
    used_today = serializers.IntegerField()
    next_allowed_at = serializers.DateTimeField(allow_null=True)


class PhaseDetailSerializer(PhaseSerializer):
    challenge = serializers.CharField(source="track.challenge.slug")
    track = serializers.IntegerField(source="track.number")
    max_rejected_per_day = serializers.IntegerField()
    is_open = serializers.SerializerMethodField()
    is_past_deadline = serializers.SerializerMethodField()
    quota = serializers.SerializerMethodField()

    def get_is_open(self, phase: Phase) -> bool:
        return phase.is_open()

    def get_is_past_deadline(self, phase: Phase) -> bool:
        return phase.is_past_deadline()

    @extend_schema_field(QuotaSerializer(allow_null=True, help_text="Null unless the caller is in a team."))
    def get_quota(self, phase: Phase) -> dict | None:
        quota = self.context.get("quota")
        return QuotaSerializer(quota).data if quota is not None else None
