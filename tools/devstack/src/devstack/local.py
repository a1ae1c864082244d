"""The long-lived local cluster behind ``make up`` (state kept between runs).

``LocalPostgres(state_dir, port=None)`` keeps ``<state_dir>/devstack.json`` (0600) with
generated passwords and the port, and the cluster in ``<state_dir>/data``::

    local = LocalPostgres(Path(".local/postgres"), port=25432)
    local.up()            # init once, start if needed, ensure role + database
    local.app_dsn()       # sslmode=verify-full against the cluster's certificate
    local.down()          # stop, keep data
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from devstack.postgres import PostgresCluster

# Below Linux's ephemeral range (32768-60999), so client connections never hold it.
DEFAULT_PORT = 25432


class LocalPostgres:
    def __init__(
        self,
        state_dir: Path,
        port: int | None = None,
        database: str = "innovate",
        user: str = "innovate",
    ) -> None:
        self.state_dir = Path(state_dir).absolute()
        self.state_file = self.state_dir / "devstack.json"
        self._port = port
        self._database = database
        self._user = user
        self._state: dict[str, Any] | None = None

    def exists(self) -> bool:
        return self.state_file.exists()

    @property
    def state(self) -> dict[str, Any]:
        if self._state is None:
            state: dict[str, Any] = {}
            if self.state_file.exists():
                state = json.loads(self.state_file.read_text())
            before = dict(state)
            state.setdefault("superuser_password", secrets.token_urlsafe(24))
            state.setdefault("app_password", secrets.token_urlsafe(24))
            state.setdefault("database", self._database)
            state.setdefault("user", self._user)
            if self._port is not None:
                state["port"] = self._port
            state.setdefault("port", DEFAULT_PORT)
            if state != before:
                self.state_dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as fh:
                    json.dump(state, fh, indent=2)
            self._state = state
        return self._state

    @property
    def cluster(self) -> PostgresCluster:
        return PostgresCluster(
            self.state_dir / "data",
            int(self.state["port"]),
            superuser_password=str(self.state["superuser_password"]),
        )

    def up(self) -> bool:
        """Ensure the cluster runs with the app role and database; True if it was started."""
        cluster = self.cluster
        was_running = cluster.is_running()
        cluster.init()
        cluster.start()
        cluster.create_database(
            str(self.state["database"]), str(self.state["user"]), str(self.state["app_password"])
        )
        return not was_running

    def down(self) -> bool:
        """Stop the server (data kept); True if it was running."""
        cluster = self.cluster
        if not cluster.is_running():
            return False
        cluster.stop()
        return True

    def app_dsn(self) -> str:
        cluster = self.cluster
        return cluster.dsn(
            str(self.state["database"]),
            str(self.state["user"]),
            str(self.state["app_password"]),
            sslmode="verify-full",
            sslrootcert=cluster.ca_file,
        )
