"""One legacy document as a ``migrator.core-record`` CloudEvent (structured mode).

The envelope is assembled around the document's extended JSON text rather than
re-serialising a model, since extract publishes every legacy document; the
shape is the shared ``CloudEvent[CoreRecord]`` (tests parse it back with it).
"""

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any, Final

from bson import json_util
from bson.objectid import ObjectId

from sendfx_shared.events.envelope import rfc3339
from sendfx_shared.events.migrator import (
    MIGRATOR_CORE_RECORD_TYPE,
    MIGRATOR_SOURCE,
    LegacyCollection,
)

_EVENT_NAMESPACE: Final = uuid.UUID("0d3f6a8e-2b4c-5d1e-9f7a-3c5b8e1d2a4f")
_JSON_OPTIONS: Final = json_util.RELAXED_JSON_OPTIONS


class NotAnObjectId(ValueError):
    """A legacy ``_id`` that is not an ObjectId cannot name a core row."""


def legacy_id_of(document: dict[str, Any]) -> str:
    raw = document.get("_id")
    if isinstance(raw, ObjectId):
        return str(raw)
    if isinstance(raw, str) and ObjectId.is_valid(raw) and len(raw) == 24:
        return raw.lower()
    raise NotAnObjectId(f"_id is not an ObjectId: {raw!r}")


def event_id(collection: str, legacy_id: str, document_json: str) -> str:
    """Same document, same id: a re-extract of an unchanged record is a duplicate
    a consumer may recognise; a changed record gets a new id."""
    digest = hashlib.sha256(document_json.encode()).hexdigest()
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{collection}:{legacy_id}:{digest}"))


def encode_record(
    collection: LegacyCollection, legacy_id: str, document: dict[str, Any], now: datetime
) -> tuple[bytes, bytes]:
    """(key, value) of the Kafka message for one legacy document."""
    document_json = json_util.dumps(document, json_options=_JSON_OPTIONS, sort_keys=True)
    key = f"{collection}:{legacy_id}"
    parts = [
        '{"specversion":"1.0","id":',
        json.dumps(event_id(collection, legacy_id, document_json)),
        ',"source":',
        json.dumps(MIGRATOR_SOURCE),
        ',"type":',
        json.dumps(MIGRATOR_CORE_RECORD_TYPE),
        ',"time":',
        json.dumps(rfc3339(now)),
        ',"subject":',
        json.dumps(key),
        ',"datacontenttype":"application/json","data":{"collection":',
        json.dumps(collection),
        ',"legacy_id":',
        json.dumps(legacy_id),
        ',"document":',
        document_json,
        "}}",
    ]
    value = "".join(parts)
    return key.encode(), value.encode()
