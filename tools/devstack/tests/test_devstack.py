"""devstack against real PostgreSQL server binaries."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from devstack import (
    LocalPostgres,
    PortInUse,
    PostgresCluster,
    PostgresNotFound,
    find_pg_bin,
    free_port,
)
from devstack.testing import throwaway_cluster


@pytest.fixture(scope="module")
def cluster():
    with throwaway_cluster() as c:
        c.create_database("app", "app", "app-pw")
        yield c


def test_finds_server_binaries():
    assert (find_pg_bin() / "pg_ctl").exists()


def test_debian_layout_prefers_highest_version(tmp_path: Path):
    for version in ("13", "16", "9"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        for tool in ("pg_ctl", "initdb"):
            (bin_dir / tool).write_text("")
    assert (
        find_pg_bin(path=str(tmp_path / "empty"), debian_root=tmp_path) == tmp_path / "16" / "bin"
    )


def test_missing_binaries_fail_with_install_instructions(tmp_path: Path):
    with pytest.raises(PostgresNotFound) as info:
        find_pg_bin(path=str(tmp_path), debian_root=tmp_path)
    message = str(info.value)
    assert "apt-get install" in message
    assert "brew install" in message


def test_tls_and_scram_only(cluster: PostgresCluster):
    with psycopg.connect(cluster.dsn("app", "app", "app-pw")) as conn:
        ssl = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        assert ssl == (True,)
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
    with pytest.raises(psycopg.OperationalError, match=r"no pg_hba\.conf entry"):
        psycopg.connect(cluster.dsn("app", "app", "app-pw", sslmode="disable"))
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(cluster.dsn("app", "app", "wrong"))
    hba = [
        line.split()
        for line in (cluster.data_dir / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert hba == [["hostssl", "all", "all", "127.0.0.1/32", "scram-sha-256"]]


def test_verify_full_against_own_certificate(cluster: PostgresCluster):
    dsn = cluster.dsn("app", "app", "app-pw", sslmode="verify-full", sslrootcert=cluster.ca_file)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_create_database_is_idempotent_and_updates_password(cluster: PostgresCluster):
    cluster.create_database("app", "app", "new-pw")
    with psycopg.connect(cluster.dsn("app", "app", "new-pw")) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("app",)
    cluster.create_database("app", "app", "app-pw")


def test_start_on_busy_port_names_the_port(tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        c = PostgresCluster(tmp_path / "never", port, superuser_password="x" * 20)
        (tmp_path / "never").mkdir()
        (tmp_path / "never" / "PG_VERSION").write_text("15\n")  # looks initialised
        with pytest.raises(PortInUse, match=str(port)):
            c.start()


def test_local_stack_keeps_data_across_restart():
    base = Path(tempfile.mkdtemp(prefix="devstack-local-"))
    base.chmod(0o755)
    local = LocalPostgres(base / "pg", port=free_port())
    try:
        assert local.up() is True
        assert local.up() is False  # a second `up` is harmless
        with psycopg.connect(local.app_dsn()) as conn:
            conn.execute("CREATE TABLE keep (v text)")
            conn.execute("INSERT INTO keep VALUES ('survives')")
        assert local.down() is True
        assert local.down() is False
        status = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "devstack", "status", "--dir", str(base / "pg")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert status.returncode == 3, status.stdout
        local.up()
        with psycopg.connect(local.app_dsn()) as conn:
            assert conn.execute("SELECT v FROM keep").fetchall() == [("survives",)]
        assert (base / "pg" / "devstack.json").stat().st_mode & 0o077 == 0
    finally:
        local.cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)
