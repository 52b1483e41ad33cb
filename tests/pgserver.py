"""A PostgreSQL server for the test session, so the PostgreSQL-parametrised tests can run anywhere.

tests/conftest.py calls acquire() once per session, then create_database()/drop_database()
for the databases it needs. In order, acquire() uses TEST_DATABASE_URL, a local server on
127.0.0.1:5432, or a throwaway cluster started with initdb/pg_ctl in a temporary directory.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

ENV_VAR = "TEST_DATABASE_URL"
# The server a developer machine or the CI image usually has running (trust auth).
PROBE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DRIVER = "postgresql+psycopg"
CONNECT_TIMEOUT = 3


class PostgresServer:
    """A reachable server: base_url is an SQLAlchemy URL for a database that may stay."""

    def __init__(self, base_url: str, cluster: _Cluster | None = None) -> None:
        self.base_url = base_url
        self._cluster = cluster

    def stop(self) -> None:
        """Stop the server if this module started it; a server found running is left alone."""
        if self._cluster is not None:
            self._cluster.stop()
            self._cluster = None

    def __repr__(self) -> str:
        shown = make_url(self.base_url).render_as_string(hide_password=True)
        return f"PostgresServer({shown!r})"


def acquire() -> PostgresServer:
    """Return a server for the tests, trying TEST_DATABASE_URL, 127.0.0.1:5432, then initdb."""
    env_url = os.environ.get(ENV_VAR)
    if env_url:
        return PostgresServer(_with_driver(env_url))

    tried = [f"{ENV_VAR} is not set"]
    try:
        psycopg.connect(PROBE_URL, connect_timeout=CONNECT_TIMEOUT).close()
    except psycopg.Error as exc:
        tried.append(f"no server at {PROBE_URL}: {_first_line(exc)}")
    else:
        return PostgresServer(_with_driver(PROBE_URL))

    try:
        cluster = _Cluster.start()
    except _ClusterError as exc:
        tried.append(f"throwaway cluster: {exc}")
    else:
        server = PostgresServer(cluster.url, cluster)
        # A crashed or interrupted session must not leave a postmaster and its files behind.
        atexit.register(server.stop)
        return server

    raise RuntimeError(
        "Could not get a PostgreSQL server for the tests. Tried:\n"
        + "".join(f"  - {reason}\n" for reason in tried)
        + "To fix, do one of:\n"
        "  - install PostgreSQL (Debian: apt-get install postgresql) so initdb and pg_ctl exist;\n"
        "  - run a server on 127.0.0.1:5432 where user 'postgres' can reach database 'test';\n"
        f"  - set {ENV_VAR}=postgresql+psycopg://user:password@host:port/dbname."
    )


def create_database(server: PostgresServer, name: str) -> str:
    """Create an empty database `name` (replacing any leftover) and return its SQLAlchemy URL."""
    base = make_url(server.base_url)
    _check_name(base, name)
    with _admin_connection(base) as conn:
        # A previous session killed halfway may have left it behind, possibly with sessions.
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return base.set(database=name).render_as_string(hide_password=False)


def commit_without_waiting_for_the_disk(server: PostgresServer, name: str) -> None:
    """Every session on database `name` commits without waiting for the WAL to reach the disk
    (synchronous_commit=off): for a throwaway test database, what a server crash could lose
    does not matter, and the tests commit thousands of times. Nothing else changes: each
    commit is as atomic, isolated and visible to the other sessions as before."""
    base = make_url(server.base_url)
    _check_name(base, name)
    with _admin_connection(base) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
        )


def drop_database(server: PostgresServer, name: str) -> None:
    """Drop database `name`, disconnecting whatever is still connected to it."""
    base = make_url(server.base_url)
    _check_name(base, name)
    with _admin_connection(base) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _with_driver(url: str) -> str:
    # Only psycopg 3 is installed; SQLAlchemy's default for plain postgresql:// is psycopg2.
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=DRIVER)
    return parsed.render_as_string(hide_password=False)


def _check_name(base: URL, name: str) -> None:
    # The admin connection goes to the base database, so that one can never be the target.
    if name == base.database:
        raise ValueError(f"refusing to create or drop the server's base database {name!r}")


def _admin_connection(base: URL) -> psycopg.Connection:
    # CREATE/DROP DATABASE cannot run inside a transaction block, hence autocommit.
    conninfo = base.set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _ClusterError(Exception):
    pass


class _Cluster:
    """A private cluster in a temporary directory, fast and unsafe (fsync off): tests only."""

    def __init__(self, bindir: str, tmpdir: str, run_as: list[str]) -> None:
        self.bindir = bindir
        self.tmpdir = tmpdir
        self.datadir = os.path.join(tmpdir, "data")
        self.logfile = os.path.join(tmpdir, "server.log")
        self.run_as = run_as
        self.port = 0
        self.running = False

    @property
    def url(self) -> str:
        return f"{DRIVER}://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls) -> _Cluster:
        bindir = _find_bindir()
        run_as, owner = _unprivileged_user()
        tmpdir = tempfile.mkdtemp(prefix="pgtest-")
        cluster = cls(bindir, tmpdir, run_as)
        try:
            if owner is not None:
                os.chown(tmpdir, owner.pw_uid, owner.pw_gid)
            cluster._initdb()
            cluster._pg_ctl_start()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def stop(self) -> None:
        if self.running:
            # immediate: the data is thrown away, so there is nothing to shut down cleanly.
            self._run("pg_ctl", "stop", "-D", self.datadir, "-m", "immediate", "-w", check=False)
            self.running = False
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _initdb(self) -> None:
        common = ["-D", self.datadir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]
        try:
            self._run("initdb", *common, "--locale=C.UTF-8")
        except _ClusterError as first:
            # Minimal systems may lack the C.UTF-8 locale; plain C with UTF8 encoding works too.
            shutil.rmtree(self.datadir, ignore_errors=True)
            try:
                self._run("initdb", *common, "--no-locale")
            except _ClusterError as second:
                raise _ClusterError(f"{first}; retry with --no-locale: {second}") from None

    def _pg_ctl_start(self) -> None:
        last_error: _ClusterError | None = None
        # The free port is only free when we looked; retry if someone takes it first.
        for _ in range(3):
            self.port = _free_port()
            options = (
                f"-F -p {self.port} -k {shlex.quote(self.tmpdir)}"
                " -c listen_addresses=127.0.0.1"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "-D",
                    self.datadir,
                    "-l",
                    self.logfile,
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                )
            except _ClusterError as exc:
                last_error = exc
                continue
            self.running = True
            return
        raise _ClusterError(f"pg_ctl start failed: {last_error}\n{self._log_tail()}")

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        cmd = [*self.run_as, os.path.join(self.bindir, program), *args]
        try:
            # cwd: the unprivileged user may not be allowed into the caller's directory.
            result = subprocess.run(
                cmd, cwd=self.tmpdir, capture_output=True, text=True, timeout=120
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _ClusterError(f"{shlex.join(cmd)}: {exc}") from None
        if check and result.returncode != 0:
            output = (result.stderr or result.stdout).strip()
            raise _ClusterError(f"{shlex.join(cmd)} exited {result.returncode}: {output}")

    def _log_tail(self) -> str:
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""


def _find_bindir() -> str:
    candidates = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(initdb))
    # Debian keeps the server binaries off PATH, one directory per major version.
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, p), os.X_OK) for p in ("initdb", "pg_ctl")):
            return bindir
    raise _ClusterError("initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin")


def _version_key(bindir: str) -> tuple[int, ...]:
    version = os.path.basename(os.path.dirname(bindir))
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _unprivileged_user() -> tuple[list[str], pwd.struct_passwd | None]:
    # initdb and postgres refuse to run as root, so drop to another user for them.
    if os.geteuid() != 0:
        return [], None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise _ClusterError("running as root and runuser (util-linux) is not available")
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        return [runuser, "-u", name, "--"], user
    raise _ClusterError("running as root and neither user 'postgres' nor 'nobody' exists")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
