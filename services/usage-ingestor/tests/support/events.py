"""Usage events as feature-api publishes them, and publishing them (or
anything else) on the session's broker."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from sendfx_shared.events.envelope import CloudEvent, new_event
from sendfx_shared.events.openai_usage import OPENAI_CALL_COMPLETED_TYPE, OpenAICallCompleted

FEATURE_API = "/sendfx/feature-api"


def usage_event(
    workspace_id: uuid.UUID,
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    prompt: int = 1200,
    cached: int = 1024,
    completion: int = 300,
    reasoning: int = 0,
    usage_missing: bool = False,
    occurred_at: datetime | None = None,
    service: str = "ai_reply",
    event_id: str | None = None,
    **more: Any,
) -> CloudEvent[OpenAICallCompleted]:
    """``more``: the other fields of the data (service_tier, batch, audio, ...)."""
    data = OpenAICallCompleted(
        workspace_id=workspace_id,
        service=service,
        model=model,
        request_id=f"chatcmpl-{uuid.uuid4().hex[:8]}",
        prompt_tokens=0 if usage_missing else prompt,
        cached_tokens=0 if usage_missing else cached,
        completion_tokens=0 if usage_missing else completion,
        reasoning_tokens=0 if usage_missing else reasoning,
        total_tokens=0 if usage_missing else prompt + completion,
        usage_missing=usage_missing,
        latency_ms=840,
        occurred_at=occurred_at or datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        **more,
    )
    return new_event(
        source=FEATURE_API, type=OPENAI_CALL_COMPLETED_TYPE, data=data, event_id=event_id
    )


async def publish(
    producer: AIOKafkaProducer,
    topic: str,
    events: list[CloudEvent[OpenAICallCompleted]],
) -> None:
    for event in events:
        await producer.send(
            topic,
            value=event.to_json_bytes(),
            key=str(event.data.workspace_id).encode(),
            headers=event.kafka_headers(),
        )
    await producer.flush()


def binary_mode(
    event: CloudEvent[OpenAICallCompleted], traceparent: str | None = None
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The Kafka value and headers of ``event`` in CloudEvents binary mode, as a
    CloudEvents SDK producer sends it: attributes in ``ce_*`` headers, the data
    as the value, its media type in ``content-type``."""
    envelope = json.loads(event.to_json_bytes())
    data = envelope.pop("data")
    envelope.pop("datacontenttype", None)
    headers = [(f"ce_{name}", str(value).encode()) for name, value in envelope.items()]
    headers.append(("content-type", b"application/json"))
    if traceparent is not None:
        headers.append(("traceparent", traceparent.encode()))
    return json.dumps(data).encode(), headers


async def publish_binary(
    producer: AIOKafkaProducer,
    topic: str,
    events: list[CloudEvent[OpenAICallCompleted]],
    traceparent: str | None = None,
) -> None:
    for event in events:
        value, headers = binary_mode(event, traceparent)
        await producer.send(
            topic, value=value, key=str(event.data.workspace_id).encode(), headers=headers
        )
    await producer.flush()


async def publish_raw(
    producer: AIOKafkaProducer, topic: str, values: list[bytes], key: bytes = b"poison"
) -> None:
    for value in values:
        await producer.send(topic, value=value, key=key)
    await producer.flush()
