"""core-api as a real subprocess, on a database and a port of its own."""

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sendfx_dev.databases import role_url
from sendfx_dev.ownership import CORE_API
from sendfx_dev.ports import free_port, port_is_open, wait_until
from sendfx_dev.testing.infra import TestInfra


@dataclass
class CoreProcess:
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core_api.main"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        healthy = wait_until(lambda: self._healthy(), timeout=60, interval=0.2)
        assert healthy, f"core-api did not start; log: {self.log_path.read_text()[-3000:]}"

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"core-api exited: {self.log_path.read_text()[-3000:]}")
        if not port_is_open(self.port):
            return False
        return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)
            self.process.wait(timeout=30)


def core_process_env(
    infra: TestInfra, postgres_url: str, port: int, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URL", "LEGACY_MONGO_URL")}
    env.update(infra.service_env("core-api"))
    env.update(
        POSTGRES_URL=role_url(postgres_url, CORE_API), CORE_API_PORT=str(port), LOG_LEVEL="warning"
    )
    env.update(extra)
    return env


@pytest.fixture
def spawn_core(sendfx_infra: TestInfra) -> Iterator[Callable[..., CoreProcess]]:
    """``spawn_core(postgres_url, **env)``: a core-api process (call ``.start()``),
    stopped after the test."""
    spawned: list[CoreProcess] = []

    def make(postgres_url: str, **env: str) -> CoreProcess:
        port = free_port()
        process = CoreProcess(
            core_process_env(sendfx_infra, postgres_url, port, **env),
            port,
            sendfx_infra.state_dir / f"core-api-{port}.log",
        )
        spawned.append(process)
        return process

    yield make
    for process in spawned:
        process.kill(signal.SIGTERM)


@pytest.fixture(scope="session")
def core_server(sendfx_infra: TestInfra, postgres_url: str) -> Iterator[CoreProcess]:
    """core-api on a port of its own, on the session database (relay off: the
    in-process app's relay serves this database)."""
    port = free_port()
    server = CoreProcess(
        core_process_env(sendfx_infra, postgres_url, port, CORE_API_OUTBOX_RELAY="false"),
        port,
        sendfx_infra.state_dir / f"core-api-{port}.log",
    )
    server.start()
    try:
        yield server
    finally:
        server.kill(signal.SIGTERM)
