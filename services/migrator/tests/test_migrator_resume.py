"""extract survives a crash: the next run continues after the last checkpoint."""

import pytest

from migrator.extract import SimulatedCrash, run_extract
from migrator.load import run_load
from migrator.testing import Scenario
from migrator.verify import run_verify


async def test_extract_continues_after_a_crash_and_loses_nothing(scenario: Scenario) -> None:
    total = sum(len(d) for d in scenario.documents.values())
    settings = scenario.extract_settings(extract_batch_size=40)
    with pytest.raises(SimulatedCrash):
        await run_extract(settings, crash_after=170)

    resumed = await run_extract(settings)
    assert resumed.resumed
    # It did not start over: what was checkpointed before the crash is not sent again...
    assert resumed.published < total
    # ...and nothing after the checkpoint was skipped.
    assert 170 + resumed.published >= total
    assert any(c.already_done for c in resumed.collections)

    summary = await run_load(scenario.load_settings())
    assert summary.consumed == 170 + resumed.published
    report = await run_verify(scenario.operator_settings())
    assert not report.has_drift

    # The interrupted run is complete now, so the next extract is a fresh full one.
    again = await run_extract(settings)
    assert not again.resumed
    assert again.published == total


async def test_extract_since_publishes_only_recent_changes(scenario: Scenario) -> None:
    from datetime import UTC, datetime

    total = sum(len(d) for d in scenario.documents.values())
    since = datetime(2022, 6, 1, tzinfo=UTC)
    summary = await run_extract(scenario.extract_settings(), since=since)
    skipped = sum(c.skipped_since for c in summary.collections)
    assert 0 < skipped < total
    assert summary.published + skipped == total
