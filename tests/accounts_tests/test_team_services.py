"""The services under a race: when the friendly checks are passed, the database constraints answer."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import Team, User
from lidserver.errors import ApplicationError
from tests.support.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_friendly_checks(monkeypatch):  # type: ignore[no-untyped-def]
    """As if a concurrent request committed between the check and the insert."""
    monkeypatch.setattr(services, "_check_team_create", lambda **kwargs: None)


def test_duplicate_name_race_becomes_team_name_taken(lid, alice: User, bob: User, no_friendly_checks) -> None:  # type: ignore[no-untyped-def]
    TeamFactory(challenge=lid, captain=alice, name="Pixels")
    with pytest.raises(ApplicationError) as caught:
        services.team_create(user=bob, challenge=lid, name="PIXELS")
    assert (caught.value.code, caught.value.http_status) == ("team_name_taken", 409)
    assert Team.objects.count() == 1


def test_second_team_race_becomes_already_in_team(lid, alice: User, no_friendly_checks) -> None:  # type: ignore[no-untyped-def]
    TeamFactory(challenge=lid, captain=alice, name="Pixels")
    with pytest.raises(ApplicationError) as caught:
        services.team_create(user=alice, challenge=lid, name="Other")
    assert (caught.value.code, caught.value.http_status) == ("already_in_team", 409)
    assert list(Team.objects.values_list("name", flat=True)) == ["Pixels"]


def test_blank_team_name_is_refused(lid, alice: User) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as caught:
        services.team_create(user=alice, challenge=lid, name="   ")
    assert caught.value.message == "Give the team a name."


def test_an_emptied_team_keeps_its_submissions(lid, alice: User, bob: User) -> None:  # type: ignore[no-untyped-def]
    """Slots and submissions belong to the team: members leaving never deletes or resets them."""
    from submissions.models import Submission

    team = TeamFactory(challenge=lid, captain=alice, name="Pixels", members=[bob])
    phase = lid.tracks.get(number=1).phases.get(split="test")
    Submission.objects.create(
        phase=phase,
        team=team,
        uploaded_by=bob,
        archive="x.zip",
        archive_name="x.zip",
        sha256="0" * 64,
        size=1,
        method_name="m",
        declared_parameters=1,
    )
    services.team_leave(user=bob, team=team)
    services.team_leave(user=alice, team=team)
    team.refresh_from_db()
    assert (team.captain, team.memberships.count(), team.submissions.count()) == (None, 0, 1)
    # Bob creating a new team gets that new team's slots, never the old team's submissions.
    fresh = services.team_create(user=bob, challenge=lid, name="Fresh")
    assert fresh.submissions.count() == 0 and team.submissions.count() == 1
