"""Free-form JSON that MongoDB can store as given.

Node ``data`` and tool schemas are the client's own JSON. BSON refuses some
of what JSON allows: key names with a NUL byte or a leading ``$`` (operators)
and integers beyond 64 bits. Refusing those at the boundary turns what would
be a storage error (500) into a 422 the client can act on.
"""

from typing import Annotated, Any

from pydantic import AfterValidator

_INT64 = 2**63
MAX_DEPTH = 32


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key or key.startswith("$"):
                raise ValueError(f"key {key[:40]!r} may not start with '$' or hold a NUL byte")
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        raise ValueError("integers must fit in 64 bits")


def _bson_safe(value: dict[str, Any]) -> dict[str, Any]:
    _check(value, 0)
    return value


BsonSafeDict = Annotated[dict[str, Any], AfterValidator(_bson_safe)]
