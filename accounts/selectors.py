"""Reading people and teams."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet

from accounts.models import Membership, Team
from accounts.roles import user_is_organizer
from lidserver.errors import NotFound

# accounts.models.new_invite_code makes URL-safe base64 codes; the field holds at most 32 characters.
INVITE_CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def team_of_user(*, user: Any, challenge: Any) -> Team | None:
    """The user's team in this challenge, or None (anonymous users have none)."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = Membership.objects.select_related("team").filter(user=user, challenge=challenge).first()
    return membership.team if membership else None


def team_memberships(*, team: Team) -> QuerySet[Membership]:
    """The team's members, earliest first (the order captaincy passes in)."""
    return team.memberships.select_related("user", "team").order_by("joined_at", "id")


def team_is_member(*, team: Team, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(team=team, user=user).exists()


def team_get_visible(*, team_id: int, user: Any) -> Team:
    """A team its members (and organizers) may see; anyone else gets the same 404 as a missing id."""
    team = Team.objects.select_related("challenge", "captain").filter(pk=team_id).first()
    if team is None or not (user_is_organizer(user) or team_is_member(team=team, user=user)):
        raise NotFound("No team with this id, or you are not one of its members.")
    return team


def team_by_invite_code(*, invite_code: str, challenge: Any = None) -> Team | None:
    invite_code = invite_code.strip()
    if not INVITE_CODE_SHAPE.fullmatch(invite_code):  # no query for what cannot be a code
        return None
    teams = Team.objects.select_related("challenge", "captain").filter(invite_code=invite_code)
    if challenge is not None:
        teams = teams.filter(challenge=challenge)
    return teams.first()


def user_teams(*, user: Any) -> list[Team]:
    """Every team the user is in, one per challenge."""
    return [
        membership.team
        for membership in Membership.objects.filter(user=user)
        .select_related("team", "challenge")
        .order_by("challenge__slug")
    ]
