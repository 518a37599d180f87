"""The migrator on a live platform: records merged into rows the platform
created (the seeded admin, a user who registered), and rows the platform
changed after the load kept by every later load and replay."""

import asyncio
import subprocess
from datetime import UTC, datetime
from typing import Any

from bson.objectid import ObjectId

from migrator.extract import run_extract
from migrator.load import run_load, run_replay
from migrator.verify import run_verify
from sendfx_dev.legacy_data import insert
from sendfx_shared.postgres import connect

from .support import MIGRATOR, Scenario, fetch

ADMIN = "admin@sendfx.ai"
LEGACY_ADMIN = ObjectId()
ADMIN_WORKSPACES = [ObjectId(), ObjectId()]
OTHER = ObjectId()  # a legacy workspace whose slug a platform workspace has


def _legacy_admin(scenario: Scenario) -> dict[str, list[dict[str, Any]]]:
    """The legacy admin as every real dataset has it: owner of two workspaces,
    member of another (the scenario's own data besides)."""
    created = datetime(2023, 1, 5, tzinfo=UTC)
    docs = {c: list(d) for c, d in scenario.documents.items()}
    docs["users"].append(
        {
            "_id": LEGACY_ADMIN,
            "email": " Admin@SendFX.ai",
            "passwordHash": "$2b$10$legacyadminhashlegacyadminhashlegacyadminhashlegacyad",
            "name": "Legacy admin",
            "role": "admin",
            "createdAt": created,
        }
    )
    for i, ws in enumerate(ADMIN_WORKSPACES):
        docs["workspaces"].append(
            {"_id": ws, "name": f"Admin {i}", "slug": f"admin-{i}", "ownerId": LEGACY_ADMIN}
        )
        docs["workspacemembers"].append(
            {"_id": ObjectId(), "workspaceId": ws, "userId": LEGACY_ADMIN, "role": "owner"}
        )
    other = OTHER
    docs["workspaces"].append(
        {"_id": other, "name": "Other", "slug": "other", "ownerId": docs["users"][0]["_id"]}
    )
    docs["workspacemembers"].append(
        {"_id": ObjectId(), "workspaceId": other, "userId": LEGACY_ADMIN, "role": "admin"}
    )
    return docs


async def _as_core_api(scenario: Scenario, query: str, *args: Any) -> None:
    """A write as core-api makes it: no loader setting, so the touch trigger
    stamps updated_at = now()."""
    connection = await connect(scenario.postgres_url)
    try:
        await connection.execute(query, *args)
    finally:
        await connection.close()


async def _register(scenario: Scenario, email: str, password_hash: str, role: str) -> Any:
    await _as_core_api(
        scenario,
        "INSERT INTO core.users (email, password_hash, name, role) VALUES ($1, $2, 'p', $3)",
        email,
        password_hash,
        role,
    )
    rows = await fetch(scenario.postgres_url, "SELECT * FROM core.users WHERE email = $1", email)
    return rows[0]


