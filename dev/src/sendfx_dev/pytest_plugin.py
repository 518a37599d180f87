"""pytest plugin: real servers for the whole test session.

One PostgreSQL, one Kafka-protocol broker and one MongoDB-wire server are
started per pytest run on free ports under a temporary folder (or reused
from ``SENDFX_TEST_POSTGRES_URL`` / ``SENDFX_TEST_KAFKA`` /
``SENDFX_TEST_MONGO_URL``, which name an admin user). The session then gets its
own Postgres database (provisioned and migrated by each process's own role),
its own Mongo database with its own users, and its own topic prefix, so
sessions sharing servers never see each other's data.

``postgres_url`` and ``mongo_url`` carry admin credentials, for setting up and
inspecting data; ``postgres_url_for(process)`` and ``mongo_url_for(user)`` are
what a process itself gets (``service_env`` hands them to subprocesses).
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

from sendfx_dev import ownership, servers
from sendfx_dev.containers import Containers
from sendfx_dev.databases import (
    database_url,
    drop_database,
    mongo_user_url,
    platform_database,
    role_url,
)
from sendfx_dev.ports import free_port
from sendfx_shared.settings import dev_password


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
        """The session's database, as the admin."""
        return database_url(self.postgres_admin_url, self.postgres_database)

    def postgres_url_for(self, process: str) -> str:
        """The session's database as ``process``'s own role (``core-api``, …)."""
        return role_url(self.postgres_url, ownership.PROCESS_ROLES[process])

    def mongo_database_url(self, database: str, user: str | None = None) -> str:
        """``database`` on the session's server, as the root user or ``user``."""
        if user is None:
            head, _, query = self.mongo_server_url.partition("?")
            scheme, _, rest = head.partition("://")
            url = f"{scheme}://{rest.split('/', 1)[0]}/{database}"
            return url + (f"?{query}" if query else "")
        return mongo_user_url(
            self.mongo_server_url, database, f"{user}-{self.run_id}", dev_password(user)
        )

    @property
    def mongo_url(self) -> str:
        """The session's database, as the root user."""
        return self.mongo_database_url(self.mongo_database)

    def mongo_url_for(self, user: str) -> str:
        """The session's database as ``user`` (``feature-api``, …): users of this
        session, with the roles ``ownership.mongo_roles`` declares on it."""
        return self.mongo_database_url(self.mongo_database, user)

    @property
    def topic_prefix(self) -> str:
        return f"t{self.run_id}."

    def service_env(self, process: str) -> dict[str, str]:
        """Environment for a service subprocess: its own store, as its own principal."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": self.topic_prefix,
        }
        if process == "feature-api":
            env["MONGO_URL"] = self.mongo_url_for(ownership.FEATURE_API_USER)
        else:
            env["POSTGRES_URL"] = self.postgres_url_for(process)
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


async def _prepare_stores(infra: "TestInfra") -> None:
    from pymongo import AsyncMongoClient

    await platform_database(infra.postgres_admin_url, infra.postgres_database)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url)
    try:
        await ownership.provision_mongo(
            client.admin, infra.mongo_database, infra.mongo_database, suffix=f"-{infra.run_id}"
        )
    finally:
        await client.close()


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
    asyncio.run(_prepare_stores(infra))
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
