"""Throwaway clusters for test harnesses and benchmarks.

    with throwaway_cluster() as cluster:
        cluster.create_database("app", "app", "pw")
        dsn = cluster.dsn("app", "app", "pw")

The cluster gets a fresh directory and a free port; on exit it is stopped and the
directory deleted, so nothing is shared and nothing is left running.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.postgres import PostgresCluster, free_port


@contextmanager
def throwaway_cluster(prefix: str = "devstack-") -> Iterator[PostgresCluster]:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    # Traversable by the postgres user when we run as root; the data dir itself is 0700.
    base.chmod(0o755)
    cluster = PostgresCluster(
        base / "data", free_port(), superuser_password=secrets.token_urlsafe(18)
    )
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)
