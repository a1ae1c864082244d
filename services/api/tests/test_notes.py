"""Notes: CRUD, pagination, ownership (IDOR), soft delete and purge."""

from __future__ import annotations

import uuid

import pytest

from conftest import bearer
from innovate_api.cli import purge_deleted
from innovate_api.extensions import services_of

NOTES = "/api/v1/notes"


def create(client, user, title="t", body="b"):
    r = client.post(NOTES, json={"title": title, "body": body}, headers=bearer(user))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_create_read_update_delete(client, user):
    note = create(client, user, "first", "hello")
    assert set(note) == {"id", "title", "body", "created_at", "updated_at"}
    got = client.get(f"{NOTES}/{note['id']}", headers=bearer(user))
    assert got.status_code == 200
    assert got.get_json() == note

    r = client.patch(f"{NOTES}/{note['id']}", json={"body": "changed"}, headers=bearer(user))
    assert r.status_code == 200
    assert r.get_json()["title"] == "first"
    assert r.get_json()["body"] == "changed"
    assert r.get_json()["updated_at"] >= note["updated_at"]

    assert client.delete(f"{NOTES}/{note['id']}", headers=bearer(user)).status_code == 204
    assert client.get(f"{NOTES}/{note['id']}", headers=bearer(user)).status_code == 404
    assert client.delete(f"{NOTES}/{note['id']}", headers=bearer(user)).status_code == 404


def test_body_defaults_to_empty(client, user):
    r = client.post(NOTES, json={"title": "only title"}, headers=bearer(user))
    assert r.status_code == 201
    assert r.get_json()["body"] == ""


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "no title"}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "body": "x" * 10001}, "body"),
        ({"title": 5}, "title"),
        ({"title": "ok", "owner_id": str(uuid.uuid4())}, "owner_id"),
        ({"title": "nul \x00 byte"}, "title"),
    ],
)
def test_create_validation(client, user, payload, field):
    r = client.post(NOTES, json=payload, headers=bearer(user))
    assert r.status_code == 422
    assert field in [e["field"] for e in r.get_json()["errors"]]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"title": ""}, "String should have at least 1 character"),
        ({"title": "x" * 201}, "String should have at most 200 characters"),
        ({"title": "ok", "body": "x" * 10001}, "String should have at most 10000 characters"),
    ],
)
def test_length_errors_say_characters(client, user, payload, message):
    r = client.post(NOTES, json=payload, headers=bearer(user))
    assert r.status_code == 422
    assert [e["message"] for e in r.get_json()["errors"]] == [message]


@pytest.mark.parametrize("payload", [{}, {"title": None}, {"title": None, "body": "x"}, {"x": 1}])
def test_patch_needs_a_real_field(client, user, payload):
    note = create(client, user)
    r = client.patch(f"{NOTES}/{note['id']}", json=payload, headers=bearer(user))
    assert r.status_code == 422
    assert client.get(f"{NOTES}/{note['id']}", headers=bearer(user)).get_json() == note


def test_pagination_walks_every_note_once_newest_first(client, user):
    ids = [create(client, user, f"n{i}")["id"] for i in range(23)]
    seen, cursor, pages = [], None, 0
    while True:
        q = f"{NOTES}?limit=10" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(q, headers=bearer(user))
        assert r.status_code == 200
        page = r.get_json()
        seen += [n["id"] for n in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(ids))


def test_default_page_size_and_limits(client, user):
    for i in range(21):
        create(client, user, f"n{i}")
    page = client.get(NOTES, headers=bearer(user)).get_json()
    assert len(page["items"]) == 20
    assert page["next_cursor"]
    for bad in ("0", "101", "abc", "-1"):
        r = client.get(f"{NOTES}?limit={bad}", headers=bearer(user))
        assert r.status_code == 422
        assert r.get_json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize("cursor", ["garbage", "Zm9vYmFy", "' OR 1=1 --", "a" * 300])
def test_bad_cursor_is_422_naming_cursor(client, user, cursor):
    r = client.get(NOTES, query_string={"cursor": cursor}, headers=bearer(user))
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["errors"]] == ["cursor"]


