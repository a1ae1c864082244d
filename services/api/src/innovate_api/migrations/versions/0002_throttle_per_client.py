"""Sign-in throttle per (account, client) and per client, with slow-down.

The old table counted failures per submitted e-mail only (anyone could lock anyone
out). Its rows are short-lived counters, so they are not carried over.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        # The submitted e-mail (also unknown ones), or '' for the client's own counter.
        sa.Column("email", sa.String(254), nullable=False),
        # The client address as worked out from the trusted proxies.
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        # Whether the latest attempt was let through (read back by the check-and-count).
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.Column("last_attempt_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("blocked_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("email", "client", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_last_attempt_at", "login_throttle", ["last_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_last_attempt_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("email", sa.String(254), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("last_failure_at", TS, nullable=False, server_default=sa.text("now()")),
    )
