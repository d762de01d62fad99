"""A throw-away PostgreSQL server from the distribution's packages, for tests and benchmarks.

`initdb` in a fresh temporary folder, `pg_ctl start` listening on a Unix socket only (no
TCP port to race for), `pg_ctl stop` and the folder removed on exit. PostgreSQL refuses to
run as root: as root, the server runs as the `postgres` user the Debian package creates (or
`nobody`). Durability is off (fsync), as fits data thrown away after the run.

    with PostgresServer.start() as pg:
        url = pg.create_database("gradebook")  # postgresql+psycopg://postgres@/gradebook?host=…
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"


def bin_dir() -> Path | None:
    """The folder of initdb/pg_ctl: Debian keeps them out of PATH, one folder per version."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


@dataclass
class PostgresServer:
    folder: Path      # data/, the socket and the log
    bin: Path
    user: str | None  # the account the server runs as (None: this process's)

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def url(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3) of `database` over the Unix socket."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def _run(self, *args: str) -> str:
        done = subprocess.run([str(self.bin / args[0]), *args[1:]], user=self.user,
                              capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}\n"
                               + (log.read_text(errors="replace")[-2000:] if log.is_file() else ""))
        return done.stdout

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", str(self.socket_dir), "-U", SUPERUSER, name)
        return self.url(name)

    @classmethod
    def start(cls) -> "PostgresServer":
        binaries = bin_dir()
        if binaries is None:
            raise FileNotFoundError("PostgreSQL's initdb not found (apt-get install postgresql)")
        user = None
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam(SUPERUSER).pw_name
            except KeyError:
                user = "nobody"
        folder = Path(tempfile.mkdtemp(prefix="ecole-ia-pg-"))  # 0700, only its owner
        if user:
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        server = cls(folder, binaries, user)
        try:
            server._run("initdb", "-D", str(folder / "data"), "-U", SUPERUSER, "--auth=trust",
                        "--encoding=UTF8", "--locale=C", "--no-sync")
            options = (f"-k {folder} -c listen_addresses='' -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
            server._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(folder / "data"),
                        "-l", str(folder / "server.log"), "-o", options)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.folder / "data"))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
