"""extract --since: only the records changed since a moment are published
(a crash and resume is test_migrator_kill.py, by SIGKILL from outside)."""

from migrator.extract import run_extract

from .support import Scenario


async def test_extract_since_publishes_only_recent_changes(scenario: Scenario) -> None:
    from datetime import UTC, datetime

    total = sum(len(d) for d in scenario.documents.values())
    since = datetime(2022, 6, 1, tzinfo=UTC)
    summary = await run_extract(scenario.extract_settings(), since=since)
    skipped = sum(c.skipped_since for c in summary.collections)
    assert 0 < skipped < total
    assert summary.published + skipped == total
