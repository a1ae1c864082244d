"""devstack: the project's local PostgreSQL (TLS, SCRAM over TCP) for dev, tests and benchmarks.

See :mod:`devstack.postgres` for the API and :mod:`devstack.__main__` for the CLI.
"""

from devstack.local import LocalPostgres
from devstack.postgres import (
    DevstackError,
    PortInUse,
    PostgresCluster,
    PostgresNotFound,
    find_pg_bin,
    free_port,
    port_in_use,
)

__all__ = [
    "DevstackError",
    "LocalPostgres",
    "PortInUse",
    "PostgresCluster",
    "PostgresNotFound",
    "find_pg_bin",
    "free_port",
    "port_in_use",
]
