"""People and teams. A user belongs to at most one team per challenge (a database constraint)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from lidserver.user_text import AFFILIATION_MAX, TEAM_NAME_MAX, NameValidator


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)
    affiliation = models.CharField(max_length=AFFILIATION_MAX, blank=True, validators=[NameValidator("affiliation")])

    REQUIRED_FIELDS = ["email"]


def new_invite_code() -> str:
    return secrets.token_urlsafe(12)


class Team(models.Model):
    challenge = models.ForeignKey("challenges.Challenge", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=TEAM_NAME_MAX, validators=[NameValidator("team name")])
    affiliation = models.CharField(max_length=AFFILIATION_MAX, blank=True, validators=[NameValidator("affiliation")])
    captain = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="captained_teams"
    )
    invite_code = models.CharField(max_length=32, unique=True, default=new_invite_code)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "challenge", name="team_name_unique_per_challenge"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    # Copied from the team so the database itself can say "one team per user per challenge".
    challenge = models.ForeignKey("challenges.Challenge", on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "challenge"], name="one_team_per_user_per_challenge"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"
