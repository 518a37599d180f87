"""Helpers the migrator's tests share (test modules cannot import each other)."""

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from migrator.settings import (
    LOAD_ROLE,
    OPERATOR_ROLE,
    ExtractSettings,
    LoadSettings,
    OperatorSettings,
)
from sendfx_dev.databases import role_url
from sendfx_dev.legacy_data import Documents
from sendfx_shared.postgres import connect
from sendfx_shared.topics import MIGRATOR_CORE_RECORDS, dlq_of

CORE_TABLES = (
    "core.tiers",
    "core.users",
    "core.workspaces",
    "core.workspace_members",
    "core.billing_accounts",
    "core.subscriptions",
    "core.usage_counters",
)

# Empties every table a load writes, the migrator's bookkeeping included.
WIPE_LOADED = (
    f"TRUNCATE {', '.join(CORE_TABLES)}, migrator.migration_rejects, "
    "migrator.pending, migrator.user_aliases, migrator.tier_aliases, migrator.row_marks CASCADE"
)


@dataclass
class Scenario:
    """One isolated migration: its legacy data, its databases, its topic."""

    documents: Documents
    mongo_url: str
    legacy_url: str
    legacy_database: str
    postgres_url: str
    kafka: str
    prefix: str

    @property
    def topic(self) -> str:
        return f"{self.prefix}{MIGRATOR_CORE_RECORDS}"

    @property
    def load_url(self) -> str:
        """``postgres_url`` (the admin's) as load/replay's own role."""
        return role_url(self.postgres_url, LOAD_ROLE)

    @property
    def operator_url(self) -> str:
        """``postgres_url`` as verify/reset-factory's operator role."""
        return role_url(self.postgres_url, OPERATOR_ROLE)

    def extract_settings(self, **extra: Any) -> ExtractSettings:
        return ExtractSettings(
            legacy_mongo_url=self.legacy_url,
            kafka_bootstrap_servers=self.kafka,
            kafka_topic_prefix=self.prefix,
            **extra,
        )

    def load_settings(self, **extra: Any) -> LoadSettings:
        return LoadSettings(
            postgres_url=self.load_url,
            kafka_bootstrap_servers=self.kafka,
            kafka_topic_prefix=self.prefix,
            **extra,
        )

    def operator_settings(self) -> OperatorSettings:
        return OperatorSettings(
            legacy_mongo_url=self.legacy_url,
            mongo_url=self.mongo_url,
            postgres_url=self.operator_url,
            kafka_bootstrap_servers=self.kafka,
            kafka_topic_prefix=self.prefix,
        )

    def count(self, collection: str) -> int:
        return len(self.documents[collection])

    def command_env(self, *stores: str, **extra: str) -> dict[str, str]:
        """Environment for the ``migrator`` command with the URLs of ``stores``
        ("legacy", "feature", "postgres" as load's role, "operator" as the
        operator's), the broker and this scenario's topics."""
        urls = {
            "legacy": ("LEGACY_MONGO_URL", self.legacy_url),
            "feature": ("MONGO_URL", self.mongo_url),
            "postgres": ("POSTGRES_URL", self.load_url),
            "operator": ("POSTGRES_URL", self.operator_url),
        }
        chosen = dict(urls[store] for store in stores)
        return cli_env(
            KAFKA_BOOTSTRAP_SERVERS=self.kafka, KAFKA_TOPIC_PREFIX=self.prefix, **chosen, **extra
        )


async def create_topic(kafka: str, topic: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
        )
    finally:
        await admin.close()


async def recreate_topic(scenario: Scenario) -> None:
    """The scenario's topic deleted and created again, empty: what a broker
    that lost its data (a restart of the in-memory one, a rebuilt cluster)
    offers the next extract. Its offsets start from 0 again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=scenario.kafka)
    await admin.start()
    try:
        await admin.delete_topics([scenario.topic])
        for _ in range(50):
            if scenario.topic not in await admin.list_topics():
                break
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    await create_topic(scenario.kafka, scenario.topic)


async def checksums_on(connection: asyncpg.Connection) -> dict[str, str]:
    """md5 over every row of every core table, in id order: equal means
    byte-identical. Without ``core.users.auth_version``: it counts the
    updates a row went through (for token revocation), not migrated data."""
    return {
        table: await connection.fetchval(
            "SELECT md5(coalesce(string_agg((to_jsonb(t) - 'auth_version')::text, '|'"
            f" ORDER BY t.id), '')) FROM {table} t"
        )
        for table in CORE_TABLES
    }


async def table_checksums(postgres_url: str) -> dict[str, str]:
    connection = await connect(postgres_url)
    try:
        return await checksums_on(connection)
    finally:
        await connection.close()


async def fetch(postgres_url: str, query: str, *args: Any) -> list[dict[str, Any]]:
    connection = await connect(postgres_url)
    try:
        return [dict(r) for r in await connection.fetch(query, *args)]
    finally:
        await connection.close()


# The installed console script, as operators and the runner start it.
MIGRATOR = str(Path(sys.executable).parent / "migrator")


def cli_env(**variables: str) -> dict[str, str]:
    """This process's environment without any store or broker URL, plus ``variables``."""
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_URL", "_SERVERS"))}
    return {**clean, "COLUMNS": "200", **variables}


async def dead_letters(scenario: Scenario, expected: int) -> list[ConsumerRecord[bytes, bytes]]:
    """The messages of the scenario's ``<topic>.dlq``, waiting (10 s at most)
    until ``expected`` have arrived."""
    consumer = AIOKafkaConsumer(bootstrap_servers=scenario.kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        dlq_topic = dlq_of(scenario.topic)
        await consumer.topics()
        partitions = [
            TopicPartition(dlq_topic, p) for p in consumer.partitions_for_topic(dlq_topic) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        messages: list[ConsumerRecord[bytes, bytes]] = []
        for _ in range(50):
            batches = await consumer.getmany(timeout_ms=200)
            messages.extend(m for batch in batches.values() for m in batch)
            if len(messages) >= expected:
                break
    finally:
        await consumer.stop()
    return messages
