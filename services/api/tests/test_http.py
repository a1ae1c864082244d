"""Errors as RFC 9457 problems, request ids, operations endpoints, OpenAPI."""

from __future__ import annotations

import json
import os
import re
import uuid

import pytest
from openapi_spec_validator import validate

from conftest import PASSWORD, bearer, make_settings, migrate
from innovate_api.app import create_app
from innovate_api.extensions import services_of

PROBLEM = "application/problem+json"


def assert_problem(r, status):
    assert r.status_code == status, r.data
    assert r.mimetype == PROBLEM
    body = r.get_json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"] == "about:blank"
    return body


def test_malformed_json_is_400(client):
    r = client.post("/api/v1/auth/register", data='{"email": ', content_type="application/json")
    assert_problem(r, 400)


def test_wrong_content_type_is_415(client, user):
    r = client.post(
        "/api/v1/auth/login",
        data="email=a&password=b",
        content_type="application/x-www-form-urlencoded",
    )
    assert_problem(r, 415)
    r = client.post("/api/v1/notes", data="title", content_type="text/plain", headers=bearer(user))
    assert_problem(r, 415)


def test_body_too_large_is_413(client, user, settings):
    big = {"title": "t", "body": "x" * (settings.max_content_length + 10)}
    r = client.post(
        "/api/v1/notes", data=json.dumps(big), content_type="application/json", headers=bearer(user)
    )
    assert_problem(r, 413)


def test_unknown_route_is_404_and_wrong_method_405(client):
    assert_problem(client.get("/api/v1/nope"), 404)
    r = client.put("/api/v1/notes")
    assert_problem(r, 405)
    assert "GET" in r.headers["Allow"]


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt", "Bearer " + "a" * 5000],
)
def test_missing_or_garbage_token_is_401(client, header):
    headers = {"Authorization": header} if header is not None else {}
    r = client.get("/api/v1/me", headers=headers)
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_request_id_is_echoed_or_generated(client):
    r = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz").headers["X-Request-Id"]
    assert len(generated) == 32
    # Unsafe values are replaced, not reflected.
    r = client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    assert r.headers["X-Request-Id"] != "bad id\twith spaces"
    body = client.get("/nope", headers={"X-Request-Id": "trace-1"}).get_json()
    assert body["request_id"] == "trace-1"


def test_logs_are_json_with_request_id_and_no_secrets(client, log_records):
    email, password = "logs@example.com", "very secret password 123"
    client.post("/api/v1/auth/register", json={"email": email, "password": password})
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}
    ).get_json()["access_token"]
    client.post("/api/v1/auth/login", json={"email": email, "password": "wrong " + password})
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}", "X-Request-Id": "req-42"})
    client.post("/api/v1/notes", json={"title": "t"}, headers={"Authorization": f"Bearer {token}"})
    client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert log_records
    parsed = [json.loads(line) for line in log_records]
    assert any(p.get("request_id") == "req-42" and p["msg"] == "request" for p in parsed)
    text = "\n".join(log_records)
    for secret in (password, token, token.split(".")[2], "argon2"):
        assert secret not in text


def test_healthz_and_version(client, dsn):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    app = create_app(make_settings(dsn, deployment_color="green", git_sha="abc1234"))
    body = app.test_client().get("/api/v1/version").get_json()
    assert body["color"] == "green"
    assert body["git_sha"] == "abc1234"
    assert body["version"]


def test_readyz_ok_at_head(client):
    assert client.get("/readyz").status_code == 200


def test_readyz_503_when_schema_not_migrated(new_database):
    app = create_app(make_settings(new_database("innovate_unmigrated")))
    try:
        r = app.test_client().get("/readyz")
        body = assert_problem(r, 503)
        assert "schema" in body["detail"]
    finally:
        services_of(app).db.close()


def test_readyz_503_when_schema_behind_the_code(new_database):
    url = new_database("innovate_behind")
    migrate(url, "0001")
    app = create_app(make_settings(url))
    try:
        body = assert_problem(app.test_client().get("/readyz"), 503)
        assert "expected" in body["detail"]
    finally:
        services_of(app).db.close()


def test_readyz_ready_when_a_newer_release_migrated_ahead(new_database):
    """Blue/green: the next release's migration Job runs before promotion; the live
    pods (older code) must stay in the target group."""
    import psycopg

    url = new_database("innovate_ahead")
    migrate(url)
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed0003'")
    app = create_app(make_settings(url))
    try:
        r = app.test_client().get("/readyz")
        assert r.status_code == 200, r.get_data(as_text=True)
    finally:
        services_of(app).db.close()


