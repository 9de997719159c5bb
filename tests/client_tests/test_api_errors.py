"""How the client turns any server answer into one line (no server needed: real Response objects)."""

from __future__ import annotations

import json

import pytest
import requests
from lid_client.api import ClientError, decode


def response(status: int, body: object = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None):
    r = requests.Response()
    r.status_code = status
    r._content = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    r.headers.update(headers or {})
    r.url = "http://lid.test/api/x/"
    r.request = requests.Request("POST", r.url).prepare()
    return r


def error_line(r: requests.Response, authenticated: bool = True) -> str:
    with pytest.raises(ClientError) as caught:
        decode(r, server="http://lid.test", authenticated=authenticated)
    return str(caught.value)


def test_the_message_and_the_code_of_the_error_body() -> None:
    body = {"code": "limit_reached", "message": "Your team has used its 5 submissions.", "detail": {"limit": 5}}
    assert error_line(response(409, body)) == "Your team has used its 5 submissions. [limit_reached]"


def test_throttled_says_how_long_to_wait() -> None:
    body = {"code": "throttled", "message": "Too many requests; try again in 42 seconds.", "detail": None}
    assert error_line(response(429, body)) == "Too many requests; try again in 42 seconds. [throttled]"
    bare = response(429, raw=b"slow down", headers={"Retry-After": "17"})
    assert error_line(bare) == "Too many requests; try again in 17 seconds. [throttled]"


def test_401_tells_to_log_in_again() -> None:
    body = {"code": "authentication_failed", "message": "Invalid token.", "detail": None}
    assert error_line(response(401, body)) == "Your token was not accepted; run `lid login` again."
    assert error_line(response(401, body), authenticated=False) == (
        "You are not logged in; run `lid login` (or set LID_TOKEN) first."
    )


def test_a_proxys_html_error_page() -> None:
    page = response(502, raw=b"<html><body>Bad Gateway</body></html>")
    assert error_line(page) == (
        "The server answered HTTP 502 to POST http://lid.test/api/x/; try again later or tell the organizers. [http_502]"
    )


def test_a_success_that_is_not_json() -> None:
    assert error_line(response(200, raw=b"<html>login</html>")) == (
        "The server at http://lid.test answered something that is not JSON; is it the LID server?"
    )


def test_no_content() -> None:
    assert decode(response(204), server="http://lid.test", authenticated=True) is None
