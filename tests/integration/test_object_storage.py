"""Storage that needs no shared disk: uploads, statistics and ground truth in a real S3 server.

moto's standalone server (an S3-compatible HTTP server, started as a subprocess on 127.0.0.1)
plays MinIO/S3. The test process is the web (and runs load_ground_truth, as an organizer would);
two ``bin/worker`` processes each have their own MEDIA_ROOT, GROUND_TRUTH_ROOT, GROUND_TRUTH_CACHE
and temporary folder, so nothing reaches a worker except through the database, the broker and S3.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import evaluation
from challenges import ground_truth_remote
from evaluation.synth import make_synthetic
from lidserver.object_storage import GROUND_TRUTH_STORAGE, S3_BACKEND, s3_options
from submissions import evaluate
from submissions.models import Submission
from tests.integration.test_scoring_worker import cli_metrics, post_archive, wait_finished, wait_for
from tests.support import harness
from tests.support.factories import PhaseFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
BUCKET = "lid-test"
KEYS = {"AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret", "S3_REGION": "us-east-1"}


@pytest.fixture
def s3_server(tmp_path: Path) -> Iterator[str]:
    """``moto_server`` on a free port of 127.0.0.1 with an empty private bucket; its URL."""
    port = harness.free_port()
    log = open(tmp_path / "moto.log", "wb")
    process = subprocess.Popen(
        [str(Path(os.sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start:\n{(tmp_path / 'moto.log').read_text()}") from None
                time.sleep(0.1)
        s3_client(url).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def s3_client(url: str) -> Any:
    import boto3

    return boto3.client(
        "s3", endpoint_url=url, aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"], region_name=KEYS["S3_REGION"],
    )  # fmt: skip


def keys(url: str, prefix: str) -> list[str]:
    listed = s3_client(url).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def s3_settings(s3_server: str, settings: Any) -> Any:
    """This process (the web) on the S3 server: what lidserver.object_storage builds from S3_BUCKET & co."""
    common = {"endpoint_url": s3_server, "access_key": KEYS["AWS_ACCESS_KEY_ID"],
              "secret_key": KEYS["AWS_SECRET_ACCESS_KEY"], "region": KEYS["S3_REGION"]}  # fmt: skip
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": S3_BACKEND, "OPTIONS": s3_options(bucket=BUCKET, prefix="media", **common)},
        GROUND_TRUTH_STORAGE: {"BACKEND": S3_BACKEND, "OPTIONS": s3_options(bucket=BUCKET, prefix="ground-truth", **common)},
    }  # fmt: skip
    return settings


def loaded_track3_test(tmp_path: Path) -> tuple[Any, Path]:
    """A track 3 test phase whose 6-image ground truth the organizer loaded with ``load_ground_truth``
    (published to S3 under the S3 settings), and a team's archive for it."""
    make_synthetic(3, 6, tmp_path / "synthetic", seed=0)
    phase = PhaseFactory(track__number=3, split="test", image_count=6)
    call_command(
        "load_ground_truth", "--challenge", phase.track.challenge.slug, "--track", "3", "--split", "test",
        str(tmp_path / "synthetic" / "gt"), stdout=io.StringIO(),
    )  # fmt: skip
    phase.refresh_from_db()
    return phase, tmp_path / "synthetic" / "pred.zip"


