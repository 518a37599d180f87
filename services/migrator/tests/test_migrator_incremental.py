"""Operators re-run parts of the migration: changed legacy records update their rows."""

import json
from datetime import UTC, datetime

from pymongo import AsyncMongoClient

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.verify import run_verify
from sendfx_shared.kafka import DLQ_REASON_HEADER

from .support import Scenario, dead_letters, fetch


async def test_a_changed_legacy_record_updates_its_row_on_the_next_run(
    scenario: Scenario,
) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    tier = scenario.documents["tiers"][0]
    edited_at = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(scenario.legacy_url)
    try:
        legacy = client[scenario.legacy_database]
        await legacy["tiers"].update_one(
            {"_id": tier["_id"]}, {"$set": {"name": "Free forever", "updatedAt": edited_at}}
        )
        await legacy["users"].insert_one({"_id": "not-an-object-id", "email": "x@y.z"})
    finally:
        await client.close()

    since = datetime(2026, 10, 1, tzinfo=UTC)
    summary = await run_extract(scenario.extract_settings(), since=since)
    published = {c.collection: c.published for c in summary.collections}
    # The edited tier, and the two with no dates at all (never dropped by --since).
    assert published["tiers"] == 3
    # A document whose _id is no ObjectId cannot name a row: reported, sent to the DLQ.
    users = next(c for c in summary.collections if c.collection == "users")
    assert len(users.invalid) == 1 and "not-an-object-id" in users.invalid[0]
    [dead] = await dead_letters(scenario, expected=1)
    assert dead.key == b"users:not-an-object-id"
    reason = "_id is not an ObjectId: 'not-an-object-id'"
    assert dict(dead.headers)[DLQ_REASON_HEADER].decode() == reason
    assert json.loads(dead.value)["reason"] == reason
    assert json.loads(dead.value)["original"]["document"]["email"] == "x@y.z"

    loaded = await run_load(scenario.load_settings())
    assert loaded.outcome.migrated["tiers"] == 1
    row = (
        await fetch(
            scenario.postgres_url,
            "SELECT name, updated_at FROM core.tiers WHERE legacy_id = $1",
            str(tier["_id"]),
        )
    )[0]
    assert row == {"name": "Free forever", "updated_at": edited_at}
    report = await run_verify(scenario.operator_settings())
    assert not report.has_drift
    users_report = next(c for c in report.collections if c.collection == "users")
    assert users_report.invalid_ids == ["'not-an-object-id'"]
