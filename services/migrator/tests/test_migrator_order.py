"""load tolerates any order: children wait for parents, and heal when they come."""

import asyncio

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.verify import run_verify

from .support import Scenario, fetch


async def test_children_before_parents_wait_and_then_migrate(scenario: Scenario) -> None:
    children = ["workspaces", "workspacemembers", "billingaccounts", "subscriptions"]
    await run_extract(scenario.extract_settings(), collections=[*children, "usagecounters"])
    first = await run_load(scenario.load_settings())
    assert sum(first.outcome.migrated.values()) == 0
    waiting = await fetch(scenario.postgres_url, "SELECT reason FROM migrator.pending")
    assert waiting and all("is missing" in w["reason"] for w in waiting)
    # At the end of the run, whatever still waits is reported as rejected...
    assert len(first.rejects) >= len(waiting)

    await run_extract(scenario.extract_settings(), collections=["tiers", "users"])
    second = await run_load(scenario.load_settings())
    assert second.outcome.migrated["workspaces"] > 0
    # ...and leaves the report once its parent has arrived.
    assert len(second.rejects) < len(first.rejects)
    report = await run_verify(scenario.operator_settings())
    assert not report.has_drift


async def test_load_follow_keeps_consuming_until_stopped(scenario: Scenario) -> None:
    stop = asyncio.Event()
    follower = asyncio.create_task(
        run_load(scenario.load_settings(pending_grace_seconds=0), follow=True, stop=stop)
    )
    await run_extract(scenario.extract_settings(), collections=["tiers"])
    for _ in range(200):
        if len(await fetch(scenario.postgres_url, "SELECT id FROM core.tiers")) == 5:
            break
        await asyncio.sleep(0.1)
    await run_extract(scenario.extract_settings(), collections=["users"])
    legacy_users = scenario.documents["users"]
    expected_users = len({str(u.get("email", "")).strip().lower() for u in legacy_users})
    for _ in range(200):
        users = await fetch(scenario.postgres_url, "SELECT id FROM core.users")
        if len(users) >= expected_users - 10:
            break
        await asyncio.sleep(0.1)
    stop.set()
    summary = await asyncio.wait_for(follower, 60)
    assert summary.outcome.migrated["tiers"] == 5
    assert summary.outcome.migrated["users"] > 0
