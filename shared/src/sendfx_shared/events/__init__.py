"""Event envelope and the data model of each topic."""

from sendfx_shared.events.envelope import (
    CLOUDEVENTS_CONTENT_TYPE,
    CONTENT_TYPE_HEADER,
    CloudEvent,
    new_event,
    rfc3339,
    utc_now,
)

__all__ = [
    "CLOUDEVENTS_CONTENT_TYPE",
    "CONTENT_TYPE_HEADER",
    "CloudEvent",
    "new_event",
    "rfc3339",
    "utc_now",
]
