"""Object storage is configured by S3_* variables, private, and kept apart from the ground truth;
docker-compose runs MinIO and shares no volume between web and workers."""

from __future__ import annotations

from pathlib import Path

import environ
import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

from lidserver.object_storage import storages_for

ROOT = Path(__file__).resolve().parents[2]


def storages(monkeypatch: pytest.MonkeyPatch, **variables: str) -> dict:
    for name in ("S3_BUCKET", "S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_REGION",
                 "S3_MEDIA_PREFIX", "S3_GROUND_TRUTH_PREFIX", "S3_GROUND_TRUTH_BUCKET"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return storages_for(environ.Env(), staticfiles_backend="static")


def test_without_a_bucket_files_stay_on_the_local_filesystem(monkeypatch: pytest.MonkeyPatch) -> None:
    assert storages(monkeypatch) == {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "static"},
    }


def test_a_bucket_gives_private_s3_storages_for_uploads_and_ground_truth(monkeypatch: pytest.MonkeyPatch) -> None:
    got = storages(
        monkeypatch, S3_BUCKET="lid", S3_ENDPOINT_URL="http://minio:9000", AWS_ACCESS_KEY_ID="k",
        AWS_SECRET_ACCESS_KEY="s", S3_REGION="eu-west-1",
    )  # fmt: skip
    common = {
        "endpoint_url": "http://minio:9000", "access_key": "k", "secret_key": "s", "region_name": "eu-west-1",
        "default_acl": None, "querystring_auth": True, "querystring_expire": 300, "file_overwrite": False, "max_memory_size": 2 * 2**20,
        "addressing_style": "path", "signature_version": "s3v4",
    }  # fmt: skip
    assert got == {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "lid", "location": "media", **common}},
        "staticfiles": {"BACKEND": "static"},
        "ground_truth": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "lid", "location": "ground-truth", **common},
        },
    }  # fmt: skip


@pytest.mark.parametrize(("media", "truth"), [("", "ground-truth"), ("data", "data/gt"), ("x", "x")])
def test_ground_truth_never_sits_under_the_uploads_prefix(
    monkeypatch: pytest.MonkeyPatch, media: str, truth: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match="ground truth must never sit with uploaded files"):
        storages(monkeypatch, S3_BUCKET="lid", S3_MEDIA_PREFIX=media, S3_GROUND_TRUTH_PREFIX=truth)
    # In a bucket of its own, any prefix will do.
    got = storages(monkeypatch, S3_BUCKET="lid", S3_MEDIA_PREFIX=media, S3_GROUND_TRUTH_PREFIX=truth,
                   S3_GROUND_TRUTH_BUCKET="lid-truth")  # fmt: skip
    assert got["ground_truth"]["OPTIONS"]["bucket_name"] == "lid-truth"


def test_compose_runs_minio_and_shares_no_volume_between_web_and_workers() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["minio"]["image"].startswith("minio/minio:RELEASE.")
    assert services["minio-setup"]["image"].startswith("minio/mc:RELEASE.")
    assert "mc anonymous set none" in services["minio-setup"]["command"][0]  # the bucket stays private
    assert "volumes" not in services["web"]
    for worker in ("worker", "worker-staff"):
        assert services[worker]["volumes"] == ["ground_truth_cache:/data/ground_truth_cache"]
    for name in ("web", "worker", "worker-staff", "beat", "migrate", "manage"):
        assert services[name]["environment"]["S3_BUCKET"] == "${S3_BUCKET:-lid}", name
        assert services[name]["depends_on"]["minio-setup"] == {"condition": "service_completed_successfully"}, name
