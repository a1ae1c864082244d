"""The application's own database role: created or brought back to exactly what it needs.

Run as the RDS master user (``flask db-bootstrap-role``, before the migrations) with the
app secret's credentials. The role may log in (SCRAM; the password is sent as a
verifier, never in plain text, so it cannot land in a slow-statement log), connect to
the database, use the schema and read and write its tables and sequences, including
tables the migrations create later (default privileges of the migrating role). It gets
nothing else: no superuser, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, no
membership in any role (any found is revoked), no CREATE on the schema.

Idempotent: every run converges the role to this state and sets the password of the
secret's current version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

# CREATE ROLE may state every attribute; ALTER ROLE may not name SUPERUSER, REPLICATION
# or BYPASSRLS unless run by a superuser (which the RDS master is not): an existing role
# with any of them is refused instead (a master cannot have granted them).
CREATE_ATTRIBUTES = sql.SQL(
    "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
)
ALTER_ATTRIBUTES = sql.SQL("LOGIN NOCREATEDB NOCREATEROLE INHERIT")
TABLE_PRIVILEGES = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
SEQUENCE_PRIVILEGES = sql.SQL("USAGE, SELECT")


@dataclass
class BootstrapResult:
    role: str
    created: bool
    revoked_memberships: list[str] = field(default_factory=list)


def _scram_verifier(conn: psycopg.Connection[Any], role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier libpq computes client-side (PQencryptPasswordConn)."""
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    return verifier.decode()


def bootstrap_app_role(
    conn: psycopg.Connection[Any], *, role: str, password: str, schema: str = "public"
) -> BootstrapResult:
    """Create or update ``role`` in one transaction; ``conn`` is the master's connection
    to the application database."""
    if not role or not password:
        raise ValueError("the app secret must contain a username and a password")
    ident = sql.Identifier(role)
    schema_ident = sql.Identifier(schema)
    with conn.transaction():
        row = conn.execute("SELECT current_user, current_database()").fetchone()
        if row is None:  # pragma: no cover - a SELECT always returns one row
            raise RuntimeError("could not read the current user")
        grantor, database = str(row[0]), str(row[1])
        if role == grantor:
            raise ValueError(f"refusing to manage the connected role {role!r} itself")
        if (
            conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
            is None
        ):
            raise ValueError(f"schema {schema!r} does not exist in database {database!r}")
        verifier = sql.Literal(_scram_verifier(conn, role, password))
        powers = conn.execute(
            "SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = %s",
            (role,),
        ).fetchone()
        exists = powers is not None
        if powers is not None and any(powers):
            raise ValueError(
                f"role {role!r} has SUPERUSER, REPLICATION or BYPASSRLS; only a superuser can "
                "remove them (on RDS nobody can grant them: investigate how it happened)"
            )
        verb, attributes = (
            (sql.SQL("ALTER ROLE"), ALTER_ATTRIBUTES)
            if exists
            else (sql.SQL("CREATE ROLE"), CREATE_ATTRIBUTES)
        )
        conn.execute(sql.SQL("{} {} WITH {} PASSWORD {}").format(verb, ident, attributes, verifier))
        memberships = [
            str(name)
            for (name,) in conn.execute(
                "SELECT g.rolname FROM pg_auth_members m "
                "JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member "
                "WHERE u.rolname = %s ORDER BY g.rolname",
                (role,),
            )
        ]
        for granted in memberships:
            conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted), ident))
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_ident, ident),
            sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(schema_ident, ident),
            sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(
                TABLE_PRIVILEGES, schema_ident, ident
            ),
            sql.SQL("GRANT {} ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                SEQUENCE_PRIVILEGES, schema_ident, ident
            ),
            # Tables and sequences the migrations (run as this same grantor) create later.
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON TABLES TO {}"
            ).format(sql.Identifier(grantor), schema_ident, TABLE_PRIVILEGES, ident),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON SEQUENCES TO {}"
            ).format(sql.Identifier(grantor), schema_ident, SEQUENCE_PRIVILEGES, ident),
        ]
        for statement in statements:
            conn.execute(statement)
    return BootstrapResult(role=role, created=not exists, revoked_memberships=memberships)