def test_upload_to_score_through_s3_with_two_workers_that_share_no_folder(
    s3_server: str, s3_settings: Any, celery_worker_factory: Any, settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    settings.GROUND_TRUTH_CACHE = tmp_path / "web-cache"

    # The organizer loads the ground truth: packed here, published to S3; the local copy is then removed.
    phase, pred = loaded_track3_test(tmp_path)
    checksum = phase.ground_truth_checksum
    reference = tmp_path / "reference-store"
    shutil.copytree(Path(settings.GROUND_TRUTH_ROOT) / phase.ground_truth_path, reference)
    shutil.rmtree(settings.GROUND_TRUTH_ROOT)
    prefix = f"ground-truth/{phase.ground_truth_path}/{checksum}/"
    assert keys(s3_server, prefix) == [
        prefix + n for n in ("histograms.npy", "index.json", "labels.bin", "manifest.json")
    ]
    expected = cli_metrics(3, reference, pred)  # the local-filesystem scoring of the same files

    # From here on the web process must not open any ground truth.
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the web process opened the ground truth")

    monkeypatch.setattr(evaluation, "open_ground_truth", refuse)
    monkeypatch.setattr(evaluate, "ground_truth_cached", refuse)
    monkeypatch.setattr(ground_truth_remote, "ground_truth_cached", refuse)

    alice = UserFactory(username="alice")
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")

    def machine(name: str) -> dict[str, str]:
        home = tmp_path / name
        for sub in ("media", "ground_truth", "cache", "tmp"):
            (home / sub).mkdir(parents=True)
        return {"S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": s3_server, **KEYS, "MEDIA_ROOT": str(home / "media"),
                "GROUND_TRUTH_ROOT": str(home / "ground_truth"), "GROUND_TRUTH_CACHE": str(home / "cache"),
                "TMPDIR": str(home / "tmp")}  # fmt: skip

    sent: list[bytes] = []

    def scored(worker: Any) -> dict[str, Any]:
        # The same predictions in a new archive each time (a zip comment), so it is no duplicate.
        variant = tmp_path / f"pred{len(sent)}.zip"
        shutil.copyfile(pred, variant)
        with zipfile.ZipFile(variant, "a") as archive:
            archive.comment = f"upload {len(sent)}".encode()
        sent.append(variant.read_bytes())
        response = post_archive(api, phase, variant)
        assert response.status_code == 201, response.json()
        sub_id = response.json()["id"]
        body = wait_finished(api, sub_id, worker)
        assert body["status"] == "scored", (body, worker.log())
        assert f"Submission {sub_id} scored" in worker.log() or wait_for(
            lambda: f"Submission {sub_id} scored" in worker.log(), 10, "the e-mail", worker
        )
        return body

    def same_as_local(body: dict[str, Any]) -> None:
        assert body["score"] == pytest.approx(expected["peak_iou"], abs=1e-12)
        assert body["metrics"]["peak_threshold"] == pytest.approx(expected["peak_threshold"], abs=1e-12)
        assert body["curve"]["mean"] == pytest.approx(expected["curve"], abs=1e-12)
        assert body["scorer_version"] == evaluation.SCORER_VERSION

    a_env, b_env = machine("a"), machine("b")
    a = celery_worker_factory(**a_env)
    b = celery_worker_factory(**b_env)
    b.stop()  # each submission goes to the one worker left running
    first = scored(a)
    same_as_local(first)
    cached_a = Path(a_env["GROUND_TRUTH_CACHE"]) / checksum
    assert sorted(p.name for p in cached_a.iterdir()) == ["histograms.npy", "index.json", "labels.bin", "manifest.json"]
    assert all(
        (cached_a / n).read_bytes() == (reference / n).read_bytes()
        for n in ("index.json", "labels.bin", "histograms.npy")
    )

    b = celery_worker_factory(**b_env)
    a.stop()
    second = scored(b)
    same_as_local(second)
    assert (second["ci"], second["metrics"]) == (first["ci"], first["metrics"])
    cached_b = Path(b_env["GROUND_TRUTH_CACHE"]) / checksum
    assert (cached_b / "labels.bin").read_bytes() == (reference / "labels.bin").read_bytes()

    # B's cached store is damaged: B notices, fetches it again and scores the same.
    labels = cached_b / "labels.bin"
    good = labels.read_bytes()
    labels.write_bytes(bytes([good[0] ^ 0xFF]) + good[1:])
    third = scored(b)
    same_as_local(third)
    assert labels.read_bytes() == good
    assert [p.name for p in cached_b.parent.iterdir()] == [checksum]

    # Everything the team sent and the statistics are in S3 only; no folder of any machine holds them.
    subs = list(Submission.objects.filter(phase=phase).order_by("pk"))
    assert len(subs) == 3
    media = keys(s3_server, "media/")
    assert media == sorted(
        ["media/" + s.archive.name for s in subs] + ["media/" + s.per_image_stats.name for s in subs]
    )
    assert [s.archive.read() for s in subs] == sent
    for key in [*media, *keys(s3_server, "ground-truth/")]:  # private: no grant to anyone but the owner
        grants = s3_client(s3_server).get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [g["Grantee"].get("URI") for g in grants] == [None], (key, grants)
    for home in (tmp_path / "a", tmp_path / "b"):
        assert files(home / "media") == [] and files(home / "ground_truth") == [] and files(home / "tmp") == []
    assert files(Path(settings.MEDIA_ROOT)) == [] and not Path(settings.GROUND_TRUTH_CACHE).exists()


def test_one_submission_sharded_over_two_workers_that_share_no_folder_scores_as_one_pass(
    s3_server: str, s3_settings: Any, celery_worker_factory: Any, settings: Any, tmp_path: Path
) -> None:
    settings.GROUND_TRUTH_CACHE = tmp_path / "web-cache"
    phase, pred = loaded_track3_test(tmp_path)
    expected = cli_metrics(3, Path(settings.GROUND_TRUTH_ROOT) / phase.ground_truth_path, pred)
    shutil.rmtree(settings.GROUND_TRUTH_ROOT)
    alice = UserFactory(username="alice")
    TeamFactory(challenge=phase.track.challenge, name="Alpha", captain=alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")

    # Two machines, each its own folders; 6 images in shards of 2: 3 shards for whichever is idle.
    workers = []
    for name in ("a", "b"):
        home = tmp_path / name
        for sub in ("media", "ground_truth", "cache", "tmp"):
            (home / sub).mkdir(parents=True)
        workers.append(
            celery_worker_factory(
                S3_BUCKET=BUCKET,
                S3_ENDPOINT_URL=s3_server,
                **KEYS,
                MEDIA_ROOT=str(home / "media"),
                GROUND_TRUTH_ROOT=str(home / "ground_truth"),
                GROUND_TRUTH_CACHE=str(home / "cache"),
                TMPDIR=str(home / "tmp"),
                SCORING_SHARD_MIN_IMAGES="2",
                SCORING_SHARD_IMAGES="2",
            )  # fmt: skip
        )
    response = post_archive(api, phase, pred)
    assert response.status_code == 201, response.json()
    sub_id = response.json()["id"]
    body = wait_finished(api, sub_id, workers[0])
    assert body["status"] == "scored", (body, workers[0].log(), workers[1].log())
    assert body["progress"] == {"shards_done": 3, "shards_total": 3}
    assert body["score"] == expected["peak_iou"]
    assert body["metrics"]["peak_threshold"] == expected["peak_threshold"]
    assert body["curve"]["mean"] == expected["curve"]  # merged through S3: bit for bit the one pass
    shard_lines = [w.log().count("score_submission_shard[") for w in workers]
    assert all(count > 0 for count in shard_lines), shard_lines  # both machines scored shards
    # The partial results went through S3 and are deleted once merged (right after the result is
    # committed); nothing is in a media folder.
    sub = Submission.objects.get(pk=sub_id)
    kept = sorted(["media/" + sub.archive.name, "media/" + sub.per_image_stats.name])
    wait_for(lambda: keys(s3_server, "media/") == kept, 10, "the partial results to be deleted", workers[0])
    for name in ("a", "b"):
        assert files(tmp_path / name / "media") == []
        # At most the one archive a worker process keeps for the shards it may still be sent.
        assert [p.parent.name for p in files(tmp_path / name / "tmp")] in ([], ["lid-shard-archives"])


def test_verification_code_is_stored_in_s3_and_downloaded_through_the_view(
    s3_server: str, s3_settings: Any, client: Any, settings: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.support.staff import board_with_teams, closed_test_phase, verifier_user
    from verification.services import verification_request_top_teams

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    phase = closed_test_phase()
    teams = board_with_teams(phase, [0.9, 0.8])
    verification_request_top_teams(phase=phase)
    request = phase.verification_requests.get(team=teams[0])
    payloads = []
    for n in range(2):  # a second upload replaces the first, whose object is deleted
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("infer.py", f"print({n})\n")
        payloads.append(buffer.getvalue())
        client.force_login(teams[0].captain)
        form = {
            "archive": SimpleUploadedFile("code.zip", payloads[-1]),
            "declared_parameters": "1000",
            "instructions": "run",
        }
        assert client.post(reverse("verification:upload", args=[request.pk]), form).status_code == 302
    request.refresh_from_db()
    assert keys(s3_server, "media/verification/") == ["media/" + request.code_archive.name]
    assert files(Path(settings.MEDIA_ROOT)) == []
    client.force_login(verifier_user())
    download = client.get(reverse("verification:download", args=[request.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == payloads[-1]
    assert download["Content-Disposition"] == 'attachment; filename="code.zip"'


def test_a_worker_copies_an_archive_from_s3_to_a_bounded_temporary_file(
    s3_server: str, s3_settings: Any, settings: Any, tmp_path: Path
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from submissions.storage import StoredArchiveTooLarge, archive_local_copy

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    os.mkdir(settings.FILE_UPLOAD_TEMP_DIR)
    content = os.urandom(3 * 2**20 + 5)  # more than one 1 MiB chunk and more than the spool limit
    sub = Submission()
    sub.archive.name = default_storage.save("submissions/x/archive.zip", ContentFile(content))
    assert keys(s3_server, "media/") == ["media/submissions/x/archive.zip"]
    with archive_local_copy(sub.archive) as local:
        assert Path(local).read_bytes() == content
    assert os.listdir(settings.FILE_UPLOAD_TEMP_DIR) == []
    settings.MAX_UPLOAD_BYTES = len(content) - 1
    with pytest.raises(StoredArchiveTooLarge, match="larger than MAX_UPLOAD_BYTES"):
        with archive_local_copy(sub.archive):
            pass
    assert os.listdir(settings.FILE_UPLOAD_TEMP_DIR) == []
