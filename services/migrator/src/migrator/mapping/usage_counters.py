"""``usagecounters`` → ``core.usage_counters``.

``period`` is ``YYYY-MM``; ``2024-3`` and full dates are read as their month.
``count`` must be a whole, non-negative number (strings accepted).
"""

import re
from typing import Any, Final

from migrator.mapping.ejson import Unmappable, integer, object_id, text, timestamp
from migrator.mapping.rows import MappedRow, Ref, created_and_updated, required, row_id

_PERIOD: Final = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MAX_INT64: Final = 2**63 - 1


def normalise_period(value: Any) -> str:
    raw = value
    if isinstance(value, dict):
        moment = timestamp(value, "period")
        if moment is None:
            raise Unmappable("period: missing")
        return f"{moment.year:04d}-{moment.month:02d}"
    period = text(value, "period")
    if not period:
        raise Unmappable("period: missing")
    match = _PERIOD.match(period)
    if match is None and len(period) > 7:
        try:
            moment = timestamp(period, "period")
        except Unmappable:
            moment = None
        if moment is not None:
            return f"{moment.year:04d}-{moment.month:02d}"
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise Unmappable(f"period: not a YYYY-MM month: {raw!r}")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def map_usage_counter(legacy_id: str, document: dict[str, Any]) -> MappedRow:
    workspace = required(object_id(document.get("workspaceId"), "workspaceId"), "workspaceId")
    metric = text(document.get("metric"), "metric")
    if not metric:
        raise Unmappable("metric: missing")
    count = integer(document.get("count"), "count")
    if count is not None and not 0 <= count <= _MAX_INT64:
        raise Unmappable(f"count: out of range: {count}")
    created_at, updated_at = created_and_updated(legacy_id, document)
    return MappedRow(
        collection="usagecounters",
        legacy_id=legacy_id,
        id=row_id("usagecounters", legacy_id),
        values={
            "metric": metric,
            "period": normalise_period(document.get("period")),
            "count": count or 0,
            "created_at": created_at,
            "updated_at": updated_at,
        },
        refs={"workspace_id": Ref("workspaces", workspace)},
    )
