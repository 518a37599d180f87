"""SecantusDB, the MongoDB-wire server, with authentication and a root user."""

import shutil
import sys
from pathlib import Path

from sendfx_dev.ports import port_is_open, wait_until
from sendfx_dev.servers.process import Server, expect, require_free, spawn, stop_pid
from sendfx_shared.settings import dev_password


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
    failure = f"did not answer on 127.0.0.1:{port}"
    expect("mongodb (secantus)", pid, lambda: mongo_answers(port), 60, failure, log)
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
    require_free("mongodb (secantus)", port, log)
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
