"""Content pages: the LID 2020 text as shipped, sanitized Markdown, audited edits in the admin."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from audit.models import AuditLogEntry
from challenges.models import ContentPage
from challenges.pages import markdown_to_html
from challenges.services import challenge_load, content_page_update
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGES = {
    "overview": "/c/lid2020/overview/",
    "data": "/c/lid2020/data/",
    "evaluation": "/c/lid2020/evaluation/",
    "rules": "/c/lid2020/rules/",
    "timeline": "/c/lid2020/timeline/",
    "organizers": "/c/lid2020/organizers/",
}


@pytest.fixture
def lid(db):  # type: ignore[no-untyped-def]
    return challenge_load()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_page_is_in_the_navigation_of_every_challenge_page(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    for url in [*PAGES.values(), "/c/lid2020/", "/c/lid2020/track/1/"]:
        page = client.get(url)
        assert page.status_code == 200, url
        for target in PAGES.values():
            assert f'href="{target}"' in page.content.decode(), (url, target)


def test_the_shipped_pages_say_what_the_lid_2020_report_says(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    data = _text(client.get(PAGES["data"]).content.decode())
    for count in ("5,000", "10,000", "2,000", "3,000", "23,151", "21,120"):
        assert count in data
    assert "point annotations" in data and "link to be added" in data

    evaluation = _text(client.get(PAGES["evaluation"]).content.decode())
    assert "IoU_c = TP_c / (TP_c + FP_c + FN_c)" in evaluation
    assert "Peak-Threshold = the smallest t with IoU(t) = Peak-IoU" in evaluation

    rules = _text(client.get(PAGES["rules"]).content.decode())
    assert "pre-trained on ILSVRC CLS-LOC" in rules and "fewer than 150M parameters in total" in rules
    assert "Tracks 1 and 3: image-level labels only; no bounding boxes" in rules
    assert "Track 2: learn from the provided point annotations" in rules  # not forbidden, as the old text had it
    assert "At most 5 test submissions per team per track" in rules and "top 3 teams" in rules

    timeline = _text(client.get(PAGES["timeline"]).content.decode())
    assert "2020-03-22" in timeline and "2020-06-08 23:59" in timeline


def test_a_missing_page_says_so_and_unknown_pages_are_404(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    ContentPage.objects.filter(kind="timeline").delete()
    assert "The organizers have not written this page yet." in client.get(PAGES["timeline"]).content.decode()
    assert client.get("/c/lid2020/secrets/").status_code == 404
    assert client.get("/c/nope/data/").status_code == 404


def test_markdown_is_sanitized() -> None:
    html = markdown_to_html(
        "# Title\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) [ok](https://example.org/a) "
        '<a href="javascript:alert(2)">raw</a> <img src=x onerror=alert(3)>\n\n[mail](mailto:lid@example.org)'
    )
    assert "<script" not in html and "<img" not in html and '<a href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # raw HTML is shown as text
    assert '<a href="https://example.org/a" rel="noopener noreferrer">ok</a>' in html
    assert '<a href="mailto:lid@example.org" rel="noopener noreferrer">mail</a>' in html
    assert html.startswith("<h1>Title</h1>")


def test_an_organizer_edits_a_page_in_the_admin_and_the_edit_is_audited(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    page = ContentPage.objects.get(kind="data")
    old = page.body
    client.force_login(UserFactory(username="olga", is_staff=True))
    form = client.get(f"/admin/challenges/contentpage/{page.pk}/change/")
    assert form.status_code == 200 and "preview (as visitors see it)" in form.content.decode().lower()
    new = old.replace("*link to be added*", "[download](https://data.example.org/track1.tar)", 1).rstrip()
    response = client.post(f"/admin/challenges/contentpage/{page.pk}/change/", {"body": new})
    assert response.status_code == 302, response.content.decode()[:2000]

    entry = AuditLogEntry.objects.get(action="content_changed")
    assert entry.actor.username == "olga"
    assert (entry.target_type, entry.target_id) == ("challenges.ContentPage", str(page.pk))
    assert entry.detail == {"old": old, "new": new}
    assert entry.summary == f"Edited the Data page of LID 2020 ({len(old):,} -> {len(new):,} characters)."
    shown = client.get(PAGES["data"]).content.decode()
    assert '<a href="https://data.example.org/track1.tar" rel="noopener noreferrer">download</a>' in shown
    assert "Edit this page" in shown

    challenge_load()  # loading the fixture again keeps the organizer's text
    assert ContentPage.objects.get(pk=page.pk).body == new


def test_editing_the_rules_page_updates_the_api_rules(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    page = ContentPage.objects.get(kind="rules")
    assert content_page_update(page=page, body="1. Be kind.", actor=None) is True
    assert content_page_update(page=page, body="1. Be kind.", actor=None) is False  # no change, no entry
    assert client.get("/api/challenges/lid2020/").json()["rules"] == "1. Be kind."
    assert AuditLogEntry.objects.filter(action="content_changed").count() == 1


def test_participants_cannot_edit_pages(client: Client, lid) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(username="pat"))
    page = ContentPage.objects.get(kind="data")
    response = client.post(f"/admin/challenges/contentpage/{page.pk}/change/", {"body": "hacked"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ContentPage.objects.get(pk=page.pk).body != "hacked"
    assert "Edit this page" not in client.get(PAGES["data"]).content.decode()
