"""``sendfx-dev logs`` for a person: the services write JSON lines
(sendfx_shared.observability.logs); each is shown as one readable line,
``time LEVEL logger: message`` and its ids, and anything else as it is."""

import json
from typing import Any, Final

_SHOWN_FIRST: Final = ("time", "level", "logger", "message", "service")
_IDS: Final = (("request_id", "req"), ("trace_id", "trace"))
_NOT_SHOWN: Final = {"span_id", "taskName", "color_message"}


def readable(line: str) -> str:
    """One JSON log line as text; a line that is not a JSON object, unchanged."""
    if not line.startswith("{"):
        return line
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError:
        return line
    if not isinstance(record, dict) or "message" not in record:
        return line
    text = (
        f"{record.get('time', '')} {str(record.get('level', '')).upper():<7} "
        f"{record.get('logger', '')}: {record['message']}"
    )
    ids = [f"{short}={record[key]}" for key, short in _IDS if record.get(key)]
    known = {*_SHOWN_FIRST, *(key for key, _ in _IDS), *_NOT_SHOWN, "exc_info"}
    extra = [f"{key}={value}" for key, value in record.items() if key not in known]
    suffix = " ".join(ids + extra)
    shown = f"{text} [{suffix}]" if suffix else text
    if record.get("exc_info"):
        shown += "\n" + str(record["exc_info"])
    return shown
