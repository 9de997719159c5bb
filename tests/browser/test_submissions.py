"""In a real browser: upload with the progress bar, watch the status turn to scored without a
reload, and see the track 3 curve drawn as SVG (a screenshot goes to tests/browser/artifacts/).
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from submissions.models import Submission
from tests.support.factories import PhaseFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
IMAGES = 6


def phase_with_ground_truth(track: int, split: str, tmp_path: Path) -> tuple[Any, Path]:
    """An open phase whose synthetic ground truth is loaded; returns it and the matching pred.zip."""
    from challenges.ground_truth import ground_truth_load
    from evaluation.synth import make_synthetic

    phase = PhaseFactory(track__number=track, split=split, image_count=IMAGES)
    out = tmp_path / f"track{track}"
    make_synthetic(track, IMAGES, out, seed=track)
    ground_truth_load(phase=phase, source=out / "gt")
    return phase, out / "pred.zip"


@pytest.fixture
def scoring_later(monkeypatch: Any) -> Iterator[None]:
    """Scoring starts 2.5 s after the upload, in its own thread, so the page sees it queued first.

    (With eager Celery the upload request itself would score and the page would open already
    scored; this keeps the real scoring code but lets the polling be seen.)
    """
    from submissions.scoring import submission_score
    from submissions.tasks import score_submission

    timers: list[threading.Timer] = []

    def later(kwargs: dict[str, Any], countdown: float | None = None, **options: Any) -> None:
        def run() -> None:
            try:
                submission_score(submission_id=kwargs["submission_id"])
            finally:
                connection.close()  # this thread's own database connection

        timers.append(threading.Timer(2.5, run))
        timers[-1].start()

    # Only the broker is replaced: the real enqueue_scoring still sends, then marks the row queued.
    monkeypatch.setattr(score_submission, "apply_async", later)
    yield
    for timer in timers:  # the database is flushed after the test: let scoring finish first
        timer.join(timeout=60)


def record_progress(page: Any) -> list[str]:
    """The progress text as it changes, through console messages (they survive the navigation)."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text[len("progress:") :]) if m.text.startswith("progress:") else None)
    page.evaluate(
        """() => {
          const node = document.getElementById('progress-text');
          new MutationObserver(() => console.log('progress:' + node.textContent))
            .observe(node, {childList: true, characterData: true, subtree: true});
        }"""
    )
    return seen


def test_upload_with_progress_then_scored_live(
    site: Any, browser_page: Any, tmp_path: Path, scoring_later: None
) -> None:
    phase, pred = phase_with_ground_truth(1, "test", tmp_path)
    alice = UserFactory(username="alice")
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=alice)
    page = browser_page
    site.login("alice", PASSWORD)

    site.goto("/c/lid2020/track/1/test/submit/")
    assert "5 of 5" in page.inner_text("#quota-remaining")
    page.fill("#id_method_name", "CAM <b>baseline</b>")
    page.fill("#id_declared_parameters", "25557032")
    page.set_input_files("#id_archive", str(pred))
    assert "pred.zip" in page.inner_text("#file-info")
    progress = record_progress(page)
    with page.expect_navigation(url=re.compile(r"/submissions/\d+/$")):
        page.click("#upload-button")
    sub = Submission.objects.get()
    assert page.url == site.url(f"/submissions/{sub.pk}/")
    assert any(text.startswith("100%") for text in progress), progress

    # Queued first; the polling turns it into scored, with the results, without a reload.
    page.evaluate("() => { window.__sameDocument = true; }")
    assert page.inner_text("#status-badge") in ("queued", "running")
    page.wait_for_selector("#status-badge .status-scored", timeout=30_000)
    page.wait_for_selector("table.metrics")
    assert page.evaluate("() => window.__sameDocument === true")
    sub.refresh_from_db()
    assert sub.status == "scored" and 0 < sub.score < 1
    shown_iou = page.inner_text("table.metrics td.metric-mean_iou")
    assert shown_iou == f"{sub.score * 100:.2f}"
    assert page.inner_text(".method-name") == "CAM <b>baseline</b>"  # escaped, shown as typed

    # The per-class table sorts by a click: classes absent from the split (–) stay last.
    page.click("#per-class th:nth-child(3)")
    ious = page.eval_on_selector_all("#per-class tbody tr td:nth-child(3)", "cells => cells.map(c => c.dataset.value)")
    present = [float(v) for v in ious if v]
    assert present == sorted(present) and all(ious[: len(present)]) and not any(ious[len(present) :])
    page.click("#per-class th:nth-child(3)")
    ious = page.eval_on_selector_all("#per-class tbody tr td:nth-child(3)", "cells => cells.map(c => c.dataset.value)")
    present = [float(v) for v in ious if v]
    assert present == sorted(present, reverse=True) and not any(ious[len(present) :])
    assert page.console_errors == [] and page.failed_responses == []


