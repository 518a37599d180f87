"""The stores themselves enforce the declared ownership (real servers)."""

import logging
import uuid
from pathlib import Path

import asyncpg
import pytest
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

from sendfx_dev import ownership
from sendfx_dev.testing.infra import TestInfra
from sendfx_shared.mongo import client_options
from sendfx_shared.postgres import connect
from sendfx_shared.settings import MongoSettings

ROOT = Path(__file__).resolve().parents[2]
WS = str(uuid.uuid4())

# (process, a write that belongs to another process)
FOREIGN_WRITES = [
    (
        "core-api",
        f"INSERT INTO core.openai_usage (event_source, event_id, workspace_id, service,"
        f" model, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, total_tokens,"
        f" occurred_at) VALUES ('x', 'y', '{WS}', 's', 'm', 0, 0, 0, 0, 0, now())",
    ),
    ("core-api", "UPDATE core.usage_counters SET count = 0"),
    ("core-api", "DELETE FROM migrator.pending"),
    ("core-api", "TRUNCATE core.usage_hourly"),
    (
        "usage-ingestor",
        "INSERT INTO core.outbox (topic, message_key, event_type, event)"
        " VALUES ('core.events', 'k', 't', '{}')",
    ),
    ("usage-ingestor", "UPDATE core.model_prices SET input_per_mtok = 0"),
    ("usage-ingestor", "SELECT count(*) FROM core.workspaces"),
    ("usage-ingestor", "SELECT count(*) FROM core.tiers"),
    ("usage-ingestor", "DELETE FROM core.users"),
    (
        "migrator-load",
        "INSERT INTO core.outbox (topic, message_key, event_type, event)"
        " VALUES ('core.events', 'k', 't', '{}')",
    ),
    ("migrator-load", "DELETE FROM core.openai_usage"),
    ("migrator-load", "UPDATE core.model_prices SET input_per_mtok = 0"),
    (
        "migrator-verify",
        "INSERT INTO migrator.pending (collection, legacy_id, document, reason)"
        " VALUES ('users', 'x', '{}', 'r')",
    ),
    ("migrator-verify", "UPDATE core.users SET name = 'x'"),
    ("migrator-verify", "DELETE FROM core.model_prices"),
]
FOREIGN_DDL = [
    ("core-api", "ALTER TABLE core.openai_usage ADD COLUMN x int"),
    ("usage-ingestor", "DROP TABLE core.users"),
    ("migrator-load", "ALTER TABLE core.users ADD COLUMN x int"),
    ("migrator-verify", "CREATE TABLE core.sneaky (id int)"),
    ("core-api", "CREATE ROLE sneaky"),
]


@pytest.mark.parametrize(("process", "statement"), FOREIGN_WRITES + FOREIGN_DDL)
async def test_a_process_cannot_touch_what_it_does_not_own(
    sendfx_infra: TestInfra, process: str, statement: str
) -> None:
    conn = await connect(sendfx_infra.postgres_url_for(process), application_name=process)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
    finally:
        await conn.close()


async def test_a_process_can_write_its_own_and_its_declared_tables(
    sendfx_infra: TestInfra,
) -> None:
    ingestor = await connect(sendfx_infra.postgres_url_for("usage-ingestor"))
    loader = await connect(sendfx_infra.postgres_url_for("migrator-load"))
    try:
        async with ingestor.transaction():
            await ingestor.execute(
                "INSERT INTO core.usage_counters (workspace_id, metric, period, count)"
                " VALUES ($1, 'ai_calls', '2026-01', 1)",
                uuid.uuid4(),
            )
            await ingestor.execute("SELECT count(*) FROM core.model_prices")
        async with loader.transaction():
            await loader.execute("UPDATE core.users SET name = name WHERE false")
            await loader.execute("UPDATE core.usage_counters SET count = count WHERE false")
    finally:
        await ingestor.close()
        await loader.close()


async def test_no_process_role_is_a_superuser_or_may_create_roles(postgres_url: str) -> None:
    admin = await connect(postgres_url)
    try:
        rows = await admin.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])"
            " AND NOT rolsuper AND NOT rolcreaterole AND NOT rolcreatedb",
            list(ownership.ROLES),
        )
    finally:
        await admin.close()
    assert {r["rolname"] for r in rows} == set(ownership.ROLES)


async def test_the_drift_check_passes_and_catches_a_grant_added_by_hand(postgres_url: str) -> None:
    admin = await connect(postgres_url)
    try:
        assert await ownership.check_postgres(admin) == []
        await admin.execute("GRANT INSERT ON core.outbox TO sendfx_usage_ingestor")
        try:
            drift = await ownership.check_postgres(admin)
        finally:
            await admin.execute("REVOKE INSERT ON core.outbox FROM sendfx_usage_ingestor")
        assert drift == ["core.outbox: sendfx_usage_ingestor has INSERT beyond the declaration"]
        await admin.execute("ALTER TABLE core.usage_hourly OWNER TO sendfx_core_api")
        try:
            drift = await ownership.check_postgres(admin)
        finally:
            await admin.execute("ALTER TABLE core.usage_hourly OWNER TO sendfx_usage_ingestor")
            # as its owner for a moment, core-api's privileges merged into ownership
            await admin.execute("REVOKE ALL ON core.usage_hourly FROM sendfx_core_api")
        assert (
            "core.usage_hourly: owned by sendfx_core_api, declared sendfx_usage_ingestor" in drift
        )
        assert await ownership.check_postgres(admin) == []
    finally:
        await admin.close()


