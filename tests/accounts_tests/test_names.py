"""Names that hide or reorder text are refused with a sentence, wherever they come in (issue 13, finding 6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Team, User
from tests.accounts_tests.conftest import api_as
from tests.support.factories import TeamFactory

pytestmark = pytest.mark.django_db

INVISIBLE = "The team name has no visible character; give it at least one letter, digit or sign."
RLO = (
    "The team name contains U+202E (RIGHT-TO-LEFT OVERRIDE), an invisible character that can hide or reorder "
    "text on the leaderboard; remove it and type the team name again."
)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   \u200b  \u200b ", "The team name contains U+200B (ZERO WIDTH SPACE), an invisible character that can "
         "hide or reorder text on the leaderboard; remove it and type the team name again."),
        ("\u0301\u0301", INVISIBLE),
        ("Good\u202eTeam", RLO),
        ("Tab\there", "The team name contains U+0009 (a control character), an invisible character that can hide "
         "or reorder text on the leaderboard; remove it and type the team name again."),
    ],
)  # fmt: skip
def test_api_refuses_a_team_name_that_hides_or_reorders_text(lid, alice: User, name: str, message: str) -> None:
    response = api_as(alice).post("/api/challenges/lid2020/teams/", {"name": name}, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": f"name: {message}", "detail": {"name": [message]}}
    assert not Team.objects.exists()


def test_api_refuses_a_bidi_override_in_the_affiliation(lid, alice: User) -> None:
    response = api_as(alice).post(
        "/api/challenges/lid2020/teams/", {"name": "Fine", "affiliation": "Uni\u202exoy"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == {
        "affiliation": [
            "The affiliation contains U+202E (RIGHT-TO-LEFT OVERRIDE), an invisible character that can hide or "
            "reorder text on the leaderboard; remove it and type the affiliation again."
        ]
    }


@pytest.mark.parametrize(
    "name", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "Team \U0001f469\u200d\U0001f52c", "Ünïcödé"]
)
def test_joiners_between_visible_characters_and_accents_are_fine(lid, alice: User, name: str) -> None:
    response = api_as(alice).post("/api/challenges/lid2020/teams/", {"name": name}, format="json")
    assert response.status_code == 201, response.json()
    assert Team.objects.get().name == name


def test_the_team_page_form_shows_the_sentence(lid, alice: User, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(alice)
    response = client.post("/c/lid2020/team/create/", {"name": "Good\u202eTeam"}, follow=True)
    assert RLO in response.content.decode()
    assert not Team.objects.exists()


def test_the_service_refuses_what_the_form_would(lid, alice: User) -> None:
    from accounts.services import team_create
    from lidserver.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        team_create(user=alice, challenge=lid, name="\u200b\u200b")
    assert refused.value.code == "invalid_name"
    assert not Team.objects.exists()


def test_the_model_validator_refuses_it_too(lid, alice: User) -> None:
    team = TeamFactory.build(challenge=lid, name="x\u202ey", captain=alice)
    with pytest.raises(ValidationError) as refused:
        team.full_clean()
    assert refused.value.message_dict["name"] == [RLO]
