"""Days of a time zone: the ``tz`` query parameter, the default range, and
the UTC span that surely covers a range of local days.

A call belongs to the calendar day its ``occurred_at`` has in the zone;
PostgreSQL decides that (``AT TIME ZONE``) for the summary and the calls
alike, so both always agree. The span here only narrows the index range.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sendfx_shared.problems import ProblemError

# Far beyond any UTC offset a zone ever had (at most about ±16 h).
_MARGIN = timedelta(days=1)


def zone_of(tz: str) -> ZoneInfo:
    """The IANA zone named ``tz``, or a 422."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ProblemError(
            422, f"{tz!r} is not an IANA time zone (e.g. Europe/Paris)", kind="validation-error"
        ) from exc


def day_range(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[date, date]:
    """``from``/``to`` as given; by default the zone's current month (or the
    month of the one given)."""
    today = datetime.now(zone).date()
    month_first = today.replace(day=1)
    month_last = (month_first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    first = first or (month_first if last is None else last.replace(day=1))
    last = last or max(month_last, first)
    if first > last:
        raise ProblemError(422, "'from' must not be after 'to'", kind="validation-error")
    return first, last


def utc_span(first: date, last: date) -> tuple[datetime, datetime]:
    """A UTC interval holding every instant of the local days ``first``..``last``
    in any zone."""
    start = datetime.combine(first, time(), UTC) - _MARGIN
    return start, datetime.combine(last + timedelta(days=1), time(), UTC) + _MARGIN