def test_a_user_can_never_touch_another_users_note(client, make_user, db):
    alice, mallory = make_user(), make_user()
    note = create(client, alice, "secret", "alice only")
    url = f"{NOTES}/{note['id']}"
    assert client.get(url, headers=bearer(mallory)).status_code == 404
    assert client.patch(url, json={"title": "pwned"}, headers=bearer(mallory)).status_code == 404
    assert client.delete(url, headers=bearer(mallory)).status_code == 404
    assert client.get(NOTES, headers=bearer(mallory)).get_json()["items"] == []
    # Alice's cursor does not expose her notes to Mallory either.
    create(client, alice, "second")
    cursor = client.get(f"{NOTES}?limit=1", headers=bearer(alice)).get_json()["next_cursor"]
    assert client.get(f"{NOTES}?cursor={cursor}", headers=bearer(mallory)).get_json()["items"] == []
    assert client.get(url, headers=bearer(alice)).get_json() == note
    assert db.execute("SELECT deleted_at FROM notes WHERE id = %s", (note["id"],)).fetchone() == (
        None,
    )


def test_unknown_and_malformed_ids_are_404(client, user):
    assert client.get(f"{NOTES}/{uuid.uuid4()}", headers=bearer(user)).status_code == 404
    assert client.get(f"{NOTES}/not-a-uuid", headers=bearer(user)).status_code == 404


def test_soft_delete_keeps_row_until_purge(client, user, app, db):
    keep = create(client, user, "keep")
    old = create(client, user, "old")
    recent = create(client, user, "recent")
    for n in (old, recent):
        client.delete(f"{NOTES}/{n['id']}", headers=bearer(user))
    db.execute(
        "UPDATE notes SET deleted_at = now() - interval '40 days' WHERE id = %s", (old["id"],)
    )
    assert db.execute("SELECT count(*) FROM notes").fetchone() == (3,)

    result = app.test_cli_runner().invoke(purge_deleted)
    assert result.exit_code == 0, result.output
    assert "purged 1 notes" in result.output
    remaining = {r[0] for r in db.execute("SELECT id::text FROM notes").fetchall()}
    assert remaining == {keep["id"], recent["id"]}


def test_purge_removes_expired_revocations(client, user, app, db):
    client.post("/api/v1/auth/logout", headers=bearer(user))
    db.execute("UPDATE revoked_tokens SET expires_at = now() - interval '1 minute'")
    result = app.test_cli_runner().invoke(purge_deleted, ["--retention-days", "0"])
    assert result.exit_code == 0, result.output
    assert db.execute("SELECT count(*) FROM revoked_tokens").fetchone() == (0,)


def test_revoked_token_writes_nothing_and_gets_401_not_404(client, user, make_user, db):
    other = create(client, make_user(email="other-rev@example.com"), "theirs")
    mine = create(client, user, "mine")
    client.post("/api/v1/auth/logout", headers=bearer(user))
    for note_id in (mine["id"], other["id"], str(uuid.uuid4())):
        patch = client.patch(f"{NOTES}/{note_id}", json={"title": "x"}, headers=bearer(user))
        assert patch.status_code == 401
        assert client.delete(f"{NOTES}/{note_id}", headers=bearer(user)).status_code == 401
    assert client.post(NOTES, json={"title": "x"}, headers=bearer(user)).status_code == 401
    rows = db.execute("SELECT title, deleted_at FROM notes ORDER BY title").fetchall()
    assert rows == [("mine", None), ("theirs", None)]


def test_a_write_without_the_revocation_guard_cannot_be_built():
    from innovate_api.repositories.notes import Note
    from innovate_api.repositories.revocations import GuardedRead, GuardedWrite

    with pytest.raises(ValueError, match="not_revoked"):
        GuardedWrite.of("UPDATE notes SET title = %(title)s RETURNING id", Note)
    with pytest.raises(ValueError, match="SELECT"):
        GuardedRead.of("DELETE FROM notes RETURNING id", Note)


def test_rows_map_by_column_name_not_position(app, user, db):
    from innovate_api.repositories import notes
    from innovate_api.repositories.rows import record
    from innovate_api.repositories.users import User

    with services_of(app).db.connection() as conn:
        # Columns in another order still land in the right fields.
        found = (
            conn.cursor(row_factory=record(User))
            .execute("SELECT created_at, email, id FROM users WHERE email = %s", (user["email"],))
            .fetchone()
        )
        assert found is not None
        assert found.email == user["email"]
        with pytest.raises(TypeError, match="do not map"):
            conn.cursor(row_factory=record(notes.Note)).execute("SELECT 1 AS id").fetchone()
