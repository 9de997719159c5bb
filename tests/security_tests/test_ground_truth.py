"""The hidden ground truth never leaks: no response mentions it, and the web process never opens it."""

from __future__ import annotations

import builtins
import io
import os
import pathlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from tests.security_tests.conftest import GT_INTERNAL_FILES, GT_STORE, GT_VALUE_PATTERN
from tests.security_tests.test_access import crawl


def canaries(gt_root: Path) -> list[bytes]:
    values = GT_VALUE_PATTERN[:5]
    return [
        GT_STORE.encode(),
        GT_STORE.rsplit("/", 1)[1].encode(),
        str(gt_root).encode(),
        *[name.encode() for name in GT_INTERNAL_FILES],
        ", ".join(map(str, values)).encode(),
        ",".join(map(str, values)).encode(),
        " ".join(map(str, values)).encode(),
    ]


def body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def test_no_response_of_any_url_for_any_role_mentions_the_ground_truth(world):
    leaks = []
    pages = 0
    for role, url, response in crawl(world):
        content = body(response)
        pages += 1
        leaks += [(role, url, c.decode()) for c in canaries(world.gt_root) if c in content]
    assert pages > 200
    assert leaks == []


@contextmanager
def ground_truth_guard(gt_root: Path) -> Iterator[list[str]]:
    """Record every attempt to open a path under ``gt_root`` through the usual doors."""
    root = os.path.realpath(gt_root)
    touched: list[str] = []

    def check(target: object) -> None:
        if isinstance(target, int | io.IOBase) or target is None:
            return
        try:
            path = os.path.realpath(os.fspath(target))  # type: ignore[arg-type]
        except TypeError:
            return
        if path == root or path.startswith(root + os.sep):
            touched.append(path)

    def wrap(original):  # type: ignore[no-untyped-def]
        def guarded(target, *args, **kwargs):  # type: ignore[no-untyped-def]
            check(target)
            return original(target, *args, **kwargs)

        return guarded

    def wrap_method(original):  # type: ignore[no-untyped-def]
        def guarded(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            check(self)
            return original(self, *args, **kwargs)

        return guarded

    patches = [
        (builtins, "open", wrap(builtins.open)),
        (io, "open", wrap(io.open)),
        (os, "open", wrap(os.open)),
        (os, "scandir", wrap(os.scandir)),
        (os, "listdir", wrap(os.listdir)),
        (np, "load", wrap(np.load)),
        (np, "fromfile", wrap(np.fromfile)),
        (PIL.Image, "open", wrap(PIL.Image.open)),
        (pathlib.Path, "open", wrap_method(pathlib.Path.open)),
    ]

    patches.append((np, "memmap", wrap(np.memmap)))  # a function for the duration: isinstance is not needed here
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    try:
        for obj, name, replacement in patches:
            setattr(obj, name, replacement)
        yield touched
    finally:
        for obj, name, original in saved:
            setattr(obj, name, original)


def test_the_guard_sees_each_kind_of_open(tmp_path):
    root = tmp_path / "gt"
    root.mkdir()
    (root / "a.bin").write_bytes(b"\x00" * 16)
    openers = [
        lambda: open(root / "a.bin", "rb").close(),
        lambda: os.close(os.open(root / "a.bin", os.O_RDONLY)),
        lambda: (root / "a.bin").open("rb").close(),
        lambda: np.fromfile(root / "a.bin", dtype=np.uint8),
        lambda: np.memmap(root / "a.bin", dtype=np.uint8, mode="r"),
        lambda: os.listdir(root),
    ]
    for opener in openers:
        with ground_truth_guard(root) as touched:
            opener()
        assert touched, opener
    with ground_truth_guard(root) as touched:
        open(tmp_path / "elsewhere.txt", "w").close()
    assert touched == []


def test_pages_and_api_never_open_the_ground_truth(world):
    with ground_truth_guard(world.gt_root) as touched:
        responses = sum(1 for _ in crawl(world))
    assert responses > 200
    assert touched == []


@pytest.mark.slow
def test_an_upload_never_opens_the_ground_truth(settings, tmp_path, django_db_blocker, db):
    from tests.security_tests import hostile
    from tests.security_tests.uploads import make_upload_world

    up = make_upload_world(settings, tmp_path)
    with ground_truth_guard(settings.GROUND_TRUTH_ROOT) as touched:
        for data in (hostile.VARIANTS["plain"](up.sample), hostile.CASES_BY_ID["missing_file"].build(up.sample, "")):
            assert up.upload(data).status_code in (201, 400)
        page = up.client.get(up.url)
        assert page.status_code == 200
    assert touched == []


@pytest.mark.slow
def test_a_real_store_leaks_nothing_after_uploads_and_scoring(settings, tmp_path, db):
    """With a store packed by the scoring core, scored and rejected submissions mention none of it."""
    from django.test import Client

    from tests.security_tests import hostile
    from tests.security_tests.uploads import make_upload_world, run_queued_scoring

    up = make_upload_world(settings, tmp_path)
    ids = []
    for data in (hostile.VARIANTS["plain"](up.sample), hostile.CASES_BY_ID["label_out_of_range"].build(up.sample, "")):
        response = up.upload(data)
        assert response.status_code == 201
        run_queued_scoring(response.json()["id"])
        ids.append(response.json()["id"])
    rejected = up.upload(hostile.CASES_BY_ID["missing_file"].build(up.sample, ""))
    assert rejected.status_code == 400

    store = settings.GROUND_TRUTH_ROOT / up.phase.ground_truth_path
    prediction_names = {f"{name}.png" for name in up.sample.names}
    secrets = [str(settings.GROUND_TRUTH_ROOT), up.phase.ground_truth_path]
    secrets += [p.name for p in store.rglob("*") if p.name not in prediction_names]
    assert len(secrets) >= 3
    client = Client()
    client.force_login(up.user)
    urls = [f"/submissions/{i}/" for i in ids] + [f"/submissions/{i}/status.json" for i in ids]
    urls += [f"/api/submissions/{i}/" for i in ids] + [
        up.url,
        "/api/submissions/",
        "/c/lid2020/track/1/test/submissions/",
    ]
    urls += ["/c/lid2020/track/1/test/leaderboard/", "/c/lid2020/track/1/test/leaderboard.json"]
    bodies = {url: client.get(url) for url in urls}
    assert {url: r.status_code for url, r in bodies.items()} == dict.fromkeys(urls, 200)
    leaks = [(url, s) for url, r in bodies.items() for s in secrets if s.encode() in r.content]
    assert rejected.json()["message"] and not any(s in rejected.json()["message"] for s in secrets)
    assert leaks == []
