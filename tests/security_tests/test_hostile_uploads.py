"""Hostile archives uploaded through the HTTP API: a clear rejection with a stable code, no slot
used, nothing written outside the submission's own storage; valid oddities score identically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from submissions.models import COUNTED_STATUSES, Status, Submission
from tests.security_tests import hostile
from tests.security_tests.uploads import make_upload_world, run_queued_scoring, tree

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def up(settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative path written by mistake would land here, where we look
    return make_upload_world(settings, tmp_path)


def _outside_storage(up, before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    """New or changed files under tmp_path other than this team's own archives in this phase."""
    own = os.path.join("media", "submissions", f"phase{up.phase.pk}", f"team{up.team.pk}") + os.sep
    return {k: v for k, v in after.items() if before.get(k) != v and not k.startswith(own)}


def _planted_anywhere(tmp_path: Path) -> list[str]:
    places = [tmp_path, Path("/tmp"), Path(tmp_path).parent, Path.cwd()]
    return [str(p) for p in places if (p / hostile.PLANTED).exists()] + [
        str(p) for p in tmp_path.rglob(f"*{hostile.PLANTED}*")
    ]


@pytest.mark.parametrize("case", hostile.CASES, ids=lambda c: c.id)
def test_hostile_archive_is_rejected_cleanly(up, case, tmp_path, settings):
    before = tree(tmp_path)
    gt_before = tree(settings.GROUND_TRUTH_ROOT)
    response = up.upload(case.build(up.sample, str(settings.GROUND_TRUTH_ROOT)), case.filename)

    if response.status_code == 201:  # accepted by the cheap checks: the worker must reject it
        submission_id = response.json()["id"]
        run_queued_scoring(submission_id)
        sub = Submission.objects.get(pk=submission_id)
        assert (sub.status, sub.error_code) in [(Status.REJECTED, code) for code in case.codes], (
            sub.status,
            sub.error_code,
            sub.staff_log[-2000:],
        )
        code, message = sub.error_code, sub.error_message
    else:
        body = response.json()
        assert response.status_code == 400, body
        assert set(body) == {"code", "message", "detail"}
        code, message = body["code"], body["message"]
        assert code in case.codes, body
    # A sentence for the team, never a traceback.
    assert message.endswith(".") and len(message) > 20 and "Traceback" not in message, message

    assert Submission.objects.filter(team=up.team, status__in=COUNTED_STATUSES).count() == 0
    assert up.quota()["used"] == 0 and up.quota()["remaining"] == 5
    assert _outside_storage(up, before, tree(tmp_path)) == {}
    assert tree(settings.GROUND_TRUTH_ROOT) == gt_before
    assert _planted_anywhere(tmp_path) == []
    assert open("/etc/passwd").read().startswith("root:")


def test_swapped_width_and_height_are_named_as_such(up, settings):
    case = hostile.CASES_BY_ID["swapped_size"]
    response = up.upload(case.build(up.sample, ""))
    if response.status_code == 201:
        run_queued_scoring(response.json()["id"])
        message = Submission.objects.get(pk=response.json()["id"]).error_message
    else:
        message = response.json()["message"]
    assert "swap" in message.lower(), message


def test_file_names_with_html_are_escaped_on_the_submission_page(up):
    name = "<img src=x onerror=alert('lid')>.zip"  # no "/": Django keeps only a file name's last part
    response = up.upload(hostile.VARIANTS["plain"](up.sample), name, method_description="<b>bold</b> claim")
    assert response.status_code == 201
    sub = Submission.objects.get(pk=response.json()["id"])
    assert sub.archive_name == name and name not in sub.archive.name  # the stored path never uses it
    from django.test import Client

    client = Client()
    client.force_login(up.user)
    page = client.get(f"/submissions/{sub.pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(" in page and "<img src=x onerror" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


@pytest.fixture
def unlimited(settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_upload_world(settings, tmp_path, max_submissions=None)


def test_valid_variants_score_identically(unlimited):
    scores = {}
    for variant, build in hostile.VARIANTS.items():
        response = unlimited.upload(build(unlimited.sample), f"{variant}.zip")
        assert response.status_code == 201, (variant, response.json())
        run_queued_scoring(response.json()["id"])
        sub = Submission.objects.get(pk=response.json()["id"])
        assert sub.status == Status.SCORED, (variant, sub.error_code, sub.error_message, sub.staff_log[-1500:])
        scores[variant] = (sub.metrics, sub.per_class)
    plain = scores.pop("plain")
    assert plain[0]["mean_iou"] > 0
    assert {variant: value == plain for variant, value in scores.items()} == {v: True for v in scores}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"method_name": "x" * 101}, "invalid"),
        ({"method_name": ""}, "invalid"),
        ({"method_name": "nul\x00name"}, "invalid"),
        ({"method_description": "nul\x00description"}, "invalid"),
        ({"declared_parameters": "150000000"}, "too_many_parameters"),
        ({"declared_parameters": "-5"}, "too_many_parameters"),
        ({"declared_parameters": "1e20"}, "invalid"),
        ({"declared_parameters": "12.5"}, "invalid"),
    ],
)
def test_hostile_form_fields_are_refused_with_a_sentence(up, fields, code):
    response = up.upload(hostile.VARIANTS["plain"](up.sample), **fields)
    body = response.json()
    assert (response.status_code, body["code"]) == (400, code)
    assert body["message"].endswith(".") and len(body["message"]) > 15
    assert Submission.objects.count() == 0


def test_a_huge_method_description_gets_a_json_sentence(up):
    response = up.upload(hostile.VARIANTS["plain"](up.sample), method_description="d" * (3 * 2**20))
    assert response.status_code in (400, 413)
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"code", "message", "detail"}
    assert Submission.objects.count() == 0


def test_rejected_uploads_are_capped_per_day(up):
    up.phase.max_rejected_per_day = 3
    up.phase.save()
    bad = [
        hostile.CASES_BY_ID[c].build(up.sample, "") for c in ("extra_file", "missing_file", "png_rgb", "not_a_zip_text")
    ]
    answers = []
    for data in bad:
        response = up.upload(data)
        if response.status_code == 201:
            run_queued_scoring(response.json()["id"])
        answers.append((response.status_code, response.json().get("code")))
    assert answers[-1] == (409, "rejected_cap_reached"), answers
    assert Submission.objects.filter(status=Status.REJECTED).count() == 3
    assert up.quota()["used"] == 0
