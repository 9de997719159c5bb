"""The OpenAPI schema is served, is valid OpenAPI 3, covers the contract's endpoints; the docs page renders."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from lidserver.user_text import name_pattern

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


# What schemathesis found (issue 13), each checked against the served schema.


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def _component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.django_db
def test_upload_file_fields_are_binary_so_a_generated_client_can_upload(anonymous: Any) -> None:
    schema = _schema(anonymous)
    for path, field in (
        ("/api/challenges/{slug}/tracks/{number}/{split}/submissions/", "archive"),
        ("/api/verification/{request_id}/code/", "archive"),
    ):
        body = schema["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert _component(schema, body["$ref"])["properties"][field]["format"] == "binary"


@pytest.mark.django_db
def test_every_error_answer_is_declared_with_the_error_shape(anonymous: Any) -> None:
    schema = _schema(anonymous)
    assert _component(schema, "#/components/schemas/Error") == {
        "type": "object",
        "description": "The body of every API error (``lidserver.errors.error_body``).",
        "properties": {
            "code": {
                "type": "string",
                "description": "Stable and machine-readable, e.g. `not_found`, `limit_reached`.",
            },
            "message": {"type": "string", "description": "A sentence saying what was wrong and what to do."},
            "detail": {
                "nullable": True,
                "description": "For `invalid`, each field's messages; for some codes extra data; else null.",
            },
        },
        "required": ["code", "detail", "message"],
    }
    for method, path, op in _operations(schema):
        errors = {code: r for code, r in op["responses"].items() if code.startswith("4") or code.startswith("5")}
        assert errors, (method, path)
        for response in errors.values():
            assert response["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        authenticated = any(requirement for requirement in op["security"])
        assert ("401" in errors) == authenticated, (method, path)
        has_path_parameters = any(p["in"] == "path" for p in op.get("parameters", []))
        assert "404" in errors or not has_path_parameters, (method, path)
        if "requestBody" in op:
            assert {"400", "413", "415"} <= set(errors), (method, path)


@pytest.mark.django_db
def test_the_upload_declares_every_refusal_the_contract_lists(anonymous: Any) -> None:
    op = _schema(anonymous)["paths"]["/api/challenges/{slug}/tracks/{number}/{split}/submissions/"]["post"]
    assert sorted(op["responses"]) == [
        "201",
        "400",
        "401",
        "403",
        "404",
        "409",
        "411",
        "413",
        "415",
        "429",
        "503",
        "507",
    ]


NAMES = {("TeamCreateRequest", "name"), ("SubmissionUploadRequest", "method_name")}


@pytest.mark.django_db
def test_required_text_is_declared_non_blank(anonymous: Any) -> None:
    schema = _schema(anonymous)["components"]["schemas"]
    not_blank = r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085][^\u0000]*$"
    for component, field in (
        ("TokenRequestRequest", "username"),
        ("TeamCreateRequest", "name"),
        ("TeamJoinRequest", "invite_code"),
        ("SubmissionUploadRequest", "method_name"),
    ):
        assert schema[component]["properties"][field]["minLength"] == 1
        # Names follow the name rule (lidserver.user_text), which also refuses a blank one.
        expected = name_pattern() if (component, field) in NAMES else not_blank
        assert schema[component]["properties"][field]["pattern"] == expected
    assert schema["TokenRequestRequest"]["properties"]["password"]["minLength"] == 1  # spaces count in a password


@pytest.mark.parametrize("text", ["", " ", "\t\n", "\x1c", "\u3000"])
def test_blank_text_the_schema_refuses_is_refused(token_client: Any, text: str) -> None:
    response = token_client.post("/api/teams/join/", {"invite_code": text}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert re.search(r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085][^\u0000]*$", text) is None


@pytest.mark.django_db
def test_the_export_declares_what_each_format_sends(anonymous: Any, phase: Any) -> None:
    op = _schema(anonymous)["paths"]["/api/challenges/{slug}/tracks/{number}/{split}/leaderboard/export/"]["get"]
    declared = op["responses"]["200"]["content"]
    assert declared["application/json"] == {"schema": {"$ref": "#/components/schemas/Leaderboard"}}
    for fmt, media_type in (
        ("csv", "text/csv"),
        ("json", "application/json"),
        ("md", "text/markdown"),
        ("tex", "application/x-tex"),
    ):
        response = anonymous.get("/api/challenges/lid2020/tracks/1/test/leaderboard/export/", {"format": fmt})
        assert response.status_code == 200
        assert response["Content-Type"].split(";")[0] == media_type
        assert media_type in declared
    body = anonymous.get("/api/challenges/lid2020/tracks/1/test/leaderboard/export/", {"format": "json"}).json()
    assert body == {
        "challenge": "lid2020",
        "track": 1,
        "split": "test",
        "board": "official",
        "frozen_at": None,
        "rows": [],
    }


@pytest.mark.parametrize("query", [{"board": ""}, {"format": ""}, {"board": "Official"}])
def test_empty_or_unknown_board_and_format_are_refused_like_other_values_outside_the_enum(
    anonymous: Any, phase: Any, query: dict[str, str]
) -> None:
    response = anonymous.get("/api/challenges/lid2020/tracks/1/test/leaderboard/export/", query)
    assert response.status_code == 400
    assert response.json()["code"] == ("invalid_board" if "board" in query else "invalid_format")


@pytest.mark.parametrize(
    ("query", "field", "bounds"),
    [
        ({"limit": "abc"}, "limit", "from 1 to 500"),
        ({"limit": "0"}, "limit", "from 1 to 500"),
        ({"limit": "501"}, "limit", "from 1 to 500"),
        ({"limit": str(2**63)}, "limit", "from 1 to 500"),
        ({"offset": "-1"}, "offset", "from 0 to 1000000000"),
        ({"offset": "1.5"}, "offset", "from 0 to 1000000000"),
        ({"offset": str(2**63)}, "offset", "from 0 to 1000000000"),
    ],
)
def test_page_parameters_outside_the_declared_bounds_are_refused(
    token_client: Any, query: dict[str, str], field: str, bounds: str
) -> None:
    response = token_client.get("/api/submissions/", query)
    assert response.status_code == 400
    message = f"{field} must be a whole number {bounds}; you sent “{query[field]}”."
    assert response.json() == {"code": "invalid_paging", "message": message, "detail": {field: query[field]}}


@pytest.mark.django_db
def test_page_parameters_are_declared_with_their_bounds(anonymous: Any) -> None:
    op = _schema(anonymous)["paths"]["/api/submissions/"]["get"]
    assert {p["name"]: p["schema"] for p in op["parameters"]} == {
        "limit": {"type": "integer", "minimum": 1, "maximum": 500},
        "offset": {"type": "integer", "minimum": 0, "maximum": 1_000_000_000},
    }


def test_a_page_within_the_bounds_is_answered(token_client: Any) -> None:
    response = token_client.get("/api/submissions/", {"limit": "500", "offset": "1000000000"})
    assert response.status_code == 200
    assert response.json() == {
        "count": 0,
        "next": None,
        "previous": f"http://testserver/api/submissions/?limit=500&offset={1_000_000_000 - 500}",
        "results": [],
    }
