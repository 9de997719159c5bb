"""`lid status` shows the server's advice on a scored submission (the API's ``diagnosis``)."""

from __future__ import annotations

from lid_client.submissions import submission_text

SCORED = {
    "id": 7,
    "challenge": "lid2020",
    "track": 1,
    "split": "val",
    "status": "scored",
    "method_name": "CAM",
    "declared_parameters": 1000,
    "archive_name": "p.zip",
    "sha256": "a" * 64,
    "created_at": "2026-12-02T03:00:00Z",
    "uploaded_by": "alice",
    "metrics": {"mean_iou": 0.02, "mean_accuracy": 0.03, "pixel_accuracy": 0.1},
    "ci": None,
    "is_representative": False,
}


def test_the_advice_is_printed_under_the_metrics() -> None:
    message = "Your labels look shifted by one: moved by +1 they would reach a mean IoU of 48.12%."
    diagnosis = {"advice": [{"code": "labels_shifted", "would_reach": 0.4812, "message": message, "shift": 1}]}
    text = submission_text({**SCORED, "diagnosis": diagnosis})
    assert text.splitlines()[-1] == f"  advice       {message}"


def test_no_advice_prints_nothing_more() -> None:
    plain = submission_text({**SCORED, "diagnosis": {"advice": []}})
    assert "advice" not in plain
    assert plain == submission_text({**SCORED, "diagnosis": None})
