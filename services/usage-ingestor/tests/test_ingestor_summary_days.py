"""Property: the summary's days are exactly the time zone's calendar days of
the calls, across daylight-saving changes and at any offset, against a
reference that asks Python's zoneinfo for each call's local date."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendfx_shared.postgres import connect
from usage_ingestor.price_book import PriceBook
from usage_ingestor.repositories.usage_summary import summary_rows
from usage_ingestor.services.days import utc_span
from usage_ingestor.services.usage_summary import summary_of
from usage_ingestor.store import UsageColumns, write_batch

from .support import usage_event

ZONES = (
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute daylight-saving shift
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 with daylight saving
    "America/Santiago",  # changes at local midnight
    "America/Havana",
    "Pacific/Chatham",  # +12:45 / +13:45
)
# 2026's daylight-saving changes (the US, the EU, the south, Chile) and New Year.
CHANGES = [
    datetime(2026, m, d, tzinfo=UTC)
    for m, d in ((3, 8), (3, 29), (4, 5), (9, 6), (9, 27), (10, 4), (10, 25), (11, 1), (1, 1))
]


@st.composite
def moments(draw: st.DrawFn, zone: str) -> datetime:
    """Near the changes; mostly within two hours of a local midnight of ``zone``
    (where a day's edge can fall inside a UTC hour)."""
    base = draw(st.sampled_from(CHANGES)) + timedelta(days=draw(st.integers(-1, 1)))
    if draw(st.booleans()):
        midnight = datetime.combine(base.date(), time(), ZoneInfo(zone)).astimezone(UTC)
        return midnight + timedelta(minutes=draw(st.integers(-120, 120)))
    return base + timedelta(minutes=draw(st.integers(-36 * 60, 36 * 60)))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, list[datetime]]:
    zone = draw(st.sampled_from(ZONES))
    return zone, draw(st.lists(moments(zone), min_size=1, max_size=30))


async def scenario(url: str, zone: str, times: list[datetime], trim: tuple[int, int]) -> None:
    local = [t.astimezone(ZoneInfo(zone)).date() for t in times]
    first = min(local) + timedelta(days=trim[0])
    last = max(max(local) - timedelta(days=trim[1]), first)
    workspace = uuid.uuid4()
    events = [usage_event(workspace, model="acme-x", occurred_at=t) for t in times]
    conn = await connect(url)
    try:
        await write_batch(conn, UsageColumns.of(events, PriceBook()))
        rows = await summary_rows(conn, workspace, first, last, zone, utc_span(first, last))
    finally:
        await conn.close()
    summary = summary_of(rows, workspace, first, last, zone)

    expected = Counter(day for day in local if first <= day <= last)
    assert {d.day: d.calls for d in summary.by_day} == dict(expected)
    assert summary.totals.calls == sum(expected.values())
    assert summary.totals.total_tokens == 1500 * sum(expected.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.tuples(st.integers(0, 1), st.integers(0, 1)))
def test_summary_days_are_the_zones_calendar_days(
    postgres_url: str, drawn: tuple[str, list[datetime]], trim: tuple[int, int]
) -> None:
    zone, times = drawn
    asyncio.run(scenario(postgres_url, zone, times, trim))
