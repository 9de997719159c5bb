"""The submission pages through the test client: what a team member sees and what a POST changes.

Fixtures ``phase`` (track 1 test, 5 counted submissions), ``member`` (alice) and ``team`` (Alpha)
come from this package's conftest.py.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from submissions.models import Submission, TeamPhase
from tests.support.archives import distinct_zip, upload, zip_of
from tests.support.factories import PhaseFactory, SubmissionFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_page(member: Any, team: Any) -> Client:
    return logged_in(member)


def scored(phase: Any, team: Any, user: Any, *, score: float, **fields: Any) -> Submission:
    """A scored submission written directly (no scoring run), with metrics chosen by the test."""
    values: dict[str, Any] = dict(
        archive_name="preds.zip",
        sha256="ab" * 32,
        size=2048,
        method_name="DeepLab",
        declared_parameters=59_000_000,
        metrics={"mean_iou": score, "mean_accuracy": 0.5, "pixel_accuracy": 0.98765},
        scorer_version="1.0.0",
    )
    values.update(fields)
    return SubmissionFactory(phase=phase, team=team, uploaded_by=user, score=score, **values)


def upload_url(phase: Any) -> str:
    return f"/c/{phase.track.challenge.slug}/track/{phase.track.number}/{phase.split}/submit/"


def list_url(phase: Any) -> str:
    return f"/c/{phase.track.challenge.slug}/track/{phase.track.number}/{phase.split}/submissions/"


def text_of(response: Any) -> str:
    """The page's text with tags removed and whitespace collapsed, as a reader sees it."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# Upload page -----------------------------------------------------------------------------------


def test_upload_page_shows_phase_and_remaining_submissions(
    alice_page: Client, phase: Any, team: Any, member: Any
) -> None:
    scored(phase, team, member, score=0.4)  # 1 of 5 used
    response = alice_page.get(upload_url(phase))
    assert response.status_code == 200
    text = text_of(response)
    assert "Remaining submissions 4 of 5 (1 used)" in text
    assert "Next submission allowed now" in text
    assert f"deadline {phase.ends_at:%Y-%m-%d %H:%M} UTC" in text
    body = response.content.decode()
    assert 'data-api-url="/api/challenges/lid2020/tracks/1/test/submissions/"' in body
    assert '<progress id="progress-bar"' in body
    assert 'type="file" name="archive"' in body


