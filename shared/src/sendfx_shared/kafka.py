"""Kafka helpers every producer and consumer uses.

The broker may be a real Apache Kafka or Tansu locally; neither idempotent
producers nor transactions are relied upon (Tansu lacks them). Exactly-once
effects come from the transactional outboxes on the producing side and
idempotent writes keyed by (source, id) on the consuming side.
"""

import json
import re
from collections.abc import Sequence
from typing import Any, Final

from aiokafka import AIOKafkaProducer

from sendfx_shared.events.envelope import CONTENT_TYPE_HEADER
from sendfx_shared.observability.catalog import DEAD_LETTERED
from sendfx_shared.settings import KafkaSettings
from sendfx_shared.topics import dlq_of

DLQ_REASON_HEADER: Final = "x-dlq-reason"
DLQ_ORIGINAL_TOPIC_HEADER: Final = "x-dlq-original-topic"
# A reason is "<kind>: <detail>", the kind a constant of the rejecting code.
_REASON_KIND: Final = re.compile(r"([A-Za-z][A-Za-z .]{0,48}):")


def make_producer(settings: KafkaSettings, **overrides: Any) -> AIOKafkaProducer:
    options: dict[str, Any] = {
        **settings.kafka_client_options(),
        "acks": "all",
        "linger_ms": 5,
        "enable_idempotence": False,
        "request_timeout_ms": 10_000,
        "retry_backoff_ms": 200,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def reason_kind(reason: str) -> str:
    """The bounded part of a rejection reason, as a metric label
    (``invalid event: …`` → ``invalid_event``); ``other`` when it has none."""
    found = _REASON_KIND.match(reason)
    if found is None:
        return "other"
    return re.sub(r"[^a-z0-9]+", "_", found.group(1).lower()).strip("_")


def dlq_body(original_value: bytes | None, reason: str) -> bytes:
    """The dead-letter body: the original message (as JSON when it was JSON,
    else as text) beside the reason it was rejected."""
    raw = original_value or b""
    original: Any
    try:
        original = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        original = raw.decode("utf-8", errors="replace")
    return json.dumps({"reason": reason, "original": original}).encode()


async def publish_to_dlq(
    producer: AIOKafkaProducer,
    topic: str,
    *,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    reason: str,
) -> None:
    """Send a rejected message to ``<topic>.dlq`` with the reason in a header
    and in the body; the original headers travel along."""
    kept = [(k, v) for k, v in headers if k not in (DLQ_REASON_HEADER, CONTENT_TYPE_HEADER)]
    await producer.send_and_wait(
        dlq_of(topic),
        value=dlq_body(value, reason),
        key=key,
        headers=[
            *kept,
            (CONTENT_TYPE_HEADER, b"application/json"),
            (DLQ_REASON_HEADER, reason.encode()[:1000]),
            (DLQ_ORIGINAL_TOPIC_HEADER, topic.encode()),
        ],
    )
    DEAD_LETTERED.labels(topic, reason_kind(reason)).inc()
