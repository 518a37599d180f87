"""The CloudEvents 1.0 envelope, structured mode, as every topic carries it.

The Kafka value is one JSON object (envelope plus ``data``); the Kafka header
``content-type`` says ``application/cloudevents+json``. (``source``, ``id``)
identifies an event: consumers key their idempotence on that pair.
"""

import uuid
from datetime import UTC, datetime
from typing import Any, Final, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

CLOUDEVENTS_CONTENT_TYPE: Final = "application/cloudevents+json"
CONTENT_TYPE_HEADER: Final = "content-type"

DataT = TypeVar("DataT")


def utc_now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """RFC 3339 with a ``Z`` for UTC, the form every producer writes."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class EventData(BaseModel):
    """The base of every published payload: frozen, and keeping the fields a
    newer publisher adds (``extra="allow"``), so a consumer can be older."""

    model_config = ConfigDict(extra="allow", frozen=True)


class CloudEvent(BaseModel, Generic[DataT]):
    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=256)
    source: str = Field(min_length=1, max_length=512)
    type: str = Field(min_length=1, max_length=256)
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    data: DataT

    @field_serializer("time")
    def _time_rfc3339(self, value: datetime) -> str:
        return rfc3339(value)

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        return [(CONTENT_TYPE_HEADER, CLOUDEVENTS_CONTENT_TYPE.encode())]


def new_event(
    *,
    source: str,
    type: str,
    data: DataT,
    subject: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent[DataT]:
    return CloudEvent[Any](
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=type,
        time=time or utc_now(),
        subject=subject,
        data=data,
    )