def test_upload_page_says_when_the_daily_allowance_is_used(
    alice_page: Client, phase: Any, team: Any, member: Any
) -> None:
    phase.max_submissions, phase.max_submissions_per_day = None, 1
    phase.save()
    scored(phase, team, member, score=0.4)
    text = text_of(alice_page.get(upload_url(phase)))
    tomorrow = (timezone.now().astimezone(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%d")
    assert "Remaining submissions no limit (1 used)" in text
    assert f"Next submission allowed from {tomorrow} 00:00 UTC" in text


def test_upload_page_without_a_team_links_to_the_team_page(phase: Any) -> None:
    response = logged_in(UserFactory(username="loner")).get(upload_url(phase))
    assert response.status_code == 403
    assert f'href="{reverse("accounts:team", args=["lid2020"])}"' in response.content.decode()
    assert "You need a team to submit" in text_of(response)


def test_upload_page_asks_anonymous_visitors_to_log_in(phase: Any) -> None:
    response = Client().get(upload_url(phase))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={upload_url(phase)}"


def test_upload_page_of_a_missing_split_is_404(alice_page: Client, phase: Any) -> None:
    assert alice_page.get("/c/lid2020/track/1/train/submit/").status_code == 404


def test_plain_form_post_creates_the_submission_and_redirects(
    alice_page: Client, phase: Any, team: Any, member: Any
) -> None:
    response = alice_page.post(
        upload_url(phase),
        {
            "method_name": "CAM + CRF",
            "method_description": "Class activation maps.",
            "declared_parameters": "25557032",
            "archive": upload(distinct_zip(1), "my <preds>.zip"),
        },
    )
    sub = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/submissions/{sub.pk}/"
    assert (sub.team, sub.uploaded_by, sub.phase) == (team, member, phase)
    assert (sub.method_name, sub.method_description, sub.declared_parameters) == (
        "CAM + CRF",
        "Class activation maps.",
        25_557_032,
    )
    assert sub.status == "uploaded"  # queued once the task is sent, on commit (not run in this test)
    assert sub.archive_name == "my <preds>.zip"
    # The file name is escaped on the submission page.
    page = alice_page.get(response["Location"]).content.decode()
    assert "my &lt;preds&gt;.zip" in page and "my <preds>.zip" not in page


def test_form_post_with_too_many_parameters_shows_the_message_and_keeps_the_fields(
    alice_page: Client, phase: Any
) -> None:
    response = alice_page.post(
        upload_url(phase),
        {"method_name": "Huge", "declared_parameters": "200000000", "archive": upload(distinct_zip(2))},
    )
    assert response.status_code == 400
    text = text_of(response)
    assert "must be fewer than 150,000,000 (you declared 200,000,000)" in text
    assert 'value="Huge"' in response.content.decode()
    assert Submission.objects.count() == 0


def test_form_post_with_a_bad_archive_shows_the_scoring_cores_message(alice_page: Client, phase: Any) -> None:
    import evaluation

    bad = zip_of({"img0": [[1, 2], [3, 4]]})[:-30]  # a truncated zip: not readable
    with pytest.raises(evaluation.SubmissionFormatError) as expected:
        path = _write_tmp(bad)
        evaluation.check_archive(path)
    response = alice_page.post(
        upload_url(phase), {"method_name": "X", "declared_parameters": "10", "archive": upload(bad)}
    )
    assert response.status_code == 400
    assert expected.value.message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert Submission.objects.get().status == "rejected"  # kept for the team, not counted


def _write_tmp(content: bytes) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".zip", delete=False) as handle:
        handle.write(content)
    return handle.name


def test_form_post_without_a_file_names_the_missing_field(alice_page: Client, phase: Any) -> None:
    response = alice_page.post(upload_url(phase), {"method_name": "X", "declared_parameters": "10"})
    assert response.status_code == 400
    text = text_of(response)
    assert "Please correct the fields marked below" in text
    assert '<span class="field-error" id="error-archive" role="alert">Choose the zip archive of your predictions.' in (
        response.content.decode()
    )
    assert Submission.objects.count() == 0


# List page -------------------------------------------------------------------------------------


def test_list_shows_scores_in_percent_and_the_representative(
    alice_page: Client, phase: Any, team: Any, member: Any
) -> None:
    low = scored(phase, team, member, score=0.41234, method_name="Low")
    high = scored(phase, team, member, score=0.55557, method_name="High")
    response = alice_page.get(list_url(phase))
    text = text_of(response)
    assert "41.23" in text and "55.56" in text
    body = response.content.decode()
    # The best scored one represents the team by default; the other offers the button.
    rep_row = re.search(rf'<tr class="submission-row representative" data-id="{high.pk}">', body)
    assert rep_row is not None
    assert f'action="/submissions/{low.pk}/representative/"' in body
    assert f'action="/submissions/{high.pk}/representative/"' not in body


def test_list_of_another_team_is_not_shown(alice_page: Client, phase: Any) -> None:
    other = TeamFactory(challenge=phase.track.challenge, name="Beta")
    scored(phase, other, other.captain, score=0.9, method_name="Secret method")
    text = text_of(alice_page.get(list_url(phase)))
    assert "Secret method" not in text
    assert "Your team has no submissions in this phase yet." in text


# Submission page -------------------------------------------------------------------------------


def test_other_teams_submission_answers_like_a_missing_one(alice_page: Client, phase: Any) -> None:
    other = TeamFactory(challenge=phase.track.challenge, name="Beta")
    theirs = scored(phase, other, other.captain, score=0.9, method_name="Secret method")
    missing = theirs.pk + 1000
    for suffix in ("", "status.json"):
        seen, absent = (
            alice_page.get(f"/submissions/{theirs.pk}/{suffix}"),
            alice_page.get(f"/submissions/{missing}/{suffix}"),
        )
        assert seen.status_code == absent.status_code == 404
        assert b"Secret method" not in seen.content
        # Equal but for the ids and the header's per-response CSRF token (its log-out form).
        token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
        assert token.sub(b"", seen.content).replace(f"/{theirs.pk}/".encode(), b"/ID/") == token.sub(
            b"", absent.content
        ).replace(f"/{missing}/".encode(), b"/ID/")
    assert alice_page.get(f"/submissions/{theirs.pk}/status.json").json() == {
        "code": "not_found",
        "message": "There is no such submission, or it belongs to another team.",
        "detail": None,
    }


def test_organizer_sees_any_submission(phase: Any) -> None:
    other = TeamFactory(challenge=phase.track.challenge, name="Beta")
    theirs = scored(phase, other, other.captain, score=0.9)
    organizer = UserFactory(username="org", is_staff=True)
    assert logged_in(organizer).get(f"/submissions/{theirs.pk}/").status_code == 200


def per_class_track1() -> dict[str, list[float | None]]:
    iou: list[float | None] = [0.9, 0.25, None] + [0.5] * 198  # class 2 (airplane) absent: NaN -> None
    accuracy: list[float | None] = [0.95, 0.5, None] + [0.75] * 198
    iou[200], accuracy[200] = 0.123456, 0.654321  # zebra
    return {"iou": iou, "accuracy": accuracy}


def test_submission_page_shows_metrics_in_percent_and_the_per_class_table(
    alice_page: Client, phase: Any, team: Any, member: Any
) -> None:
    sub = scored(
        phase,
        team,
        member,
        score=0.123456,
        per_class=per_class_track1(),
        ci_low=0.1,
        ci_high=0.15,
        scoring_seconds=3.25,
    )
    response = alice_page.get(f"/submissions/{sub.pk}/")
    assert response.status_code == 200
    body, text = response.content.decode(), text_of(response)
    # 0.123456 -> 12.35 %, 0.5 -> 50.00 %, 0.98765 -> 98.77 % (two decimals, as the LID 2020 report).
    assert "Mean IoU (%) Mean Accuracy (%) Pixel Accuracy (%) 12.35 50.00 98.77" in text
    assert "1,000 resamples of images): 10.00 – 15.00 %" in text
    assert "Scoring time 3.25 s" in text
    rows = re.findall(r"<tr><td class=\"num\" data-value=\"(\d+)\">\d+</td><td data-value=\"([^\"]*)\">", body)
    assert len(rows) == 201
    assert rows[0] == ("0", "background") and rows[1] == ("1", "accordion") and rows[200] == ("200", "zebra")
    assert "200 zebra 12.35 65.43" in text
    assert "2 airplane – –" in text  # an absent class: shown as a dash, its data-value empty (sorted last)
    assert '<td class="num" data-value="">–</td>' in body
    assert 'id="use-for-leaderboard"' not in body  # the best one already represents the team
    assert "represents the team on the leaderboard" in text


def test_track3_page_shows_peak_metrics_and_the_curve_data(db: Any) -> None:
    phase = PhaseFactory(track__number=3, split="val")
    user = UserFactory(username="tina")
    team = TeamFactory(challenge=phase.track.challenge, name="Loc", captain=user)
    mean = [min(t, 100) / 200 for t in range(256)]  # rises to 0.5 at t = 100, then flat: peak at 100
    pixel = [0.4 - abs(t - 50) / 1000 for t in range(256)]  # peak 0.4 at t = 50
    sub = scored(
        phase,
        team,
        user,
        score=0.5,
        metrics={"peak_iou": 0.5, "peak_threshold": 100},
        curve={"mean": mean, "pixel": pixel},
    )
    response = logged_in(user).get(f"/submissions/{sub.pk}/")
    text = text_of(response)
    assert "Peak-IoU (%) Peak-Threshold (t, 0–255) 50.00 100" in text  # a threshold, not a percent
    series = response.context["curve_series"]
    assert [(s["label"], len(s["values"]), s["peak"]) for s in series] == [
        ("Mean over images", 256, 100),
        ("Pixel-accumulated", 256, 50),
    ]
    assert '<script id="curve-data" type="application/json">' in response.content.decode()
    assert "per-class" not in response.content.decode()


def test_rejected_submission_shows_the_message_for_the_team(
    alice_page: Client, phase: Any, team: Any, member: Any
) -> None:
    sub = Submission.objects.create(
        phase=phase, team=team, uploaded_by=member, archive_name="p.zip", sha256="0" * 64, size=10,
        method_name="M", declared_parameters=1, status="rejected", error_code="missing_files",
        error_message="3 images have no prediction: a.png, b.png, c.png; add them.", staff_log="trace <secret>",
    )  # fmt: skip
    text = text_of(alice_page.get(f"/submissions/{sub.pk}/"))
    assert "3 images have no prediction: a.png, b.png, c.png; add them." in text
    assert "secret" not in text


def test_pending_submission_page_polls_its_status(alice_page: Client, phase: Any, team: Any, member: Any) -> None:
    sub = Submission.objects.create(
        phase=phase, team=team, uploaded_by=member, archive_name="p.zip", sha256="0" * 64, size=10,
        method_name="M", declared_parameters=1, status="queued", queued_at=timezone.now(),
    )  # fmt: skip
    body = alice_page.get(f"/submissions/{sub.pk}/").content.decode()
    assert f'data-status-url="/submissions/{sub.pk}/status.json"' in body
    assert 'data-pending="1"' in body
    assert "This page updates by itself" in text_of(alice_page.get(f"/submissions/{sub.pk}/"))


def test_status_json_is_the_contract_body(alice_page: Client, phase: Any, team: Any, member: Any) -> None:
    sub = scored(
        phase, team, member, score=0.25, created_at=T0, queued_at=T0, started_at=T0 + dt.timedelta(seconds=2),
        finished_at=T0 + dt.timedelta(seconds=5), scoring_seconds=3.0, per_class={"iou": [0.25], "accuracy": [0.5]},
    )  # fmt: skip
    Submission.objects.filter(pk=sub.pk).update(created_at=T0)  # auto_now_add ignores the value given
    response = alice_page.get(f"/submissions/{sub.pk}/status.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "id": sub.pk,
        "challenge": "lid2020",
        "track": 1,
        "split": "test",
        "team": {"id": team.pk, "name": "Alpha"},
        "uploaded_by": "alice",
        "status": "scored",
        "archive_name": "preds.zip",
        "sha256": "ab" * 32,
        "size": 2048,
        "method_name": "DeepLab",
        "method_description": "",
        "declared_parameters": 59_000_000,
        "created_at": "2026-03-01T12:00:00Z",
        "queued_at": "2026-03-01T12:00:00Z",
        "started_at": "2026-03-01T12:00:02Z",
        "finished_at": "2026-03-01T12:00:05Z",
        "scoring_seconds": 3.0,
        "scorer_version": "1.0.0",
        "score": 0.25,
        "metrics": {"mean_iou": 0.25, "mean_accuracy": 0.5, "pixel_accuracy": 0.98765},
        "per_class": {"iou": [0.25], "accuracy": [0.5]},
        "curve": None,
        "diagnosis": None,
        "ci": None,
        "error_code": "",
        "error_message": "",
        "is_representative": True,
        "queue": None,
        "queue_position": None,
        "progress": None,
    }


def test_status_json_for_anonymous_is_404(phase: Any, team: Any, member: Any) -> None:
    sub = scored(phase, team, member, score=0.25)
    response = Client().get(f"/submissions/{sub.pk}/status.json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# Representative ---------------------------------------------------------------------------------


def test_use_for_leaderboard_makes_a_weaker_submission_the_representative(
    alice_page: Client, phase: Any, team: Any, member: Any
) -> None:
    low = scored(phase, team, member, score=0.3)
    scored(phase, team, member, score=0.6)
    response = alice_page.post(f"/submissions/{low.pk}/representative/", {"next": list_url(phase)})
    assert response.status_code == 302
    assert response["Location"] == list_url(phase)
    assert TeamPhase.objects.get(team=team, phase=phase).representative == low
    page = alice_page.get(list_url(phase)).content.decode()
    assert f'<tr class="submission-row representative" data-id="{low.pk}">' in page
    assert f"Submission {low.pk} now represents your team on the leaderboard." in page


def test_use_for_leaderboard_refuses_an_unscored_submission_with_a_sentence(
    alice_page: Client, phase: Any, team: Any, member: Any
) -> None:
    queued = scored(phase, team, member, score=None, status="queued", metrics={})
    response = alice_page.post(f"/submissions/{queued.pk}/representative/", follow=True)
    assert f"Only a scored submission can represent your team; submission {queued.pk} is queued." in text_of(response)
    assert not TeamPhase.objects.filter(team=team, phase=phase, representative__isnull=False).exists()


def test_use_for_leaderboard_on_another_teams_submission_is_404(alice_page: Client, phase: Any) -> None:
    other = TeamFactory(challenge=phase.track.challenge, name="Beta")
    theirs = scored(phase, other, other.captain, score=0.9)
    assert alice_page.post(f"/submissions/{theirs.pk}/representative/").status_code == 404
    assert not TeamPhase.objects.filter(representative=theirs).exists()


def test_next_must_stay_on_this_site(alice_page: Client, phase: Any, team: Any, member: Any) -> None:
    sub = scored(phase, team, member, score=0.3)
    response = alice_page.post(f"/submissions/{sub.pk}/representative/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/submissions/{sub.pk}/"


def test_percent_shows_missing_and_nan_as_a_dash() -> None:
    from submissions.views import percent

    assert [percent(None), percent(math.nan), percent(0.0), percent(1), percent(0.123449)] == [
        "–",
        "–",
        "0.00",
        "100.00",
        "12.34",
    ]