def test_upload_error_is_shown_in_the_page(site: Any, browser_page: Any, tmp_path: Path) -> None:
    phase = PhaseFactory(track__number=2, split="val", image_count=IMAGES)
    bob = UserFactory(username="bob")
    TeamFactory(challenge=phase.track.challenge, name="Beta", captain=bob)
    site.login("bob", PASSWORD)
    site.goto("/c/lid2020/track/2/val/submit/")
    notes = tmp_path / "notes.zip"
    notes.write_text("this is not a zip archive")
    browser_page.fill("#id_method_name", "M")
    browser_page.fill("#id_declared_parameters", "10")
    browser_page.set_input_files("#id_archive", str(notes))
    browser_page.click("#upload-button")
    error = browser_page.wait_for_selector("#upload-error:not([hidden])")
    rejected = Submission.objects.get()
    assert rejected.status == "rejected"
    assert error.inner_text() == rejected.error_message
    assert browser_page.url == site.url("/c/lid2020/track/2/val/submit/")


def test_track3_curve_is_an_svg_with_256_points(
    site: Any, browser_page: Any, tmp_path: Path, celery_eager: None, artifacts: Path
) -> None:
    phase, pred = phase_with_ground_truth(3, "val", tmp_path)
    tina = UserFactory(username="tina")
    TeamFactory(challenge=phase.track.challenge, name="Loc", captain=tina)
    page = browser_page
    site.login("tina", PASSWORD)
    site.goto("/c/lid2020/track/3/val/submit/")
    page.fill("#id_method_name", "Peak maps")
    page.fill("#id_declared_parameters", "1000")
    # Drop the file on the drop zone, as a person dragging it from their desktop would.
    payload = base64.b64encode(pred.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """(b64) => {
          const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], 'dropped-pred.zip', {type: 'application/zip'}));
          return dt;
        }""",
        payload,
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    assert "dropped-pred.zip" in page.inner_text("#file-info")
    with page.expect_navigation(url=re.compile(r"/submissions/\d+/$")):
        page.click("#upload-button")
    sub = Submission.objects.get()
    assert sub.status == "scored" and sub.archive_name == "dropped-pred.zip"

    chart = page.wait_for_selector("#curve-chart polyline.curve")
    lines = page.eval_on_selector_all(
        "#curve-chart polyline.curve", "ps => ps.map(p => [p.dataset.label, p.getAttribute('points')])"
    )
    assert [label for label, _ in lines] == ["Mean over images", "Pixel-accumulated"]
    for _, points in lines:
        assert len(points.split()) == 256
    assert page.eval_on_selector_all("#curve-chart circle.peak", "cs => cs.length") == 2
    legend = page.eval_on_selector_all("#curve-chart text.legend-label", "ts => ts.map(t => t.textContent)")
    peak = f"{sub.metrics['peak_iou'] * 100:.2f}% at t = {sub.metrics['peak_threshold']}"
    assert legend[0] == f"Mean over images (peak {peak})"
    # Round ticks: the threshold every 50, IoU in whole percent steps.
    ticks = page.eval_on_selector_all("#curve-chart text.tick-x", "ts => ts.map(t => t.textContent)")
    assert ticks == ["0", "50", "100", "150", "200", "250"]
    y_ticks = page.eval_on_selector_all("#curve-chart text.tick-y", "ts => ts.map(t => Number(t.textContent))")
    step = y_ticks[1] - y_ticks[0]
    assert y_ticks[0] == 0 and step in (1, 2, 5, 10, 20, 25) and y_ticks == [step * i for i in range(len(y_ticks))]
    assert chart is not None
    page.locator("#curve-chart").screenshot(path=str(artifacts / "track3-curve.png"))
    assert (artifacts / "track3-curve.png").stat().st_size > 1000
    assert page.console_errors == [] and page.failed_responses == []
