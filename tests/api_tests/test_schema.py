"""The OpenAPI schema is served, is valid OpenAPI 3, covers the contract's endpoints; the docs page renders."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

# The API endpoints of docs/CONTRACT.md, path parameters written as {}.
CONTRACT_PATHS = {
    "/api/auth/token/",
    "/api/me/",
    "/api/challenges/",
    "/api/challenges/{}/",
    "/api/challenges/{}/tracks/{}/{}/",
    "/api/challenges/{}/teams/",
    "/api/teams/{}/",
    "/api/teams/join/",
    "/api/teams/{}/leave/",
    "/api/teams/{}/members/{}/",
    "/api/teams/{}/invite-code/",
    "/api/challenges/{}/tracks/{}/{}/submissions/",
    "/api/submissions/{}/",
    "/api/submissions/{}/representative/",
    "/api/challenges/{}/tracks/{}/{}/leaderboard/",
    "/api/challenges/{}/tracks/{}/{}/leaderboard/export/",
}


def _schema(client: Any) -> dict[str, Any]:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_schema_is_served_and_is_valid_openapi_3(anonymous: Any) -> None:
    schema = _schema(anonymous)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "LID challenge server API"
    validate_schema(schema)  # raises jsonschema.ValidationError against the OpenAPI 3.0 meta-schema


@pytest.mark.django_db
def test_schema_lists_every_endpoint_of_the_contract(anonymous: Any) -> None:
    paths = {re.sub(r"\{[^}]+\}", "{}", path) for path in _schema(anonymous)["paths"]}
    assert sorted(CONTRACT_PATHS - paths) == []


@pytest.mark.django_db
def test_schema_declares_token_authentication(anonymous: Any) -> None:
    schemes = _schema(anonymous)["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }


@pytest.mark.django_db
def test_schema_generation_has_no_warnings_or_errors() -> None:
    """What ``spectacular --fail-on-warn`` checks: every view's request and response shapes are declared.

    The failure lists drf-spectacular's messages, each naming the view that needs ``extend_schema``.
    """
    GENERATOR_STATS.reset()
    try:
        with GENERATOR_STATS.silence():
            schema = SchemaGenerator().get_schema(request=None, public=True)
        problems = [_plain(m) for m in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]]
    finally:
        GENERATOR_STATS.reset()
    assert problems == []
    validate_schema(schema)


def _plain(message: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", message)


@pytest.mark.django_db
def test_docs_page_renders_and_loads_the_schema(anonymous: Any) -> None:
    response = anonymous.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="swagger-ui"></div>' in html
    assert '"/api/schema/"' in html


@pytest.mark.django_db
def test_docs_page_loads_nothing_from_another_host(anonymous: Any) -> None:
    """The server may run without internet access, so the docs' scripts and styles are served by itself."""
    html = anonymous.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert [url for url in assets if "://" in url or url.startswith("//")] == []
    assert len(assets) >= 3  # the Swagger UI script, its preset and its stylesheet (test_docs_browser loads them)