async def test_mongo_users_reach_only_their_databases(sendfx_infra: TestInfra) -> None:
    db = sendfx_infra.mongo_database
    other = f"{db}_elsewhere"
    clients: list[AsyncMongoClient[dict[str, object]]] = []

    def client(url: str) -> AsyncMongoClient[dict[str, object]]:
        made: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
        clients.append(made)
        return made

    try:
        feature = client(sendfx_infra.mongo_url_for(ownership.FEATURE_API_USER))
        await feature[db]["flows"].insert_one({"probe": True})
        with pytest.raises(OperationFailure):
            await feature[other]["flows"].insert_one({"probe": True})
        with pytest.raises(OperationFailure):
            await feature.admin.command("createUser", "sneaky", pwd="x", roles=["root"])
        extract = client(sendfx_infra.mongo_url_for(ownership.EXTRACT_USER))
        await extract[db]["users"].find_one({})
        with pytest.raises(OperationFailure):
            await extract[db]["users"].insert_one({"email": "x@y.z"})
        await extract[f"{db}_migrator"]["migrator_checkpoints"].insert_one({"probe": True})
        head, _, query = sendfx_infra.mongo_url.partition("?")
        anonymous = client(head.replace(head.split("://")[1].split("@")[0] + "@", "") + "?" + query)
        with pytest.raises(OperationFailure):
            await anonymous[db]["flows"].find_one({})
    finally:
        for made in clients:
            await made.close()


async def test_the_mongo_drift_check_catches_an_extra_role(sendfx_infra: TestInfra) -> None:
    root: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(sendfx_infra.mongo_url)
    db, suffix = sendfx_infra.mongo_database, f"-{sendfx_infra.run_id}"
    user = ownership.FEATURE_API_USER + suffix
    try:
        assert await ownership.check_mongo(root.admin, db, db, suffix) == []
        await root.admin.command("grantRolesToUser", user, roles=[{"role": "read", "db": "x"}])
        try:
            drift = await ownership.check_mongo(root.admin, db, db, suffix)
        finally:
            await root.admin.command(
                "revokeRolesFromUser", user, roles=[{"role": "read", "db": "x"}]
            )
        assert [line.split(":")[0] for line in drift] == [f"mongo user {user}"]
    finally:
        await root.close()


def test_the_dba_script_and_the_readme_table_match_the_declaration() -> None:
    assert (ROOT / "deploy" / "postgres" / "roles.sql").read_text() == ownership.roles_sql()
    assert ownership.ownership_markdown() in (ROOT / "README.md").read_text()


async def test_a_refusal_is_logged_with_process_role_and_object_and_counted(
    sendfx_infra: TestInfra, caplog: pytest.LogCaptureFixture
) -> None:
    labels = {"process": "usage-ingestor", "store": "postgresql", "operation": "INSERT"}
    before = REGISTRY.get_sample_value("sendfx_store_refusals_total", labels) or 0.0
    conn = await connect(
        sendfx_infra.postgres_url_for("usage-ingestor"), application_name="usage-ingestor"
    )
    try:
        with (
            caplog.at_level(logging.ERROR, "sendfx.refusals"),
            pytest.raises(asyncpg.InsufficientPrivilegeError),
        ):
            await conn.execute(
                "INSERT INTO core.outbox (topic, message_key, event_type, event)"
                " VALUES ('core.events', 'k', 't', '{}')"
            )
    finally:
        await conn.close()
    [record] = [r for r in caplog.records if r.name == "sendfx.refusals"]
    assert record.getMessage() == (
        "store refused: process=usage-ingestor store=postgresql role=sendfx_usage_ingestor"
        " operation=INSERT object=table outbox"
    )
    assert REGISTRY.get_sample_value("sendfx_store_refusals_total", labels) == before + 1


async def test_a_mongo_refusal_is_reported_too(
    sendfx_infra: TestInfra, caplog: pytest.LogCaptureFixture
) -> None:
    settings = MongoSettings(mongo_url=sendfx_infra.mongo_url_for(ownership.FEATURE_API_USER))
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        settings.mongo_url, **client_options(settings, "feature-api")
    )
    try:
        with caplog.at_level(logging.ERROR, "sendfx.refusals"), pytest.raises(OperationFailure):
            await client[f"{sendfx_infra.mongo_database}_legacy"]["users"].insert_one({})
    finally:
        await client.close()
    [record] = [r for r in caplog.records if r.name == "sendfx.refusals"]
    assert "process=feature-api store=mongodb" in record.getMessage()
    assert f"object=database {sendfx_infra.mongo_database}_legacy" in record.getMessage()
