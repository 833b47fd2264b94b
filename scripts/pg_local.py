"""A local PostgreSQL/PostGIS server on a private socket: for trying team mode, for the
database tests and for the database benchmark.

    python scripts/pg_local.py start DIR   # start one in DIR, print a catalogue URL
    python scripts/pg_local.py stop DIR

The server listens on a Unix socket inside DIR only (no TCP port), runs as the
``postgres`` user when started as root (PostgreSQL refuses to run as root), and trusts
local connections: a sandbox for one machine, not a production set-up. ``make test``
starts a throwaway one per run (tests/pg_server.py) and removes it afterwards; where none
can be started (no PostgreSQL binaries, no PostGIS extension) the database tests are
skipped with that reason, and the run ends with one line saying so.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: Why no server could be started in this run (None: one was, or none was tried).
UNAVAILABLE: list[str] = []


@dataclass(frozen=True)
class PgServer:
    """A running server: its socket directory and a superuser connection string."""

    socket_dir: Path
    data_dir: Path
    bindir: Path
    superuser: str

    def url(self, database: str = "postgres", user: str | None = None) -> str:
        """A ``postgresql://`` URL for ``database`` over the private socket."""
        from urllib.parse import quote

        who = user or self.superuser
        return f"postgresql://{quote(who)}@/{quote(database)}?host={quote(str(self.socket_dir))}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser; returns psql's unaligned output."""
        local = self.bindir / "psql"
        out = subprocess.run(
            [
                str(local) if local.exists() else "psql",
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-U",
                self.superuser,
                "-d",
                database,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return out.stdout

    def kill(self) -> None:
        """Stop the server at once, as a crash would (``pg_ctl -m immediate``)."""
        _as_server_user(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"]
        )

    def start(self) -> None:
        """Start (or restart) the server and wait until it accepts connections."""
        options = f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off"
        _as_server_user(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-o",
                options,
                "-l",
                str(self.data_dir.parent / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )


def find_bindir() -> Path | None:
    """The directory of initdb/pg_ctl/postgres, or None."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
            )
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for c in candidates:
        has_psql = (c / "psql").exists() or shutil.which("psql") is not None
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file() and has_psql:
            return c
    return None


def _server_user() -> pwd.struct_passwd | None:
    """The account the server runs as: ``postgres`` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


def _as_server_user(cmd: list[str]) -> None:
    user = _server_user()
    if os.geteuid() == 0 and user is None:
        raise RuntimeError("running as root and there is no 'postgres' user to run the server")

    def demote() -> None:
        if user is not None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

    subprocess.run(
        cmd,
        preexec_fn=demote if user is not None else None,  # noqa: PLW1509 - no threads yet
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd="/",
    )


def _init_and_start(root: Path) -> PgServer:
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) found")
    root.mkdir(parents=True, exist_ok=True)
    user = _server_user()
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    data = root / "data"
    superuser = user.pw_name if user is not None else pwd.getpwuid(os.geteuid()).pw_name
    server = PgServer(root, data, bindir, superuser)
    try:
        if not (data / "PG_VERSION").exists():
            _as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    superuser,
                    "-E",
                    "UTF8",
                ]
            )
        if not (data / "postmaster.pid").exists():
            server.start()
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise RuntimeError(
            f"could not start a PostgreSQL server: {detail[-1] if detail else exc}"
        ) from None
    try:
        server.psql("create extension if not exists postgis")
    except subprocess.CalledProcessError:
        server.kill()
        raise RuntimeError(
            "PostgreSQL runs but has no PostGIS extension (install postgresql-NN-postgis-3)"
        ) from None
    server.psql("drop extension postgis")  # each catalogue database creates its own
    return server


@contextmanager
def running_server() -> Iterator[PgServer]:
    """Start a throwaway server with PostGIS available; stop and remove it afterwards.

    Raises
    ------
    RuntimeError
        No server can be started here (the message says why, in one line).
    """
    root = Path(tempfile.mkdtemp(prefix="explorer-pg-"))
    server: PgServer | None = None
    try:
        server = _init_and_start(root)
        yield server
    finally:
        if server is not None:
            try:
                server.kill()
            except (subprocess.CalledProcessError, RuntimeError, OSError):
                pass
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    """``start DIR`` / ``stop DIR``: see the module docstring."""
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python scripts/pg_local.py start|stop DIR", file=sys.stderr)
        return 2
    root = Path(argv[1]).resolve()
    if argv[0] == "stop":
        bindir = find_bindir()
        if bindir is None or not (root / "data").is_dir():
            print(f"no server in {root}", file=sys.stderr)
            return 1
        _as_server_user([str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "stop"])
        return 0
    try:
        server = _init_and_start(root)
        server.psql("select 1")
        exists = server.psql("select 1 from pg_database where datname = 'catalogue'")
        if not exists.strip():
            server.psql("create database catalogue")
    except RuntimeError as exc:
        print(f"pg_local: {exc}", file=sys.stderr)
        return 1
    print(server.url("catalogue"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["UNAVAILABLE", "PgServer", "find_bindir", "main", "running_server"]
