"""Over-limit uploads are refused before they are read (issue 13, finding 4).

Two places, both ahead of any view:

* ``RefuseOversizedBodiesMiddleware`` answers 413 from the ``Content-Length`` header alone when the
  body is larger than the largest archive accepted plus ``FORM_ALLOWANCE`` for the form's other
  fields (their lengths are bounded, lidserver/user_text.py); no byte of the body is read. A body
  without ``Content-Length`` (chunked transfer) is answered 411: Django parses no form from it.
* ``ArchiveSizeLimitHandler``, first in ``FILE_UPLOAD_HANDLERS``, stops a body within the allowance
  as soon as its file bytes pass the limit: Django then closes (deletes) the temporary file.

The service's own size check (submissions.services) still gives the exact sentence for an archive
just over the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from lidserver.errors import UploadTooLarge, error_body

FORM_ALLOWANCE = 64 * 1024  # multipart headers and boundaries, method name and description (<= 8 KB)


def largest_archive() -> int:
    return max(settings.MAX_UPLOAD_BYTES, settings.VERIFICATION_MAX_CODE_BYTES)


def largest_body() -> int:
    return largest_archive() + FORM_ALLOWANCE


def too_large_message(size: int | None) -> str:
    limit = largest_archive()
    what = f"The upload is {size:,} bytes" if size is not None else "The upload is larger than the limit"
    return (
        f"{what}; the largest accepted archive is {limit:,} bytes. Save the PNGs with compression "
        "(or leave out what is not needed) and upload again."
    )


def _answer(request: HttpRequest, status: int, code: str, message: str, detail: Any = None) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body(code, message, detail), status=status)
    else:
        heading = "Upload too large" if status == 413 else "Length required"
        response = HttpResponse(
            render_to_string("_error.html", {"heading": heading, "message": message}), status=status
        )
    response["Connection"] = "close"  # the unread body is not drained into another request
    return response


class RefuseOversizedBodiesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > largest_body():
            size = int(declared)
            detail = {"size": size, "limit": largest_archive()}
            return _answer(request, 413, "upload_too_large", too_large_message(size), detail)
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not declared and request.method in ("POST", "PUT", "PATCH"):
            return _answer(
                request,
                411,
                "length_required",
                "Send the upload with a Content-Length header; a chunked request body is not accepted "
                "(the `lid` client and browsers send the length).",
            )
        return self.get_response(request)


class ArchiveSizeLimitHandler(FileUploadHandler):
    """Counts the file bytes of one request; past the limit, stops the upload (nothing kept)."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0
        self.stopped = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > largest_archive():
            self.stopped = True
            raise StopUpload(connection_reset=True)  # Django closes and deletes the temporary files
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def upload_complete(self) -> None:
        if self.stopped:
            raise UploadTooLarge(too_large_message(None))
