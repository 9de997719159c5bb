"""PostgreSQL restarted while a worker scores: the submission ends with exactly one score.

The database is a private PostgreSQL 15 cluster (initdb as the ``postgres`` OS user, its own port
and socket directory), never the machine's shared server. Beat's rescue is run every few seconds
from a subprocess, as beat would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from tests.support import harness

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.longest]


def row(cluster: harness.PrivatePostgres, submission_id: int) -> tuple | None:
    try:
        with psycopg2.connect(cluster.url("lid"), connect_timeout=2) as conn, conn.cursor() as cur:
            cur.execute("select status, attempts, score from submissions_submission where id = %s", [submission_id])
            return cur.fetchone()
    except psycopg2.OperationalError:
        return None  # restarting


def scalar(cluster: harness.PrivatePostgres, sql: str, *args: object) -> object:
    with psycopg2.connect(cluster.url("lid")) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def scenario(env: dict[str, str], *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.fault_tests.pg_scenario", *args],
        cwd=harness.ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgres_restarted_mid_scoring_gives_one_score(cluster, tmp_path):
    import evaluation

    with harness.private_redis() as broker:
        env = {
            "DEBUG": "1",
            "DATABASE_URL": cluster.url("lid"),
            "CELERY_BROKER_URL": broker.url(),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "GROUND_TRUTH_ROOT": str(tmp_path / "gt"),
            "SCORING_STUCK_AFTER_SECONDS": "8",
        }
        made = scenario(env, "setup", str(tmp_path))
        sub_id = made["submission_id"]
        worker = harness.Worker(env, tmp_path / "worker.log").start()
        try:
            harness.wait_until(lambda: (row(cluster, sub_id) or ("",))[0] == "running", timeout=60, what="running")
            cluster.restart()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and (row(cluster, sub_id) or ("",))[0] != "scored":
                time.sleep(3)
                if (row(cluster, sub_id) or ("",))[0] in ("running", "queued"):
                    scenario(env, "requeue")  # what beat does every minute in production
            status, attempts, score = row(cluster, sub_id)
            log = worker.log_text()[-3000:]
            assert status == "scored", log
            assert 1 <= attempts <= 3
            assert worker.alive()
        finally:
            worker.stop()

    gt = evaluation.open_ground_truth(tmp_path / "gt" / "store")
    assert score == pytest.approx(evaluation.score_archive(1, gt, str(tmp_path / "pred.zip")).metrics()["mean_iou"])
    entries = scalar(cluster, "select count(*) from leaderboard_leaderboardentry where submission_id = %s", sub_id)
    boards = scalar(
        cluster, "select count(distinct board) from leaderboard_leaderboardentry where team_id = %s", made["team_id"]
    )
    assert entries == boards >= 1  # one row per board, all of them this submission
    stats = [p for p in Path(tmp_path / "media" / "stats").rglob("*") if p.is_file()]
    assert len(stats) == 1
