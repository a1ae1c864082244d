"""A project-local PostgreSQL cluster with TLS and password auth over TCP.

Public API (stable; used by ``make up``, the API test harness and the benchmark)::

    from devstack.postgres import PostgresCluster, free_port, find_pg_bin

    cluster = PostgresCluster(Path(".local/postgres/data"), free_port(),
                              superuser_password="s3cret")
    cluster.init()          # initdb + self-signed TLS certificate, only once
    cluster.start()         # no-op if already running; PortInUse if the port is taken
    cluster.create_database("app", owner="app", password="app-pw")   # idempotent
    dsn = cluster.dsn("app", "app", "app-pw")                        # sslmode=require
    dsn = cluster.dsn("app", "app", "app-pw", sslmode="verify-full",
                      sslrootcert=cluster.ca_file)
    cluster.is_running()
    cluster.stop()          # fast shutdown, data is kept
    cluster.destroy()       # stop and delete the data directory (test harnesses)

What the cluster looks like:

* ``listen_addresses = '127.0.0.1'`` only; Unix-domain sockets are disabled, so every
  connection is TCP and goes through ``pg_hba.conf``.
* ``ssl = on`` with a self-signed certificate (CN/SAN ``localhost`` and ``127.0.0.1``)
  generated once at ``init()`` and kept in the data directory; ``ca_file`` points at
  it so clients can use ``sslmode=verify-full``.
* ``pg_hba.conf`` has only ``hostssl ... scram-sha-256`` lines: no plain ``host``
  lines, no ``trust``.
* The port is written at every ``start()``, so one data directory can be started on a
  different port later.

When running as root (CI, containers) PostgreSQL refuses to start, so the server
binaries run as the ``postgres`` system user (``runuser``) and the data directory is
owned by it; every ancestor directory must be traversable by that user.

Server binaries are looked up on ``PATH`` and then under ``/usr/lib/postgresql/*/bin``
(highest version first); ``PostgresNotFound`` carries install instructions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "DevstackError",
    "PortInUse",
    "PostgresCluster",
    "PostgresNotFound",
    "find_pg_bin",
    "free_port",
    "port_in_use",
]

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH "
    "or under /usr/lib/postgresql/*/bin.\n"
    "Install them:\n"
    "  Debian/Ubuntu: sudo apt-get install -y postgresql   "
    "(binaries land in /usr/lib/postgresql/<version>/bin)\n"
    "  macOS (Homebrew): brew install postgresql@15 && "
    'export PATH="$(brew --prefix postgresql@15)/bin:$PATH"'
)

HOST = "127.0.0.1"
_CONF_INCLUDE = "devstack.conf"


class DevstackError(RuntimeError):
    """Any failure of the local stack, with a message meant for a person."""


class PostgresNotFound(DevstackError):
    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


class PortInUse(DevstackError):
    def __init__(self, port: int, what: str = "PostgreSQL") -> None:
        self.port = port
        super().__init__(
            f"port {port} on {HOST} is already in use; cannot start {what} there. "
            f"Stop whatever listens on {port} or choose another port."
        )


def find_pg_bin(path: str | None = None, debian_root: Path = Path("/usr/lib/postgresql")) -> Path:
    """Directory holding initdb/pg_ctl/postgres: PATH first, then Debian's layout."""
    on_path = shutil.which("pg_ctl", path=path)
    if on_path and shutil.which("initdb", path=path):
        return Path(on_path).resolve().parent
    candidates = []
    for bin_dir in debian_root.glob("*/bin"):
        if (bin_dir / "pg_ctl").exists() and (bin_dir / "initdb").exists():
            try:
                candidates.append((int(bin_dir.parent.name), bin_dir))
            except ValueError:
                continue
    if not candidates:
        raise PostgresNotFound()
    return max(candidates)[1]


