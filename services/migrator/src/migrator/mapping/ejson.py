"""Reading legacy values given as MongoDB extended JSON, however they were stored.

The legacy application was loose about types: dates arrive as ``{"$date": …}``,
ISO strings, or epoch numbers (seconds or milliseconds); numbers as numbers,
numeric strings or ``{"$numberLong": …}``; booleans as strings. Every reader
returns ``None`` for "absent" and raises :class:`Unmappable` for a value that
is present but cannot be understood, so the record is rejected with a reason
rather than guessed at. No bson import: the load side uses these too.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

# Epoch numbers above this are milliseconds (it is 2286 in seconds).
_EPOCH_MS_THRESHOLD: Final = 10_000_000_000
_OBJECT_ID: Final = re.compile(r"^[0-9a-fA-F]{24}$")
_NUMERIC: Final = re.compile(r"\s*-?\d+(\.\d+)?\s*")
_TRUE: Final = frozenset({"true", "1", "yes", "y", "on", "t"})
_FALSE: Final = frozenset({"false", "0", "no", "n", "off", "f", ""})
_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST: Final = _UNIX_EPOCH
_LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)


class Unmappable(ValueError):
    """A legacy value (or record) that cannot be migrated; the message is the reason."""


def _unwrap_number(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        for key in ("$numberLong", "$numberInt", "$numberDouble", "$numberDecimal"):
            if key in value:
                return value[key]
    return value


def object_id(value: Any, field: str) -> str | None:
    """An ObjectId reference as lower-case hex."""
    if value is None:
        return None
    if isinstance(value, dict) and "$oid" in value:
        value = value["$oid"]
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        if _OBJECT_ID.match(text):
            return text.lower()
    raise Unmappable(f"{field}: not an ObjectId: {value!r}")


def timestamp(value: Any, field: str) -> datetime | None:
    """A moment as an aware UTC datetime, truncated to milliseconds like BSON dates."""
    if value is None:
        return None
    if type(value) is dict and "$date" in value:
        value = value["$date"]
    if type(value) is str:  # the common case first: ISO 8601, as Mongo's $date
        text = value.strip()
        if text == "":
            return None
        if text[0].isdigit() and _NUMERIC.fullmatch(text):
            # Before fromisoformat, which would read "1609459200000" as a basic-format date.
            moment = _from_epoch(text, value, field)
        else:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise Unmappable(f"{field}: not a date: {value!r}") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    elif isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        value = _unwrap_number(value)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise Unmappable(f"{field}: not a date: {value!r}")
        if isinstance(value, str) and not _NUMERIC.fullmatch(value):
            raise Unmappable(f"{field}: not a date: {value!r}")
        moment = _from_epoch(value, value, field)
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    if not _EARLIEST <= moment < _LATEST:
        raise Unmappable(f"{field}: date out of range: {value!r}")
    if moment.microsecond % 1000:
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return moment


def _from_epoch(number_like: Any, raw: Any, field: str) -> datetime:
    """Epoch seconds or milliseconds (told apart by size), in exact arithmetic:
    a float would drift by a millisecond on some values."""
    if type(number_like) is int or (type(number_like) is str and "." not in number_like):
        # Whole numbers (nearly all of them) need no Decimal: int is exact too.
        whole = int(number_like)
        if abs(whole) > _EPOCH_MS_THRESHOLD * 10_000:
            raise Unmappable(f"{field}: not a date: {raw!r}")
        whole_ms = whole if abs(whole) >= _EPOCH_MS_THRESHOLD else whole * 1000
        return _UNIX_EPOCH + timedelta(milliseconds=whole_ms)
    try:
        number = Decimal(str(number_like).strip())
    except InvalidOperation as exc:
        raise Unmappable(f"{field}: not a date: {raw!r}") from exc
    if not number.is_finite() or abs(number) > _EPOCH_MS_THRESHOLD * 10_000:
        raise Unmappable(f"{field}: not a date: {raw!r}")
    millis = number if abs(number) >= _EPOCH_MS_THRESHOLD else number * 1000
    return _UNIX_EPOCH + timedelta(milliseconds=int(millis))


def decimal(value: Any, field: str) -> Decimal | None:
    value = _unwrap_number(value)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise Unmappable(f"{field}: not a number: {value!r}")
    try:
        number = Decimal(value.strip().replace(",", "") if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError) as exc:
        raise Unmappable(f"{field}: not a number: {value!r}") from exc
    if not number.is_finite():
        raise Unmappable(f"{field}: not a number: {value!r}")
    return number


def integer(value: Any, field: str) -> int | None:
    number = decimal(value, field)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise Unmappable(f"{field}: not a whole number: {value!r}")
    return int(number)


def boolean(value: Any, field: str) -> bool | None:
    value = _unwrap_number(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise Unmappable(f"{field}: not a boolean: {value!r}")


def text(value: Any, field: str) -> str | None:
    """A string, trimmed; numbers are accepted as their decimal text."""
    value = _unwrap_number(value)
    if value is None:
        return None
    if isinstance(value, bool | dict | list):
        raise Unmappable(f"{field}: not text: {value!r}")
    result = str(value).strip()
    if "\x00" in result:
        raise Unmappable(f"{field}: contains a NUL character")
    return result
