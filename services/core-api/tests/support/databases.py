"""A database of a test's own: empty (roles and schemas only) or migrated."""

import uuid
from collections.abc import AsyncIterator

import pytest

from sendfx_dev.databases import create_database, database_url, drop_database, provision_database
from sendfx_dev.testing.infra import TestInfra


@pytest.fixture
async def empty_database(sendfx_infra: TestInfra) -> AsyncIterator[str]:
    """A database of this test's own with no table in it (its roles and schemas
    provisioned, as `make up` does); the admin's URL; dropped after the test."""
    name = f"core_fresh_{uuid.uuid4().hex[:10]}"
    await create_database(sendfx_infra.postgres_admin_url, name)
    await provision_database(sendfx_infra.postgres_admin_url, name, migrate=())
    try:
        yield database_url(sendfx_infra.postgres_admin_url, name)
    finally:
        await drop_database(sendfx_infra.postgres_admin_url, name)


@pytest.fixture
async def fresh_database(empty_database: str) -> str:
    """An empty database, migrated by every process's own role."""
    name = empty_database.rpartition("/")[2]
    await provision_database(empty_database, name)
    return empty_database
