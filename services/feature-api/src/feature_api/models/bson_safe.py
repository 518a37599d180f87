"""Free-form JSON that MongoDB can store as given.

Node ``data`` and tool schemas are the client's own JSON. BSON refuses some
of what JSON allows: key names with a NUL byte or a leading ``$`` (operators)
and integers beyond 64 bits. Refusing those at the boundary turns what would
be a storage error (500) into a 422 the client can act on; so does the
size cap of a flow or draft (``check_document_size``).
"""

from typing import Annotated, Any

import bson
from pydantic import AfterValidator, BaseModel

from sendfx_shared.problems import FieldError, ProblemError

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


# MongoDB refuses a document over 16 MiB (DocumentTooLarge); flows and drafts
# stop well below, leaving room for the fields stored beside them and for a
# published template's copy.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024


def check_document_size(body: BaseModel, what: str) -> None:
    """422 when ``body`` would be stored as a document over the cap."""
    size = len(bson.encode(body.model_dump(mode="json")))
    if size > MAX_DOCUMENT_BYTES:
        raise ProblemError(
            422,
            f"this {what} takes {size} bytes as stored; the limit is {MAX_DOCUMENT_BYTES}",
            kind="document-too-large",
            errors=[
                FieldError(
                    field="(request)",
                    message=f"stored size {size} bytes exceeds {MAX_DOCUMENT_BYTES}",
                    type="document_too_large",
                )
            ],
        )
