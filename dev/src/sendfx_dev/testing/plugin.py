"""pytest plugin: real servers for the whole test session.

One PostgreSQL, one Kafka-protocol broker and one MongoDB-wire server are
started per pytest run on free ports under a temporary folder (or reused
from ``SENDFX_TEST_POSTGRES_URL`` / ``SENDFX_TEST_KAFKA`` /
``SENDFX_TEST_MONGO_URL``, which name an admin user, or run as containers
with ``SENDFX_TEST_INFRA=containers``). The session's own databases and
topic prefix are ``TestInfra``'s (``sendfx_dev.testing.infra``).
"""

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sendfx_dev.databases import drop_database
from sendfx_dev.servers import LocalServers
from sendfx_dev.testing.infra import TestInfra, prepare_stores

# The tests run on development secrets (the local store passwords, the
# development token key), which every process refuses unless told so; a test
# of that refusal sets SENDFX_ENV itself.
os.environ.setdefault("SENDFX_ENV", "development")

__all__ = [
    "TestInfra",
    "kafka_bootstrap_servers",
    "mongo_url",
    "postgres_url",
    "sendfx_infra",
    "topic_prefix",
]


def _servers(state: Path, cleanup: contextlib.ExitStack) -> tuple[str, str, str]:
    """Admin URLs of the session's servers: (postgres, kafka, mongo)."""
    mode = os.environ.get("SENDFX_TEST_INFRA", "local")
    if mode == "containers":
        from sendfx_dev.containers import start_all

        containers = start_all()
        cleanup.callback(containers.stop)
        return (
            containers.postgres_admin_url,
            containers.kafka_bootstrap_servers,
            containers.mongo_url,
        )
    if mode != "local":
        raise pytest.UsageError(f"SENDFX_TEST_INFRA must be 'local' or 'containers', not {mode!r}")
    # a server that fails to start takes the others down with it
    local = cleanup.enter_context(LocalServers(state, tied_to_caller=True))
    postgres = os.environ.get("SENDFX_TEST_POSTGRES_URL") or local.postgres().url
    kafka = os.environ.get("SENDFX_TEST_KAFKA") or local.kafka().url
    mongo = os.environ.get("SENDFX_TEST_MONGO_URL") or local.mongodb().url
    return postgres, kafka, mongo


@pytest.fixture(scope="session")
def sendfx_infra() -> Iterator[TestInfra]:
    state = Path(tempfile.mkdtemp(prefix="sendfx-test-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, state, ignore_errors=True)
        pg_url, kafka, mongo = _servers(state, cleanup)
        infra = TestInfra(pg_url, kafka, mongo, state, uuid.uuid4().hex[:10])
        asyncio.run(prepare_stores(infra))
        try:
            yield infra
        finally:
            with contextlib.suppress(Exception):
                asyncio.run(drop_database(pg_url, infra.postgres_database))


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
