"""A full extract + load over realistic legacy data with every defect."""

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.testing import Scenario


async def test_full_run_migrates_every_record_or_reports_why(scenario: Scenario) -> None:
    extracted = await run_extract(scenario.extract_settings())
    total = sum(len(d) for d in scenario.documents.values())
    assert extracted.published == total

    summary = await run_load(scenario.load_settings())
    assert summary.consumed == total
    migrated = sum(summary.outcome.migrated.values())
    rejected = {(c, legacy_id) for c, legacy_id, _ in summary.rejects}
    assert migrated + len(rejected) == total
