"""Two legacy records claiming one unique value (a tier code, a slug, a
Stripe id): the oldest wins, whatever order they arrive in, and the tables
come out byte-identical either way."""

import json
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId, json_util

from migrator.load import store
from migrator.load.apply import Incoming, apply_batch
from migrator.load.tally import Tally
from migrator.mapping import map_record
from sendfx_dev.legacy_data import Documents
from sendfx_shared.postgres import connect

from .support import WIPE_LOADED, Scenario, fetch, table_checksums


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
        "SELECT collection, legacy_id, reason, document FROM migrator.migration_rejects "
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


def _younger_copy(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    copy = {**doc, "_id": ObjectId(), "createdAt": datetime.now(UTC), **changes}
    copy.pop("updatedAt", None)
    return copy


async def test_the_oldest_claimant_of_a_slug_or_stripe_id_wins_in_any_order(
    scenario: Scenario,
) -> None:
    loaded = await _load(
        scenario.postgres_url,
        [[_incoming(c, d) for c, ds in scenario.documents.items() for d in ds]],
    )
    rejected = {(r["collection"], r["legacy_id"]) for r in loaded["rejects"]}
    docs = scenario.documents
    migrated = {c: [d for d in ds if (c, str(d["_id"])) not in rejected] for c, ds in docs.items()}
    member = migrated["workspacemembers"][0]
    workspace = next(w for w in migrated["workspaces"] if w["_id"] == member["workspaceId"])
    account = migrated["billingaccounts"][0]
    # A younger workspace with the same slug, and a member of it; a younger
    # billing account with the same workspace and Stripe customer.
    rival = _younger_copy(workspace, name="Rival")
    rival_member = _younger_copy(member, workspaceId=rival["_id"], role="member")
    rival_account = _younger_copy(account)
    rivals = [
        _incoming("workspaces", rival),
        _incoming("workspacemembers", rival_member),
        _incoming("billingaccounts", rival_account),
    ]
    everything = [_incoming(c, d) for c, ds in docs.items() for d in ds]
    younger_first = await _load(scenario.postgres_url, [rivals, everything])
    older_first = await _load(scenario.postgres_url, [everything, rivals])

    assert younger_first["tables"] == older_first["tables"]
    for result in (younger_first, older_first):
        reasons = {(r["collection"], r["legacy_id"]): r["reason"] for r in result["rejects"]}
        assert {key for key in reasons} == {
            *rejected,
            *((r.collection, r.legacy_id) for r in rivals),
        }
        assert str(workspace["_id"]) in reasons[("workspaces", str(rival["_id"]))]
        assert "slug" in reasons[("workspaces", str(rival["_id"]))]
        assert str(rival["_id"]) in reasons[("workspacemembers", str(rival_member["_id"]))]
        assert str(account["_id"]) in reasons[("billingaccounts", str(rival_account["_id"]))]
    held = await fetch(
        scenario.postgres_url,
        "SELECT legacy_id FROM core.workspaces WHERE slug = (SELECT slug FROM core.workspaces "
        "WHERE legacy_id = $1)",
        str(workspace["_id"]),
    )
    assert held == [{"legacy_id": str(workspace["_id"])}]


async def test_a_row_displaced_later_in_the_run_is_counted_once(scenario: Scenario) -> None:
    """Written in one batch, evicted with its member by an older rival in the
    next: each record counts once, where it ended (rejected)."""
    young = datetime(2024, 5, 1, tzinfo=UTC)
    old = datetime(2021, 5, 1, tzinfo=UTC)
    user = {"_id": ObjectId(), "email": "rival@example.com", "passwordHash": "x", "createdAt": old}
    newer = {"_id": ObjectId(), "name": "A", "slug": "rivals", "createdAt": young}
    member = {"_id": ObjectId(), "workspaceId": newer["_id"], "userId": user["_id"]}
    older = {"_id": ObjectId(), "name": "B", "slug": "rivals", "createdAt": old}
    connection = await connect(scenario.postgres_url)
    tally = Tally()
    try:
        await store.prepare_staging(connection)
        for batch in (
            [_incoming("users", user), _incoming("workspaces", newer)],
            [_incoming("workspacemembers", member)],
            [_incoming("workspaces", older)],
        ):
            tally.count(await apply_batch(connection, batch), {}, malformed=0, not_selected=0)
    finally:
        await connection.close()
    assert tally.read == 4
    assert tally.fates["applied"] == 2  # the user and the older workspace
    assert tally.fates["rejected"] == 2  # the newer workspace and its member
