"""Input limits: every text a client can send has a maximum length, every paging parameter a
maximum, request bodies are capped, and too much input is refused with a clear 4xx, never a 500.
The API is checked through its OpenAPI schema, the pages through their routes' parameters."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pytest
from annotated_types import Le, Lt, MaxLen
from fastapi.routing import APIRoute, iter_route_contexts

from factories import make_board, make_topic, make_user
from security.test_permission_matrix import TABLE, _body, _param_value
from security.world import build_world, client_as, fill_path, route_table

PAGING = {"limit", "page", "before", "after", "per_page", "offset", "cursor"}


# --- the API's schema -----------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def _is_file(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "binary" or "contentMediaType" in schema


def _unbounded_strings(
    schema: dict[str, Any], spec: dict[str, Any], where: str, seen: set[str]
) -> Iterator[str]:
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen = seen | {schema["$ref"]}
    schema = _resolve(schema, spec)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _unbounded_strings(sub, spec, where, seen)
    kind = schema.get("type")
    if _is_file(schema):
        return  # an upload: bounded by the upload and request size limits
    if kind == "string" and "maxLength" not in schema and "enum" not in schema and "format" not in schema:
        yield where
    if kind == "array" and not _is_file(_resolve(schema.get("items", {}), spec)):
        if "maxItems" not in schema:
            yield where + "[] (no maxItems)"
        yield from _unbounded_strings(schema.get("items", {}), spec, where + "[]", seen)
    for name, prop in schema.get("properties", {}).items():
        yield from _unbounded_strings(prop, spec, f"{where}.{name}", seen)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method.upper(), op


@pytest.fixture
def spec(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/openapi.json").json()  # type: ignore[no-any-return]


def test_every_string_in_an_api_request_body_has_a_max_length(spec) -> None:  # type: ignore[no-untyped-def]
    unbounded = []
    for path, method, op in _operations(spec):
        for media in op.get("requestBody", {}).get("content", {}).values():
            unbounded += _unbounded_strings(media["schema"], spec, f"{method} {path} body", set())
    assert not unbounded, "request body fields without a length limit:\n" + "\n".join(unbounded)


def test_every_api_query_parameter_is_bounded(spec) -> None:  # type: ignore[no-untyped-def]
    unbounded = []
    for path, method, op in _operations(spec):
        for param in op.get("parameters", []):
            if param["in"] not in ("query", "path"):
                continue
            where = f"{method} {path} ?{param['name']}"
            schema = param.get("schema", {})
            variants = schema.get("anyOf", [schema])
            for variant in (_resolve(v, spec) for v in variants):
                if variant.get("type") == "integer" and "maximum" not in variant:
                    unbounded.append(where + " (integer without maximum)")
                if variant.get("type") == "string" and not ({"maxLength", "enum", "format"} & set(variant)):
                    unbounded.append(where + " (string without maxLength)")
                if variant.get("type") == "array" and "maxItems" not in variant:
                    unbounded.append(where + " (array without maxItems)")
    assert not unbounded, "\n".join(unbounded)


def test_paging_parameters_have_a_maximum(spec) -> None:  # type: ignore[no-untyped-def]
    found = 0
    for _path, _method, op in _operations(spec):
        for param in op.get("parameters", []):
            if param["name"] in PAGING:
                found += 1
                variants = param["schema"].get("anyOf", [param["schema"]])
                assert any("maximum" in v or "maxLength" in v for v in variants), param
    assert found >= 4


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/boards/{board}/topics?limit=101",
        "/api/v1/boards/{board}/topics?limit=0",
        "/api/v1/topics/{topic}/replies?limit=100000",
        "/api/v1/topics/{topic}/replies?after=-1",
        "/api/v1/cases?limit=-1",
        "/api/v1/search?page=10001",
        "/api/v1/notifications?before=99999999999999999999999",
        "/t/{topic}?page=1000001",
        "/search?page=0",
        "/cases?cursor=" + "x" * 101,
        "/b/yishi?tag=" + "t" * 33,
        "/notifications?before=0",
    ],
)
def test_out_of_range_paging_is_a_clear_422(client, session, url) -> None:  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    topic = make_topic(session, board=board, author=make_user(session, "七号楼老张"))
    response = client.get(url.format(board=board.id, topic=topic.id))
    assert response.status_code == 422, response.text[:300]


# --- the pages' form and query parameters --------------------------------------------------------


def _params(dependant) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    for field in dependant.query_params + dependant.body_params:
        yield ("query" if field in dependant.query_params else "form"), field
    for sub in dependant.dependencies:
        yield from _params(sub)


def _is_text(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    if annotation is str:
        return True
    return any(_is_text(a) for a in args if a is not type(None))


def _has(field, kind: type) -> bool:  # type: ignore[no-untyped-def]
    return any(isinstance(m, kind) for m in field.field_info.metadata)


def _page_routes(app) -> Iterator[tuple[str, APIRoute]]:  # type: ignore[no-untyped-def]
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and not str(context.path).startswith("/api/"):
            yield str(context.name), route


def test_every_page_parameter_is_bounded(app) -> None:  # type: ignore[no-untyped-def]
    unbounded = []
    for name, route in _page_routes(app):
        for where, field in _params(route.dependant):
            annotation = field.field_info.annotation
            label = f"{name} {where} {field.name}"
            if typing.get_origin(annotation) is list or "list[" in str(annotation):
                if not _has(field, MaxLen) and "UploadFile" not in str(annotation):
                    unbounded.append(label + " (list without max_length)")
            elif _is_text(annotation) and not _has(field, MaxLen) and field.field_info.metadata == []:
                unbounded.append(label + " (text without max_length)")
            elif annotation in (int, int | None) and not (_has(field, Le) or _has(field, Lt)):
                unbounded.append(label + " (integer without maximum)")
    assert not unbounded, "\n".join(unbounded)


def _form_fields(route: APIRoute) -> list[str]:
    return [
        field.alias
        for where, field in _params(route.dependant)
        if where == "form" and _is_text(field.field_info.annotation)
    ]


def test_over_long_form_fields_are_refused_cleanly(app, session) -> None:  # type: ignore[no-untyped-def]
    """Every text field of every page form, 200,000 characters long, as the admin (who may post
    every form): a 4xx, never a 5xx, and never accepted."""
    world = build_world(session, app)
    client, _ = client_as(app, session, world.users["admin"])
    routes = {r.name: r for r in route_table(app)}
    wrong = []
    checked = 0
    for name, route in _page_routes(app):
        info = routes.get(name)
        if info is None or info.method == "GET" or name in ("accounts:logout",):
            continue
        row = TABLE.get(name)
        overrides = {k: _param_value(world, v) for k, v in row.params.items()} if row else {}
        url = fill_path(info, dict(world.params) | overrides)
        base = {k: str(v) for k, v in (_body(world, row) if row else {}).items()}
        for field in _form_fields(route):
            checked += 1
            data = base | {field: "长" * 200_000, "csrf_token": client.cookies["forum_csrf"]}
            response = client.request(info.method, url, data=data, follow_redirects=False)
            if response.status_code not in (400, 413, 422):
                wrong.append(f"{name} {field}: {response.status_code}")
    client.close()
    assert checked > 40
    assert not wrong, "over-long fields not refused:\n" + "\n".join(wrong)


# --- the request body cap -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/b/yishi/new", "/api/v1/users", "/api/v1/tokens"])
def test_a_body_over_the_cap_is_413(client, settings, path: str) -> None:  # type: ignore[no-untyped-def]
    body = b"x" * (settings.max_request_bytes + 1)
    response = client.post(path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and "过大" in response.text


def test_a_body_that_lies_about_its_length_is_still_capped(client, settings) -> None:  # type: ignore[no-untyped-def]
    """A chunked body (no Content-Length) is counted as it arrives."""

    def chunks() -> Iterator[bytes]:
        for _ in range(settings.max_request_bytes // 65536 + 2):
            yield b"y" * 65536

    response = client.post("/api/v1/users", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_bad_content_length_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/login", content=b"a=b", headers={"Content-Length": "-1"})
    assert response.status_code in (400, 413)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/users", {"username": "u" * 21, "password": "a-long-passphrase"}),
        ("/api/v1/users", {"username": "abc", "password": "p" * 257}),
        ("/api/v1/tokens", {"username": "u" * 65, "password": "x"}),
    ],
)
def test_over_long_api_fields_are_422(client, path: str, body: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    response = client.post(path, json=body)
    assert response.status_code == 422 and isinstance(response.json()["detail"], list | str)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/topics/3000000000",
        "/api/v1/boards/4611686018427387903/topics",
        "/api/v1/cases/2147483648",
        "/t/3000000000",
        "/p/3000000000/subreplies",
        "/cases/2147483648",
    ],
)
def test_ids_past_the_database_integer_range_are_404(client, url) -> None:  # type: ignore[no-untyped-def]
    """Found by schemathesis on PostgreSQL (INTEGER ends at 2**31 - 1): these were 500s."""
    assert client.get(url).status_code == 404