async def test_seeded_admin_and_registered_user_are_merged(scenario: Scenario) -> None:
    docs = _legacy_admin(scenario)
    await insert(scenario.legacy_url, scenario.legacy_database, docs)
    registered = next(
        u for u in scenario.documents["users"] if u.get("email") == "user4@example4.com"
    )
    seeded = await _register(scenario, ADMIN, "$argon2id$seeded", "admin")
    early = await _register(scenario, "user4@example4.com", "$argon2id$registered", "user")
    await _as_core_api(
        # The platform seeds its default tier 'free' (core-api migration 0030).
        scenario,
        "INSERT INTO core.tiers (code, name, ai_tokens_monthly) VALUES ('free', 'F', 1)"
        " ON CONFLICT (code) DO UPDATE SET name = 'F', ai_tokens_monthly = 1",
    )
    legacy_free = next(t for t in scenario.documents["tiers"] if t["code"] == "free")
    await _as_core_api(scenario, "INSERT INTO core.workspaces (name, slug) VALUES ('P', 'other')")

    await run_extract(scenario.extract_settings())
    summary = await run_load(scenario.load_settings())

    users = {
        r["email"]: r
        for r in await fetch(scenario.postgres_url, "SELECT *, email::text FROM core.users")
    }
    for platform_row, legacy_id in ((seeded, LEGACY_ADMIN), (early, registered["_id"])):
        row = users[platform_row["email"]]
        # The platform's row, as the platform has it, now carrying the legacy id.
        assert row["id"] == platform_row["id"]
        assert row["legacy_id"] == str(legacy_id)
        assert row["password_hash"] == platform_row["password_hash"]
        assert row["updated_at"] == platform_row["updated_at"]
    rejected = {r[1] for r in summary.rejects}
    assert str(LEGACY_ADMIN) not in rejected and str(registered["_id"]) not in rejected
    assert not rejected & {str(ws) for ws in ADMIN_WORKSPACES}
    # References to the legacy admin resolve to the seeded row.
    owned = await fetch(
        scenario.postgres_url,
        "SELECT legacy_id FROM core.workspaces WHERE owner_id = $1",
        seeded["id"],
    )
    assert {r["legacy_id"] for r in owned} == {str(ws) for ws in ADMIN_WORKSPACES}
    memberships = await fetch(
        scenario.postgres_url,
        "SELECT count(*) AS n FROM core.workspace_members WHERE user_id = $1",
        seeded["id"],
    )
    assert memberships[0]["n"] == 3
    assert summary.tally.fates["merged"] >= 4
    assert summary.tally.fates["unaccounted"] == 0
    assert summary.tally.read == summary.tally.held

    # The platform's free tier took the legacy one's id, and its workspaces.
    free = await fetch(scenario.postgres_url, "SELECT * FROM core.tiers WHERE code = 'free'")
    assert [(f["legacy_id"], f["name"]) for f in free] == [(str(legacy_free["_id"]), "F")]
    on_free = await fetch(
        scenario.postgres_url,
        "SELECT count(*) AS n FROM core.workspaces WHERE tier_id = $1",
        free[0]["id"],
    )
    assert on_free[0]["n"] > 0
    assert str(legacy_free["_id"]) not in rejected
    assert {(c, legacy_id) for c, legacy_id, _ in summary.platform_merges} == {
        ("users", str(LEGACY_ADMIN)),
        ("users", str(registered["_id"])),
        ("tiers", str(legacy_free["_id"])),
        ("workspaces", str(OTHER)),
    }
    # The platform's workspace "other", as the platform made it, with the
    # legacy memberships of the legacy one.
    other = await fetch(
        scenario.postgres_url,
        "SELECT w.legacy_id, w.name, count(m.id) AS members FROM core.workspaces w "
        "JOIN core.workspace_members m ON m.workspace_id = w.id WHERE w.slug = 'other' "
        "GROUP BY w.legacy_id, w.name",
    )
    assert other == [{"legacy_id": str(OTHER), "name": "P", "members": 1}]

    # A replay changes none of it, and verify calls those rows kept, not drift.
    again = await run_replay(scenario.load_settings())
    assert again.tally.fates["applied"] == 0
    assert again.tally.fates["merged"] >= 4
    report = await run_verify(scenario.operator_settings())
    by_name = {c.collection: c for c in report.collections}
    assert str(LEGACY_ADMIN) in by_name["users"].kept
    assert not report.has_drift, [c for c in report.collections if c.drift]


async def test_a_password_changed_after_the_load_survives_a_replay(scenario: Scenario) -> None:
    await run_extract(scenario.extract_settings())
    await run_load(scenario.load_settings())
    user = (
        await fetch(
            scenario.postgres_url,
            "SELECT legacy_id FROM core.users WHERE is_active ORDER BY legacy_id LIMIT 1",
        )
    )[0]["legacy_id"]
    workspace = (
        await fetch(scenario.postgres_url, "SELECT legacy_id FROM core.workspaces LIMIT 1")
    )[0]["legacy_id"]
    await _as_core_api(
        scenario, "UPDATE core.users SET password_hash = 'reset' WHERE legacy_id = $1", user
    )
    await _as_core_api(
        scenario, "UPDATE core.workspaces SET name = 'renamed' WHERE legacy_id = $1", workspace
    )

    # A dry run counts what a replay would do, and writes nothing.
    dry = await _replay_command(scenario, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "dry run" in dry.stdout and " 2 kept" in " ".join(dry.stdout.split())
    # Without --yes (and nobody to answer), a replay does not start.
    refused = await _replay_command(scenario)
    assert refused.returncode != 0
    summary = await run_replay(scenario.load_settings())
    assert summary.tally.fates["kept"] == 2
    assert summary.tally.fates["applied"] == 0
    assert {(c, legacy_id) for c, legacy_id, _ in summary.kept} == {
        ("users", user),
        ("workspaces", workspace),
    }
    rows = await fetch(
        scenario.postgres_url, "SELECT password_hash FROM core.users WHERE legacy_id = $1", user
    )
    assert rows[0]["password_hash"] == "reset"

    report = await run_verify(scenario.operator_settings())
    by_name = {c.collection: c for c in report.collections}
    assert by_name["users"].kept == [user]
    assert by_name["workspaces"].kept == [workspace]
    assert not report.has_drift


async def _replay_command(scenario: Scenario, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [MIGRATOR, "replay", *args],
        env=scenario.command_env("postgres"),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
