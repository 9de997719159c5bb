"""JSON shapes of people and teams (docs/CONTRACT.md)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from accounts.selectors import team_memberships
from lidserver.user_text import AFFILIATION_MAX, TEAM_NAME_MAX, NameValidator


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TeamCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=TEAM_NAME_MAX, validators=[NameValidator("team name")])
    affiliation = serializers.CharField(
        max_length=AFFILIATION_MAX,
        required=False,
        allow_blank=True,
        default="",
        validators=[NameValidator("affiliation")],
    )


class TeamJoinSerializer(serializers.Serializer):
    invite_code = serializers.CharField(max_length=200)


class MeTeamSerializer(serializers.Serializer):
    challenge = serializers.CharField(source="challenge.slug")
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    teams = MeTeamSerializer(many=True)


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    username = serializers.CharField(source="user.username")
    joined_at = serializers.DateTimeField()
    is_captain = serializers.SerializerMethodField()

    def get_is_captain(self, membership: Any) -> bool:
        return membership.user_id == membership.team.captain_id


class CaptainSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class TeamSerializer(serializers.Serializer):
    """A team as its members see it (with the invite code)."""

    id = serializers.IntegerField()
    challenge = serializers.CharField(source="challenge.slug")
    name = serializers.CharField()
    affiliation = serializers.CharField()
    captain = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    invite_code = serializers.CharField()
    invite_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(CaptainSerializer(allow_null=True))
    def get_captain(self, team: Team) -> dict[str, Any] | None:
        return CaptainSerializer(team.captain).data if team.captain else None

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, team: Team) -> list[dict[str, Any]]:
        return MemberSerializer(team_memberships(team=team), many=True).data

    def get_invite_url(self, team: Team) -> str:
        path = reverse("accounts:join", args=[team.challenge.slug, team.invite_code])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
