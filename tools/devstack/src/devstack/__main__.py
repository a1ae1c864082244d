"""``python -m devstack {up,down,status,dsn}``: the local PostgreSQL of ``make up``.

State lives in ``--dir`` (default ``.local/postgres``), see :mod:`devstack.local`.
``up`` initialises the cluster on first use, starts it (harmless when already running)
and makes sure the application role and database exist. ``dsn`` prints the application
connection string (``sslmode=verify-full`` against the cluster's own certificate).
``down`` stops the server and keeps the data. ``status`` exits 0 when running, 3 when not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devstack.local import DEFAULT_PORT, LocalPostgres
from devstack.postgres import DevstackError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description="local PostgreSQL with TLS")
    parser.add_argument("command", choices=["up", "down", "status", "dsn"])
    parser.add_argument("--dir", type=Path, default=Path(".local/postgres"))
    parser.add_argument("--port", type=int, default=None, help=f"default {DEFAULT_PORT}")
    parser.add_argument("--database", default="innovate")
    parser.add_argument("--user", default="innovate")
    args = parser.parse_args(argv)
    local = LocalPostgres(args.dir, args.port, args.database, args.user)
    try:
        if args.command != "up" and not local.exists():
            print("devstack: no local cluster yet (run `make up`)", file=sys.stderr)
            return 0 if args.command == "down" else 3
        if args.command == "up":
            started = local.up()
            verb = "started" if started else "already running"
            cluster = local.cluster
            where = f"127.0.0.1:{cluster.port} (TLS, data in {cluster.data_dir})"
            print(f"devstack: PostgreSQL {verb} on {where}")
        elif args.command == "down":
            stopped = local.down()
            print(
                "devstack: PostgreSQL " + ("stopped (data kept)" if stopped else "was not running")
            )
        elif args.command == "status":
            running = local.cluster.is_running()
            state = "running" if running else "stopped"
            print(f"devstack: PostgreSQL {state} on 127.0.0.1:{local.cluster.port}")
            return 0 if running else 3
        else:
            print(local.app_dsn())
    except DevstackError as exc:
        print(f"devstack: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
