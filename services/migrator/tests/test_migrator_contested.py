"""Two legacy tiers claiming one code: the oldest wins, whatever order they
arrive in, and the tables come out byte-identical either way."""

import json
from typing import Any

from bson import json_util

from migrator.legacy_fixtures import Documents
from migrator.load import store
from migrator.load.apply import Incoming, apply_batch
from migrator.mapping import map_record
from migrator.testing import WIPE_LOADED, Scenario, fetch, table_checksums
from sendfx_shared.postgres import connect


def _incoming(collection: str, doc: dict[str, Any]) -> Incoming:
    as_json = json.loads(json_util.dumps(doc, json_options=json_util.RELAXED_JSON_OPTIONS))
    return Incoming(collection, str(doc["_id"]), as_json)  # type: ignore[arg-type]


def _split(documents: Documents) -> tuple[Incoming, Incoming, list[Incoming]]:
    """(the original starter tier, its newer copy, every other record)."""
    original = copy = None
    rest = []
    for collection, docs in documents.items():
        for doc in docs:
            record = _incoming(collection, doc)
            if doc.get("name") == "Starter (copy)":
                copy = record
            elif collection == "tiers" and doc.get("code") == "starter":
                original = record
            else:
                rest.append(record)
    assert original is not None and copy is not None
    return original, copy, rest


async def _load(postgres_url: str, batches: list[list[Incoming]]) -> dict[str, Any]:
    connection = await connect(postgres_url)
    try:
        await connection.execute(WIPE_LOADED)
        await store.prepare_staging(connection)
        for batch in batches:
            await apply_batch(connection, batch)
        await store.reject_pending(connection)
    finally:
        await connection.close()
    rejects = await fetch(
        postgres_url,
        "SELECT collection, legacy_id, reason, document FROM core.migration_rejects "
        "ORDER BY collection, legacy_id",
    )
    return {"tables": await table_checksums(postgres_url), "rejects": rejects}


async def test_the_oldest_of_two_tiers_coded_alike_wins_in_any_order(scenario: Scenario) -> None:
    original, copy, rest = _split(scenario.documents)
    older = map_record("tiers", original.legacy_id, original.document).values["created_at"]
    assert older < map_record("tiers", copy.legacy_id, copy.document).values["created_at"]
    # The newer copy first, alone; later the original with all its workspaces.
    newer_first = await _load(scenario.postgres_url, [[copy], [*rest[:50]], [original, *rest[50:]]])
    starter = await fetch(
        scenario.postgres_url,
        "SELECT t.legacy_id, count(w.id) AS workspaces FROM core.tiers t "
        "LEFT JOIN core.workspaces w ON w.tier_id = t.id WHERE t.code = 'starter' "
        "GROUP BY t.legacy_id",
    )
    # The original first, then the copy in a batch of its own.
    older_first = await _load(scenario.postgres_url, [[original, *rest], [copy]])
    # Both arrive in one batch, the copy ahead.
    together = await _load(scenario.postgres_url, [[copy, original, *rest]])

    assert newer_first == older_first == together
    assert starter == [{"legacy_id": original.legacy_id, "workspaces": starter[0]["workspaces"]}]
    assert starter[0]["workspaces"] > 0, "the original's workspaces are migrated"
    reasons = {(r["collection"], r["legacy_id"]): r for r in older_first["rejects"]}
    lost = reasons[("tiers", copy.legacy_id)]
    assert original.legacy_id in lost["reason"] and "'starter'" in lost["reason"]
    assert lost["document"] == copy.document
    assert ("tiers", original.legacy_id) not in reasons
    # Nothing referenced the original was rejected for want of its tier.
    assert not any(original.legacy_id in r["reason"] for r in older_first["rejects"] if r != lost)
