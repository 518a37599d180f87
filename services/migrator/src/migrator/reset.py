"""``migrator reset-factory``: back to an empty platform, on both stores.

Deletes every core row except the user ``admin@sendfx.ai`` (model prices are
reference data that ships with the code, not user data, and stay), all of the
migrator's own state, and every document of every feature collection in the
feature database except ``adminlogsettings``. When the legacy collections live
in that same database (the local default), they are the migration's source,
not feature data, and are kept as well.

The migrator's state goes entirely (aliases, pending records, rejects, load's
stored offsets, extract's checkpoints): any of it left behind would make the
next extract and load continue an old migration instead of starting one. Stored
offsets in particular point into a topic that may since have been re-created,
and a load continuing from them would skip the new records.

Without confirmation it only counts what it would delete.
"""

from dataclasses import dataclass, field
from typing import Any, Final

from pymongo import AsyncMongoClient

from migrator.settings import CHECKPOINT_COLLECTION, OperatorSettings
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER
from sendfx_shared.mongo import client_options
from sendfx_shared.postgres import connect

ADMIN_EMAIL: Final = "admin@sendfx.ai"
KEPT_FEATURE_COLLECTIONS: Final = frozenset({"adminlogsettings"})
KEPT_CORE_TABLES: Final = frozenset({"users", "model_prices"})
MIGRATOR_STATE: Final = (
    "migrator.pending",
    "migrator.user_aliases",
    "migrator.tier_aliases",
    "migrator.migration_rejects",
    "migrator.consumer_offsets",
    "migrator.row_marks",
)


@dataclass
class ResetPlan:
    # "core.<table>" / "mongo:<database>.<collection>" → rows or documents
    counts: dict[str, int] = field(default_factory=dict)
    done: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def _core_tables(connection: Any) -> list[str]:
    rows = await connection.fetch(
        """
        SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'core' AND table_type = 'BASE TABLE' ORDER BY table_name
        """
    )
    return [r["table_name"] for r in rows if r["table_name"] not in KEPT_CORE_TABLES]


def _feature_collections(settings: OperatorSettings, names: list[str]) -> list[str]:
    kept = set(KEPT_FEATURE_COLLECTIONS)
    if settings.mongo_database == settings.legacy_database:
        # The checkpoints are cleared too, but as migrator state (see run_reset).
        kept |= {*LEGACY_COLLECTIONS_IN_ORDER, CHECKPOINT_COLLECTION}
    return sorted(n for n in names if n not in kept and not n.startswith("system."))


async def run_reset(settings: OperatorSettings, *, confirmed: bool) -> ResetPlan:
    plan = ResetPlan()
    process = "migrator-reset-factory"
    connection = await connect(settings.postgres_url, application_name=process)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url, **client_options(settings, process)
    )
    legacy_client: AsyncMongoClient[dict[str, Any]] = (
        client
        if settings.legacy_url == settings.mongo_url
        else AsyncMongoClient(
            settings.legacy_url, **client_options(settings, process, settings.legacy_url)
        )
    )
    try:
        tables = await _core_tables(connection)
        for table in tables:
            plan.counts[f"core.{table}"] = await connection.fetchval(
                f"SELECT count(*) FROM core.{table}"
            )
        plan.counts["core.users"] = await connection.fetchval(
            "SELECT count(*) FROM core.users WHERE email <> $1", ADMIN_EMAIL
        )
        for table in MIGRATOR_STATE:
            plan.counts[table] = await connection.fetchval(f"SELECT count(*) FROM {table}")
        checkpoints = legacy_client[settings.checkpoint_database][CHECKPOINT_COLLECTION]
        plan.counts[
            f"mongo:{settings.checkpoint_database}.{CHECKPOINT_COLLECTION}"
        ] = await checkpoints.count_documents({})
        database = client[settings.mongo_database]
        collections = _feature_collections(settings, await database.list_collection_names())
        for name in collections:
            plan.counts[f"mongo:{settings.mongo_database}.{name}"] = await database[
                name
            ].count_documents({})
        if not confirmed:
            return plan
        async with connection.transaction():
            # One statement: the tables referencing each other go together.
            targets = ", ".join([*(f"core.{t}" for t in tables), *MIGRATOR_STATE])
            await connection.execute(f"TRUNCATE {targets} CASCADE")
            await connection.execute("DELETE FROM core.users WHERE email <> $1", ADMIN_EMAIL)
        for name in collections:
            await database[name].delete_many({})
        await checkpoints.delete_many({})
        plan.done = True
        return plan
    finally:
        await connection.close()
        if legacy_client is not client:
            await legacy_client.close()
        await client.close()