def test_readyz_503_when_database_unreachable(pg):
    from devstack import free_port

    url = f"postgresql://nobody:pw@127.0.0.1:{free_port()}/none"
    app = create_app(make_settings(url, database_pool_timeout=1, database_connect_timeout=1))
    try:
        assert_problem(app.test_client().get("/readyz"), 503)
        assert app.test_client().get("/healthz").status_code == 200  # liveness unaffected
        token = services_of(app).tokens.issue(uuid.uuid4())
        r = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem(r, 503)
        assert r.headers["Retry-After"] == "1"  # the breaker probes again within a second
    finally:
        services_of(app).db.close()


def test_metrics_count_requests_by_route_and_status(client, user):
    client.get(f"/api/v1/notes/{uuid.uuid4()}", headers=bearer(user))
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'http_request_duration_seconds_count{method="GET",route="/api/v1/notes/<uuid:note_id>",status="404"}'
        in text
    )
    assert "http_request_duration_seconds_bucket" in text
    assert 'db_pool_connections{state="size"}' in text


def test_openapi_document_is_valid_and_complete(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    validate(spec)
    paths = spec["paths"]
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/notes",
        "/api/v1/notes/{note_id}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/version",
    ]:
        assert path in paths, path
    login = paths["/api/v1/auth/login"]["post"]["responses"]
    assert PROBLEM in login["422"]["content"]
    assert paths["/api/v1/notes"]["get"]["security"] == [{"BearerAuth": []}]


def test_no_5xx_for_odd_but_valid_json(client, user):
    for payload in ([], "string", 1, None, {"title": {"nested": 1}}):
        r = client.post(
            "/api/v1/notes",
            data=json.dumps(payload),
            content_type="application/json",
            headers=bearer(user),
        )
        assert r.status_code in (400, 422), (payload, r.status_code)


def test_login_with_non_object_json(client):
    r = client.post("/api/v1/auth/login", data="[1,2]", content_type="application/json")
    assert r.status_code in (400, 422)
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "a@b.co", "password": PASSWORD}
        ).status_code
        == 401
    )


def test_access_line_matches_the_json_log_format(client, log_records):
    import logging

    from innovate_api.logs import JsonFormatter, access_log

    client.get('/api/v1/no"pe/\u00e9', headers={"X-Request-Id": "acc-1"})
    (line,) = [p for p in map(json.loads, log_records) if p.get("request_id") == "acc-1"]
    assert line["msg"] == "request"
    assert line["status"] == 404
    assert line["path"].startswith('/api/v1/no"pe/')
    assert {"method", "route", "duration_ms", "remote_addr"} <= line.keys()
    # Field for field what JsonFormatter writes for logger.info("request", extra=...).
    fields = {k: line[k] for k in line.keys() - {"ts", "level", "logger", "msg"}}
    record = logging.makeLogRecord(
        {"name": access_log.name, "levelno": logging.INFO, "levelname": "INFO", "msg": "request"}
    )
    record.__dict__.update(fields)
    expected = json.loads(JsonFormatter().format(record))
    assert {k: v for k, v in line.items() if k != "ts"} == {
        k: v for k, v in expected.items() if k != "ts"
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"])


def test_access_log_follows_log_level(client, log_records):
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    client.get("/healthz", headers={"X-Request-Id": "quiet-1"})
    assert not [line for line in log_records if "quiet-1" in line]


def test_generated_request_ids_are_unique_across_forked_workers():
    from innovate_api.observability import _ids

    parent = _ids.new()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what a new gunicorn worker would generate first
        os.write(write_end, _ids.new().encode())
        os._exit(0)
    os.close(write_end)
    child = os.read(read_end, 64).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    assert len(child) == len(parent) == 32
    assert child[:20] != parent[:20]  # re-seeded in the child, without a getpid per request


def test_views_carry_no_per_request_ensure_sync_wrapper(app):
    # deps.sync_view relies on apiflask's marker: if apiflask stops honouring it, every
    # request pays a current_app.ensure_sync call again, and this says so.
    for endpoint in ("notes.get_note", "notes.list_notes", "notes.create_note", "auth.login"):
        view = app.view_functions[endpoint]
        chain = []
        while view is not None:
            chain.append(view.__code__.co_qualname)  # wraps() copies __qualname__
            view = getattr(view, "__wrapped__", None)
        assert not [name for name in chain if name.startswith("_ensure_sync")], (endpoint, chain)
