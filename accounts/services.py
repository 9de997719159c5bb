"""Writing people, API tokens and teams.

A user is in at most one team per challenge; the database says so too (constraint
``one_team_per_user_per_challenge``), and a race that slips past the friendly check below becomes
the same clear error. Submission slots belong to the team, so moving between teams never resets them.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.authtoken.models import Token

from accounts.models import Membership, Team, User, new_invite_code
from lidserver.errors import ApplicationError, NotFound
from lidserver.user_text import AFFILIATION_MAX, TEAM_NAME_MAX, name_problem

TEAM_NAME_CONSTRAINT = "team_name_unique_per_challenge"
ONE_TEAM_CONSTRAINT = "one_team_per_user_per_challenge"


def _already_in_team_error(challenge: Any) -> ApplicationError:
    return ApplicationError(
        "already_in_team",
        f"You are already in a team for {challenge.short_title}; leave it first to create or join another.",
        http_status=status.HTTP_409_CONFLICT,
    )


def _name_taken_error(name: str) -> ApplicationError:
    return ApplicationError(
        "team_name_taken",
        f"A team named “{name}” already exists in this challenge (names ignore case); choose another name.",
        http_status=status.HTTP_409_CONFLICT,
    )


def user_signup(*, username: str, email: str, password: str, affiliation: str = "") -> User:
    """Create a participant account (the form or caller has validated the password's strength)."""
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError("username_taken", "This username is taken; choose another.")
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            "email_taken", "An account with this e-mail address exists; log in or reset its password."
        )
    return User.objects.create_user(
        username=username, email=email.strip(), password=password, affiliation=_checked_affiliation(affiliation)
    )


def token_create(*, user: User) -> Token:
    """The user's API token, made if there is none (one token per user)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def token_revoke(*, user: User) -> bool:
    """Delete the user's API token; requests that send it get 401 from now on."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


def _clean_team_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError("invalid", "Give the team a name.")
    if len(name) > TEAM_NAME_MAX:
        raise ApplicationError("invalid", f"The team name is too long; use at most {TEAM_NAME_MAX} characters.")
    _check_name(name, "team name")
    return name


def _checked_affiliation(value: str) -> str:
    affiliation = (value or "").strip()
    if len(affiliation) > AFFILIATION_MAX:
        raise ApplicationError("invalid", f"The affiliation is too long; use at most {AFFILIATION_MAX} characters.")
    _check_name(affiliation, "affiliation")
    return affiliation


def _check_name(value: str, what: str) -> None:
    problem = name_problem(value, what) if value else None
    if problem is not None:
        raise ApplicationError("invalid_name", problem)


def _check_team_create(*, user: User, challenge: Any, name: str) -> None:
    """The friendly checks; the database constraints stay the guarantee under concurrency."""
    if Membership.objects.filter(user=user, challenge=challenge).exists():
        raise _already_in_team_error(challenge)
    if Team.objects.filter(challenge=challenge, name__iexact=name).exists():
        raise _name_taken_error(name)


def team_create(*, user: User, challenge: Any, name: str, affiliation: str = "") -> Team:
    """Create a team; its creator is its captain and first member."""
    name = _clean_team_name(name)
    affiliation = _checked_affiliation(affiliation)
    _check_team_create(user=user, challenge=challenge, name=name)
    try:
        with transaction.atomic():
            team = Team.objects.create(challenge=challenge, name=name, affiliation=affiliation, captain=user)
            Membership.objects.create(team=team, user=user, challenge=challenge)
    except IntegrityError as exc:  # a concurrent request won the race the checks above lost
        if TEAM_NAME_CONSTRAINT in str(exc):
            raise _name_taken_error(name) from exc
        if ONE_TEAM_CONSTRAINT in str(exc) or "accounts_membership" in str(exc):
            raise _already_in_team_error(challenge) from exc
        raise
    return team


def team_join(*, user: User, invite_code: str, challenge: Any = None) -> Team:
    """Join the team whose current invite code this is (restricted to ``challenge`` when given)."""
    teams = Team.objects.select_related("challenge").filter(invite_code=(invite_code or "").strip())
    if challenge is not None:
        teams = teams.filter(challenge=challenge)
    team = teams.first()
    if team is None:
        raise ApplicationError(
            "invalid_invite_code",
            "This invite code is not valid (the captain may have replaced it); ask your captain for the current link.",
            http_status=status.HTTP_404_NOT_FOUND,
        )
    current = Membership.objects.filter(user=user, challenge=team.challenge).select_related("team").first()
    if current is not None and current.team_id == team.pk:
        raise ApplicationError(
            "already_member", f"You are already a member of {team.name}.", http_status=status.HTTP_409_CONFLICT
        )
    if current is not None:
        raise _already_in_team_error(team.challenge)
    try:
        with transaction.atomic():
            team = Team.objects.select_for_update().get(pk=team.pk)
            Membership.objects.create(team=team, user=user, challenge=team.challenge)
            if team.captain_id is None:  # an emptied team: whoever joins first leads it
                team.captain = user
                team.save(update_fields=["captain"])
    except IntegrityError as exc:
        raise _already_in_team_error(team.challenge) from exc
    return team


def _membership_or_404(*, team: Team, user: Any) -> Membership:
    membership = Membership.objects.filter(team=team, user=user).first()
    if membership is None:
        raise NotFound("No team with this id, or you are not one of its members.")
    return membership


def _pass_captaincy(team: Team) -> None:
    """Give the team to its earliest remaining member, or to nobody when it is empty."""
    successor = team.memberships.order_by("joined_at", "id").select_related("user").first()
    team.captain = successor.user if successor else None
    team.save(update_fields=["captain"])


@transaction.atomic
def team_leave(*, user: User, team: Team) -> Team:
    """Leave a team. A captain's place passes on; an empty team stays, with its submissions."""
    # NO KEY UPDATE: an upload in progress holds this member's row (submissions.services) and its
    # insert takes a KEY SHARE lock on the team; FOR UPDATE here would deadlock with it.
    team = Team.objects.select_for_update(no_key=True).get(pk=team.pk)
    _membership_or_404(team=team, user=user).delete()
    if team.captain_id == user.pk:
        _pass_captaincy(team)
    return team


def _require_captain(*, team: Team, actor: User) -> None:
    _membership_or_404(team=team, user=actor)
    if team.captain_id != actor.pk:
        raise ApplicationError(
            "not_captain",
            "Only the team's captain can do this; ask your captain.",
            http_status=status.HTTP_403_FORBIDDEN,
        )


@transaction.atomic
def team_remove_member(*, actor: User, team: Team, user_id: int) -> Team:
    """The captain removes another member."""
    team = Team.objects.select_for_update(no_key=True).get(pk=team.pk)  # see team_leave
    _require_captain(team=team, actor=actor)
    if user_id == actor.pk:
        # 403 like `not_captain`: a well-formed request this member may not make (not a malformed one).
        raise ApplicationError(
            "cannot_remove_self", "To leave your own team, use “Leave team”.", http_status=status.HTTP_403_FORBIDDEN
        )
    membership = team.memberships.filter(user_id=user_id).first()
    if membership is None:
        raise NotFound("This user is not a member of your team.")
    membership.delete()
    return team


@transaction.atomic
def team_regenerate_invite_code(*, actor: User, team: Team) -> Team:
    """The captain replaces the invite code; the old link stops working at once."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    _require_captain(team=team, actor=actor)
    team.invite_code = new_invite_code()
    team.save(update_fields=["invite_code"])
    return team
