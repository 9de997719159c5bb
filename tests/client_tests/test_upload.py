"""The streamed multipart body: exact length, valid form data, read piece by piece, progress to the end."""

from __future__ import annotations

import email.parser
import email.policy
import io
import os
from pathlib import Path

from lid_client.upload import MultipartFile, ProgressBar


def parse(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    return {
        part.get_param("name", header="content-disposition"): (part.get_filename(), part.get_payload(decode=True))
        for part in message.iter_parts()
    }


def test_body_is_valid_form_data_of_the_exact_length(tmp_path: Path) -> None:
    archive = tmp_path / "my preds.zip"
    archive.write_bytes(os.urandom(300_000))
    body = MultipartFile({"method_name": "CAM+CRF", "declared_parameters": "25600000"}, "archive", archive)
    data = body.read()
    assert len(data) == len(body)
    assert body.read() == b""
    assert parse(data, body.content_type) == {
        "method_name": (None, b"CAM+CRF"),
        "declared_parameters": (None, b"25600000"),
        "archive": ("my preds.zip", archive.read_bytes()),
    }


def test_the_file_is_read_in_pieces_never_whole(tmp_path: Path) -> None:
    archive = tmp_path / "pred.zip"
    archive.write_bytes(os.urandom(3 * 2**20))
    seen: list[tuple[int, int]] = []
    body = MultipartFile(
        {"method_name": "x"}, "archive", archive, progress=lambda done, total: seen.append((done, total))
    )
    chunks, held = [], []
    while chunk := body.read(16_384):
        chunks.append(chunk)
        held.append(len(body._buffer))
    assert max(len(c) for c in chunks) == 16_384
    assert sum(len(c) for c in chunks) == len(body)
    # At most one disk block (256 KiB) is held between reads, never the 3 MiB file.
    assert 0 < max(held) < 256 * 1024
    assert seen[-1] == (len(body), len(body))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_progress_off_a_terminal_prints_one_line(tmp_path: Path) -> None:
    stream = io.StringIO()
    bar = ProgressBar("pred.zip", stream=stream)
    for done in range(0, 2 * 2**20 + 1, 2**18):
        bar(done, 2 * 2**20)
    assert stream.getvalue().startswith("Uploaded pred.zip: 2.0 MB in ")
    assert stream.getvalue().count("\n") == 1


def test_progress_on_a_terminal_redraws_in_place() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = ProgressBar("pred.zip", stream=stream, width=10)
    bar(2**20, 2 * 2**20)
    bar(2 * 2**20, 2 * 2**20)
    assert stream.getvalue() == (
        "\rUploading pred.zip  [#####-----]  50%  1.0/2.0 MB\rUploading pred.zip  [##########] 100%  2.0/2.0 MB\n"
    )
