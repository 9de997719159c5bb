"""Talking to the server's REST API: one session, one error type, one sentence per failure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from lid_client import __version__

if TYPE_CHECKING:
    from lid_client.upload import MultipartFile


class ClientError(Exception):
    """A failure the user can act on; ``str()`` is the one line the CLI prints."""

    def __init__(self, message: str, *, code: str | None = None, exit_code: int = 1, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.exit_code = exit_code
        self.status = status  # the HTTP status when the server answered

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]" if self.code else self.message


TIMEOUT = (10, 60)  # (connect, read) seconds; uploads pass their own read timeout
UNREACHABLE = "Could not reach the server at {server}: {reason}; check --server or LID_SERVER."
TOKEN_REFUSED = "Your token was not accepted; run `lid login` again."
NOT_LOGGED_IN = "You are not logged in; run `lid login` (or set LID_TOKEN) first."


class Api:
    def __init__(self, server: str, token: str | None = None) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"lid-client/{__version__}"
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def url(self, path: str) -> str:
        return f"{self.server}/api/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, auth: bool = True, raw: bool = False, **kwargs: Any) -> Any:
        """Send one request; answer the decoded JSON body (None for 204) or raise :class:`ClientError`."""
        if auth and not self.token:
            raise ClientError(NOT_LOGGED_IN)
        kwargs.setdefault("timeout", TIMEOUT)
        try:
            response = self.session.request(method, self.url(path), **kwargs)
        except requests.exceptions.ConnectionError as exc:
            raise ClientError(UNREACHABLE.format(server=self.server, reason=_reason(exc))) from exc
        except requests.exceptions.Timeout as exc:
            raise ClientError(UNREACHABLE.format(server=self.server, reason="it did not answer in time")) from exc
        except requests.exceptions.RequestException as exc:
            raise ClientError(UNREACHABLE.format(server=self.server, reason=_reason(exc))) from exc
        if raw and response.ok:
            return response.text
        return decode(response, server=self.server, authenticated=bool(self.token))

    def get_text(self, path: str, **kwargs: Any) -> str:
        """A non-JSON download (an export); errors still come as the JSON error body."""
        kwargs["raw"] = True
        return str(self.request("GET", path, **kwargs))

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def upload(self, path: str, body: MultipartFile, content_type: str) -> Any:
        """POST a streamed body (a file-like object with ``__len__``); no read timeout while it goes."""
        return self.request("POST", path, data=body, headers={"Content-Type": content_type}, timeout=(10, None))

    def get_all(self, path: str, **kwargs: Any) -> list[Any]:
        """Every item of a paginated list (limit/offset ``next`` links) or of a plain list."""
        page = self.get(path, **kwargs)
        if isinstance(page, list):
            return page
        items = list(page.get("results", []))
        while page.get("next"):
            page = self._get_absolute(page["next"])
            items.extend(page.get("results", []))
        return items

    def _get_absolute(self, url: str) -> Any:
        prefix = f"{self.server}/api/"
        if url.startswith(prefix):
            return self.get(url[len(prefix) :])
        # The server built the link from its own idea of its host (behind a proxy); keep our host.
        path = url.split("/api/", 1)[1] if "/api/" in url else url
        return self.get(path)


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "nodename nor servname", "timed out"):
        if marker in text:
            return marker.lower() if marker != "timed out" else "the connection timed out"
    return exc.__class__.__name__


def decode(response: requests.Response, *, server: str, authenticated: bool) -> Any:
    if response.status_code == 204 or not response.content:
        if response.ok:
            return None
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.ok:
        if body is None and response.content:
            raise ClientError(f"The server at {server} answered something that is not JSON; is it the LID server?")
        return body
    raise error_from(response, body, authenticated=authenticated)


def error_from(response: requests.Response, body: Any, *, authenticated: bool) -> ClientError:
    """The team-facing sentence of an API error body ``{"code", "message", "detail"}``."""
    is_error_body = isinstance(body, dict) and "message" in body
    code = str(body.get("code")) if is_error_body and body.get("code") else None
    # The server's 401 sentences speak of the web site; the client says what to type instead.
    if response.status_code == 401:
        return ClientError(TOKEN_REFUSED if authenticated else NOT_LOGGED_IN, status=401)
    if response.status_code == 429:
        return ClientError(_throttled(response, body), code="throttled", status=429)
    if is_error_body:
        return ClientError(str(body["message"]), code=code, status=response.status_code)
    return ClientError(
        f"The server answered HTTP {response.status_code} to {response.request.method} {response.url}; "
        "try again later or tell the organizers.",
        code=f"http_{response.status_code}",
        status=response.status_code,
    )


def _throttled(response: requests.Response, body: Any) -> str:
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    wait = response.headers.get("Retry-After")
    return f"Too many requests; try again in {wait} seconds." if wait else "Too many requests; try again later."
