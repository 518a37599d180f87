"""Fixtures of the migrator tests: real SecantusDB, Tansu and PostgreSQL.

Every test gets a legacy database, a PostgreSQL database and a topic of its
own, so the scenarios (and other services' tests in the same session) never
see each other's rows; the servers themselves are the session's.
"""

import uuid
from collections.abc import AsyncIterator

import pytest

from sendfx_dev.databases import platform_database
from sendfx_dev.legacy_data import Documents, generate, insert
from sendfx_dev.pytest_plugin import TestInfra
from sendfx_shared.postgres import connect
from sendfx_shared.topics import MIGRATOR_CORE_RECORDS

from .support import Scenario, create_topic

LEGACY_COUNT = 400
LEGACY_SEED = 11


def _mongo_url_for(infra: TestInfra, database: str) -> str:
    base = infra.mongo_url
    head, _, query = base.partition("?")
    host = head.rsplit("/", 1)[0]
    return f"{host}/{database}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def legacy_documents() -> Documents:
    return generate(LEGACY_COUNT, seed=LEGACY_SEED)


@pytest.fixture
async def scenario(
    sendfx_infra: TestInfra, topic_prefix: str, legacy_documents: Documents
) -> AsyncIterator[Scenario]:
    tag = uuid.uuid4().hex[:8]
    legacy_db = f"{sendfx_infra.mongo_database}_legacy_{tag}"
    feature_db = f"{sendfx_infra.mongo_database}_feature_{tag}"
    pg_db = f"{sendfx_infra.postgres_database}_mig_{tag}"
    pg_url = await platform_database(sendfx_infra.postgres_admin_url, pg_db)
    # These scenarios migrate into an empty core: without the default tier
    # core-api seeds, the legacy "free" tier is migrated, not merged into the
    # platform's (test_migrator_live.py covers merging into a live platform).
    seeded = await connect(pg_url)
    try:
        await seeded.execute("DELETE FROM core.tiers WHERE code = 'free' AND legacy_id IS NULL")
    finally:
        await seeded.close()
    prefix = f"{topic_prefix}{tag}."
    # Three partitions: children may then be read before their parents.
    await create_topic(sendfx_infra.kafka_bootstrap_servers, f"{prefix}{MIGRATOR_CORE_RECORDS}")
    legacy_url = _mongo_url_for(sendfx_infra, legacy_db)
    await insert(legacy_url, legacy_db, legacy_documents)
    yield Scenario(
        documents=legacy_documents,
        mongo_url=_mongo_url_for(sendfx_infra, feature_db),
        legacy_url=legacy_url,
        legacy_database=legacy_db,
        postgres_url=pg_url,
        kafka=sendfx_infra.kafka_bootstrap_servers,
        prefix=prefix,
    )
    admin = await connect(sendfx_infra.postgres_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
    finally:
        await admin.close()
