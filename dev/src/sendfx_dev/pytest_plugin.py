"""pytest plugin: real servers for the whole test session.

One PostgreSQL, one Kafka-protocol broker and one MongoDB-wire server are
started per pytest run on free ports under a temporary folder (or reused
from ``SENDFX_TEST_POSTGRES_URL`` / ``SENDFX_TEST_KAFKA`` /
``SENDFX_TEST_MONGO_URL``). The session then gets its own Postgres database
(migrated), its own Mongo database and its own topic prefix, so sessions
sharing servers never see each other's data.
"""

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sendfx_dev import servers
from sendfx_dev.containers import Containers
from sendfx_dev.ports import free_port


@dataclass(frozen=True)
class TestInfra:
    postgres_admin_url: str
    kafka_bootstrap_servers: str
    mongo_server_url: str
    state_dir: Path
    run_id: str

    @property
    def mongo_database(self) -> str:
        return f"sendfx_test_{self.run_id}"

    @property
    def postgres_database(self) -> str:
        return f"sendfx_test_{self.run_id}"

    @property
    def postgres_url(self) -> str:
        base, _, _ = self.postgres_admin_url.rpartition("/")
        return f"{base}/{self.postgres_database}"

    @property
    def mongo_url(self) -> str:
        host_part, _, query = self.mongo_server_url.partition("?")
        host_part = host_part.split("://", 1)[1].split("/", 1)[0]
        return f"mongodb://{host_part}/{self.mongo_database}" + (f"?{query}" if query else "")

    @property
    def topic_prefix(self) -> str:
        return f"t{self.run_id}."

    def service_env(self, store: str) -> dict[str, str]:
        """Environment for a service subprocess that owns ``store``."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": self.topic_prefix,
        }
        if store == "postgres":
            env["POSTGRES_URL"] = self.postgres_url
        elif store == "mongo":
            env["MONGO_URL"] = self.mongo_url
        return env


def _start_local(state: Path) -> tuple[str, str, str, list[servers.Server]]:
    started: list[servers.Server] = []
    try:
        pg_url = os.environ.get("SENDFX_TEST_POSTGRES_URL")
        if not pg_url:
            pg = servers.start_postgres(
                state / "postgres", free_port(), state / "log" / "postgres.log"
            )
            started.append(pg)
            servers.stop_postgres_after(
                os.getpid(), state / "postgres", state / "log" / "postgres-watcher.log"
            )
            pg_url = pg.url
        kafka = os.environ.get("SENDFX_TEST_KAFKA")
        if not kafka:
            broker = servers.start_tansu(
                free_port(), state / "log" / "kafka.log", die_with_parent=True
            )
            started.append(broker)
            kafka = broker.url
        mongo = os.environ.get("SENDFX_TEST_MONGO_URL")
        if not mongo:
            m = servers.start_secantus(
                state / "mongo", free_port(), state / "log" / "mongo.log", die_with_parent=True
            )
            started.append(m)
            mongo = m.url
    except BaseException:
        # one server failed: the others must not outlive the session
        _stop_local(started)
        raise
    return pg_url, kafka, mongo, started


def _stop_local(started: list[servers.Server]) -> None:
    for server in reversed(started):
        if server.name == "postgres":
            servers.stop_postgres(Path(server.extra["data_dir"]))
        else:
            server.stop()


async def _create_database(admin_url: str, name: str) -> None:
    from sendfx_shared.postgres import apply_migrations, connect

    admin = await connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = admin_url.rpartition("/")
    conn = await connect(f"{base}/{name}")
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    """Drop a Postgres database even while sessions are still connected."""
    from sendfx_shared.postgres import connect

    admin = await connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def sendfx_infra() -> Iterator[TestInfra]:
    state = Path(tempfile.mkdtemp(prefix="sendfx-test-"))
    containers: Containers | None = None
    local: list[servers.Server] = []
    mode = os.environ.get("SENDFX_TEST_INFRA", "local")
    if mode == "containers":
        from sendfx_dev.containers import start_all

        containers = start_all()
        pg_url = containers.postgres_admin_url
        kafka = containers.kafka_bootstrap_servers
        mongo = containers.mongo_url
    elif mode != "local":
        raise pytest.UsageError(f"SENDFX_TEST_INFRA must be 'local' or 'containers', not {mode!r}")
    else:
        pg_url, kafka, mongo, local = _start_local(state)
    infra = TestInfra(pg_url, kafka, mongo, state, uuid.uuid4().hex[:10])
    asyncio.run(_create_database(pg_url, infra.postgres_database))
    try:
        yield infra
    finally:
        with contextlib.suppress(Exception):
            asyncio.run(drop_database(pg_url, infra.postgres_database))
        _stop_local(local)
        if containers is not None:
            containers.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(sendfx_infra: TestInfra) -> str:
    """A migrated database of this test session's own."""
    return sendfx_infra.postgres_url


@pytest.fixture(scope="session")
def mongo_url(sendfx_infra: TestInfra) -> str:
    """A MongoDB URL naming a database of this test session's own."""
    return sendfx_infra.mongo_url


@pytest.fixture(scope="session")
def kafka_bootstrap_servers(sendfx_infra: TestInfra) -> str:
    return sendfx_infra.kafka_bootstrap_servers


@pytest.fixture(scope="session")
def topic_prefix(sendfx_infra: TestInfra) -> str:
    """Prefix every topic of this session with it (``KAFKA_TOPIC_PREFIX``)."""
    return sendfx_infra.topic_prefix
