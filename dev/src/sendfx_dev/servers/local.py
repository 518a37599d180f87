"""Local servers for a test session or a benchmark: started on free ports
under one folder, stopped together (last first), each by its own ``stop``.

    with LocalServers(state) as local:
        postgres_url = given_url or local.postgres().url

``tied_to_caller`` makes them die with this process even when it is killed
(a test session): Tansu and SecantusDB by a parent-death signal, PostgreSQL,
which detaches, by a small watcher.
"""

import os
from pathlib import Path
from types import TracebackType

from sendfx_dev.ports import free_port
from sendfx_dev.servers.postgres import PostgresServer, start_postgres, stop_postgres_after
from sendfx_dev.servers.process import Server
from sendfx_dev.servers.secantus import start_secantus
from sendfx_dev.servers.tansu import start_tansu


class LocalServers:
    def __init__(self, state_dir: Path, *, tied_to_caller: bool = False) -> None:
        self.state_dir = state_dir
        self.tied_to_caller = tied_to_caller
        self.started: list[Server] = []

    def log(self, name: str) -> Path:
        return self.state_dir / "log" / f"{name}.log"

    def postgres(self, data_dir: Path | None = None) -> PostgresServer:
        data_dir = data_dir or self.state_dir / "postgres"
        server = start_postgres(data_dir, free_port(), self.log("postgres"))
        self.started.append(server)
        if self.tied_to_caller:
            stop_postgres_after(os.getpid(), data_dir, self.log("postgres-watcher"))
        return server

    def kafka(self) -> Server:
        server = start_tansu(free_port(), self.log("kafka"), die_with_parent=self.tied_to_caller)
        self.started.append(server)
        return server

    def mongodb(self, data_dir: Path | None = None) -> Server:
        server = start_secantus(
            data_dir or self.state_dir / "mongo",
            free_port(),
            self.log("mongo"),
            die_with_parent=self.tied_to_caller,
        )
        self.started.append(server)
        return server

    def stop(self) -> None:
        while self.started:
            self.started.pop().stop()

    def __enter__(self) -> "LocalServers":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