def port_in_use(port: int, host: str = HOST) -> bool:
    """True when a server could not listen on ``host:port`` right now.

    Tries to bind (as PostgreSQL and gunicorn will, with SO_REUSEADDR) rather than to
    connect: a port can be taken without anything accepting on it, e.g. as the local
    end of a client connection.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
        return False


def free_port(host: str = HOST) -> int:
    """A TCP port that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _run_as_postgres_user() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class PostgresCluster:
    """One PostgreSQL cluster in ``data_dir``, listening on ``127.0.0.1:port`` with TLS."""

    superuser = "postgres"

    def __init__(self, data_dir: Path, port: int, *, superuser_password: str) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.superuser_password = superuser_password
        self._bin: Path | None = None

    # -- paths -------------------------------------------------------------------------
    @property
    def bin_dir(self) -> Path:
        if self._bin is None:
            self._bin = find_pg_bin()
        return self._bin

    @property
    def ca_file(self) -> Path:
        """The self-signed server certificate, usable as ``sslrootcert``."""
        return self.data_dir / "server.crt"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    # -- process helpers ---------------------------------------------------------------
    def _cmd(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / tool), *args]
        if _run_as_postgres_user():
            runuser = shutil.which("runuser")
            if runuser is None:
                raise DevstackError("running as root needs `runuser` (util-linux)")
            return [runuser, "-u", "postgres", "--", *cmd]
        return cmd

    def _run(self, tool: str, *args: str, stdin: str | None = None) -> str:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            self._cmd(tool, *args),
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise DevstackError(
                f"{tool} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}".rstrip()
            )
        return proc.stdout

    def _chown(self, path: Path) -> None:
        if _run_as_postgres_user():
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise DevstackError(
                    "running as root: PostgreSQL refuses to run as root and there is no "
                    "`postgres` system user to run it as (create one, or run as a normal user)"
                ) from exc
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- lifecycle ---------------------------------------------------------------------
    def init(self) -> None:
        """Create the cluster and its TLS certificate; does nothing if it exists."""
        if self.is_initialized():
            return
        self.bin_dir  # noqa: B018 - fail early with the install hint
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self._chown(self.data_dir)
        # Superuser password through a private temporary file (never in argv); the
        # file must be readable by the user initdb runs as, so stdin is no option.
        fd, pwfile = tempfile.mkstemp(prefix="devstack-pw-")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(self.superuser_password + "\n")
            self._chown(Path(pwfile))
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                self.superuser,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
            )
        finally:
            os.unlink(pwfile)
        self._write_certificate()
        (self.data_dir / "pg_hba.conf").write_text(
            "# devstack: TLS + SCRAM over TCP only; Unix sockets are disabled.\n"
            "# TYPE   DATABASE  USER  ADDRESS       METHOD\n"
            "hostssl  all       all   127.0.0.1/32  scram-sha-256\n"
        )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# devstack settings\n"
                f"listen_addresses = '{HOST}'\n"
                "unix_socket_directories = ''\n"
                "ssl = on\n"
                "ssl_cert_file = 'server.crt'\n"
                "ssl_key_file = 'server.key'\n"
                "ssl_min_protocol_version = 'TLSv1.2'\n"
                "password_encryption = 'scram-sha-256'\n"
                "max_connections = 200\n"
                "fsync = on\n"
                f"include_if_exists = '{_CONF_INCLUDE}'\n"
            )
        for name in ("pg_hba.conf", "postgresql.conf"):
            self._chown(self.data_dir / name)

    def _write_certificate(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
                ),
                critical=False,
            )
            # Self-signed and used as its own trust anchor for verify-full.
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        key_path = self.data_dir / "server.key"
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        self.ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.ca_file.chmod(0o644)
        self._chown(key_path)
        self._chown(self.ca_file)

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            self._cmd("pg_ctl", "status", "-D", str(self.data_dir)),
            capture_output=True,
            check=False,
        )
        return proc.returncode == 0

    def start(self, timeout: int = 60) -> None:
        """Start the server in the background; harmless if it is already running."""
        if not self.is_initialized():
            raise DevstackError(f"no cluster in {self.data_dir}; call init() first")
        if self.is_running():
            return
        if port_in_use(self.port):
            raise PortInUse(self.port)
        include = self.data_dir / _CONF_INCLUDE
        include.write_text(f"port = {int(self.port)}\n")
        self._chown(include)
        try:
            self._run(
                "pg_ctl",
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(timeout),
            )
        except DevstackError as exc:
            tail = ""
            with contextlib.suppress(OSError):
                tail = "\n".join(self.log_file.read_text().splitlines()[-15:])
            raise DevstackError(f"{exc}\n--- {self.log_file} (tail) ---\n{tail}") from exc
        self._wait_accepting(timeout)

    def _wait_accepting(self, timeout: int) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                if sock.connect_ex((HOST, self.port)) == 0:
                    return
            time.sleep(0.1)
        raise DevstackError(f"PostgreSQL did not accept connections on {HOST}:{self.port}")

    def stop(self, timeout: int = 60) -> None:
        """Fast shutdown (rolls back open transactions); the data is kept."""
        if not self.is_running():
            return
        self._run(
            "pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", str(timeout)
        )

    def destroy(self) -> None:
        """Stop the server and delete the data directory (for throwaway clusters)."""
        with contextlib.suppress(DevstackError):
            self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------
    def dsn(
        self,
        dbname: str,
        user: str,
        password: str,
        sslmode: str = "require",
        sslrootcert: Path | None = None,
    ) -> str:
        """A libpq URI for ``user`` on ``dbname`` over TLS."""
        uri = (
            f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}"
            f"@{HOST}:{self.port}/{quote(dbname, safe='')}?sslmode={sslmode}"
        )
        if sslrootcert is not None:
            uri += f"&sslrootcert={quote(str(sslrootcert))}"
        return uri

    def superuser_dsn(self, dbname: str = "postgres") -> str:
        return self.dsn(dbname, self.superuser, self.superuser_password)

    def create_database(self, name: str, owner: str, password: str) -> None:
        """Create (or update the password of) role ``owner`` and database ``name``."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.superuser_dsn(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone()
            verb = sql.SQL("ALTER" if exists else "CREATE")
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN PASSWORD {}").format(
                    verb, sql.Identifier(owner), sql.Literal(password)
                )
            )
            has_db = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not has_db:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(name), sql.Identifier(owner)
                    )
                )

    def drop_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.superuser_dsn(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def set_password(self, role: str, password: str) -> None:
        """Change a role's password (used to test credential rotation)."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.superuser_dsn(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
