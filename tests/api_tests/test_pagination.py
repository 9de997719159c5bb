"""List endpoints page with limit/offset and answer {"count", "next", "previous", "results"}."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from submissions.models import Submission

PAGE_KEYS = {"count", "next", "previous", "results"}


@pytest.fixture
def five_submissions(phase: Any, member: Any) -> list[int]:
    team = member.memberships.get().team
    ids = []
    for n in range(5):
        sub = Submission.objects.create(
            phase=phase,
            team=team,
            uploaded_by=member,
            archive=f"a{n}.zip",
            archive_name=f"a{n}.zip",
            sha256=f"{n:064d}",
            size=10,
            method_name=f"m{n}",
            declared_parameters=1,
            status="rejected",
        )
        ids.append(sub.pk)
    return ids


@pytest.mark.parametrize("url", ["/api/challenges/lid2020/tracks/1/test/submissions/", "/api/submissions/"])
def test_list_pages_with_limit_and_offset(token_client: APIClient, five_submissions: list[int], url: str) -> None:
    newest_first = five_submissions[::-1]
    first = token_client.get(url, {"limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == PAGE_KEYS
    assert body["count"] == 5
    assert body["previous"] is None
    assert body["next"] == f"http://testserver{url}?limit=2&offset=2"
    assert [s["id"] for s in body["results"]] == newest_first[:2]

    last = token_client.get(url, {"limit": 2, "offset": 4}).json()
    assert last["next"] is None
    assert last["previous"] == f"http://testserver{url}?limit=2&offset=2"
    assert [s["id"] for s in last["results"]] == newest_first[4:]


def test_default_page_size_is_50(token_client: APIClient, five_submissions: list[int]) -> None:
    body = token_client.get("/api/submissions/").json()
    assert (body["count"], body["next"], len(body["results"])) == (5, None, 5)


def test_a_member_without_submissions_gets_an_empty_page(token_client: APIClient, phase: Any) -> None:
    response = token_client.get("/api/challenges/lid2020/tracks/1/test/submissions/")
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_another_teams_submissions_are_not_listed(
    token_client: APIClient, five_submissions: list[int], phase: Any
) -> None:
    from tests.support.factories import TeamFactory

    other = TeamFactory(challenge=phase.track.challenge, name="Beta")
    Submission.objects.create(
        phase=phase,
        team=other,
        uploaded_by=other.captain,
        archive="b.zip",
        archive_name="b.zip",
        sha256="f" * 64,
        size=10,
        method_name="theirs",
        declared_parameters=1,
        status="rejected",
    )
    body = token_client.get("/api/submissions/", {"limit": 100}).json()
    assert sorted(s["id"] for s in body["results"]) == sorted(five_submissions)


BIG = str(2**63)  # one past PostgreSQL's bigint: used to reach the database as "bigint out of range"


@pytest.mark.parametrize("url", ["/api/challenges/lid2020/tracks/1/test/submissions/", "/api/submissions/"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": BIG}, f"limit must be a whole number from 1 to 500; you sent “{BIG}”."),
        ({"limit": "0"}, "limit must be a whole number from 1 to 500; you sent “0”."),
        ({"limit": "-1"}, "limit must be a whole number from 1 to 500; you sent “-1”."),
        ({"limit": "ten"}, "limit must be a whole number from 1 to 500; you sent “ten”."),
        ({"limit": "2", "offset": BIG}, f"offset must be a whole number from 0 to 1000000000; you sent “{BIG}”."),
        ({"offset": "1.5"}, "offset must be a whole number from 0 to 1000000000; you sent “1.5”."),
    ],
)
def test_out_of_range_or_malformed_paging_is_a_400(
    token_client: APIClient, five_submissions: list[int], url: str, query: dict[str, str], message: str
) -> None:
    response = token_client.get(url, query)
    assert response.status_code == 400, response.content
    name = "offset" if "offset" in message.split()[0] else "limit"
    assert response.json() == {"code": "invalid_paging", "message": message, "detail": {name: query[name]}}


def test_the_largest_limit_and_offset_answer_a_page(token_client: APIClient, five_submissions: list[int]) -> None:
    body = token_client.get("/api/submissions/", {"limit": 500, "offset": 1_000_000_000}).json()
    assert (body["count"], body["results"]) == (5, [])
    assert len(token_client.get("/api/submissions/", {"limit": 500}).json()["results"]) == 5
