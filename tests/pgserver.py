"""A real PostgreSQL 15 for the tests: started once per test session in a temporary folder, stopped at the end.

It listens on a unix socket in that folder and on 127.0.0.1 at a free port, trusts local connections, and
trades durability for speed (fsync, synchronous commit and full-page writes off: a crashed test server is
thrown away). initdb refuses to run as root: as root the data folder belongs to the ``postgres`` system user
(Debian's package makes it) and initdb and pg_ctl run as that user through ``runuser``. Databases for tests
are copies of templates (``CREATE DATABASE x TEMPLATE t``), which takes a fraction of a second.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.serverproc import free_port

SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "400",
    "shared_buffers": "128MB",
    "listen_addresses": "127.0.0.1",
}


DURABILITY = ("fsync", "synchronous_commit", "full_page_writes")


class Unavailable(RuntimeError):
    """PostgreSQL cannot be started here (the reason says why)."""


def bindir() -> Path:
    candidates = []
    if shutil.which("pg_config"):
        done = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if done.returncode == 0:
            candidates.append(Path(done.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "postgres").exists() and (folder / "initdb").exists():
            return folder
    raise Unavailable("PostgreSQL is not installed (no postgres/initdb in pg_config --bindir or /usr/lib/postgresql)")


class PgServer:
    def __init__(self, *, durable: bool = False) -> None:
        """``durable``: PostgreSQL's own settings for writing (fsync and synchronous commit on), for benchmarks
        that time saves; the tests turn them off for speed."""
        self.bin = bindir()
        self.root = Path(tempfile.mkdtemp(prefix="clinic-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.run = self.root / "run"  # the unix socket and the server's log
        self.port = free_port()
        self.user = "postgres"
        self._as: list[str] = []
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise Unavailable("running as root and there is no 'postgres' system user to run PostgreSQL") from exc
            if not shutil.which("runuser"):
                raise Unavailable("running as root and runuser is missing")
            self._as = ["runuser", "-u", "postgres", "--"]
            for folder in (self.data, self.run):
                folder.mkdir(mode=0o700)
                os.chown(folder, owner.pw_uid, owner.pw_gid)
        else:
            self.run.mkdir(mode=0o700)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8", "--locale=C", "-N")
        settings = {k: v for k, v in SETTINGS.items() if not (durable and k in DURABILITY)}
        options = " ".join(f"-c {k}={v}" for k, v in settings.items())
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.run / "server.log"),
            "-o",
            f"{options} -p {self.port} -k {self.run}",
            "start",
        )

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self._as, str(self.bin / program), *args], capture_output=True, text=True)
        if done.returncode != 0:
            log = self.run / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise Unavailable(f"{program} failed: {done.stderr.strip() or done.stdout.strip()} {tail}")

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.encode())

    def create(self, template: str | None = None, name: str | None = None) -> str:
        """A new database (a copy of ``template`` if given); its name."""
        name = name or f"t{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return name

    def drop(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
