"""The one consumer runner: both CloudEvents modes, the handler table, the DLQ."""

import asyncio
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from sendfx_shared.consume import (
    EventConsumer,
    Handler,
    RawEvent,
    Undecodable,
    decode_event,
    dispatch,
    traceparent_of,
    with_trace_context,
)
from sendfx_shared.events import new_event
from sendfx_shared.kafka import DLQ_REASON_HEADER, make_producer
from sendfx_shared.settings import KafkaSettings
from sendfx_shared.topics import dlq_of

from .test_shared_kafka import create_topics, read_one

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


def binary_mode(event: RawEvent) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The Kafka binding's binary mode, as a CloudEvents SDK producer sends it."""
    headers = [("content-type", b"application/json")]
    for name in ("specversion", "id", "source", "type", "time", "subject"):
        value = event.model_dump(mode="json").get(name)
        if value is not None:
            headers.append((f"ce_{name}", str(value).encode()))
    return json.dumps(event.data).encode(), headers


@given(data=st.dictionaries(texts, json_values, max_size=4), subject=st.none() | texts)
def test_structured_and_binary_mode_decode_to_the_same_event(
    data: dict[str, Any], subject: str | None
) -> None:
    event = RawEvent.model_validate(
        new_event(source="/x", type="t.changed", data=data, subject=subject).model_dump()
    )
    structured = decode_event(event.to_json_bytes(), event.kafka_headers())
    value, headers = binary_mode(event)
    assert structured == decode_event(value, headers) == event


def test_binary_mode_with_data_that_is_not_json_is_refused() -> None:
    with pytest.raises(Undecodable):
        decode_event(b"<xml/>", [("content-type", b"application/xml"), ("ce_id", b"1")])
    with pytest.raises(Undecodable):
        decode_event(b"{not json", [("content-type", b"application/json"), ("ce_id", b"1")])


TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_the_producers_trace_context_reaches_the_handler_in_both_modes() -> None:
    event = RawEvent.model_validate(new_event(source="/x", type="t", data={}).model_dump())
    value, headers = binary_mode(event)
    traced = [*headers, ("ce_traceparent", TRACE.encode())]
    from_header = [*event.kafka_headers(), ("traceparent", TRACE.encode())]

    binary = with_trace_context(decode_event(value, traced), traced)
    structured = with_trace_context(decode_event(event.to_json_bytes(), from_header), from_header)

    assert binary.model_extra == structured.model_extra == {"traceparent": TRACE}
    untraced = with_trace_context(event, event.kafka_headers())
    assert untraced is event and traceparent_of(event.kafka_headers(), event) is None
    assert traceparent_of([("traceparent", b"00-" + b"0" * 32 + b"-" + b"1" * 16 + b"-01")]) is None


class Greeting(BaseModel):
    name: str


async def test_dispatch_validates_into_the_model_and_skips_unknown_types() -> None:
    seen: list[str] = []

    async def greet(greeting: Greeting, event: RawEvent) -> bool:
        seen.append(greeting.name)
        return True

    table = {"greeting.sent": Handler(Greeting, greet)}
    known = RawEvent.model_validate(
        new_event(source="/x", type="greeting.sent", data={"name": "ada"}).model_dump()
    )
    other = known.model_copy(update={"type": "greeting.deleted"})
    assert await dispatch(table, known)
    assert not await dispatch(table, other)
    with pytest.raises(ValidationError):
        await dispatch(table, known.model_copy(update={"data": {"name": 3}}))
    assert seen == ["ada"]


async def test_the_runner_handles_in_order_dead_letters_and_catches_up(
    kafka_bootstrap_servers: str,
) -> None:
    topic = f"consume-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap_servers, topic, dlq_of(topic))
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap_servers)
    producer = make_producer(settings)
    await producer.start()
    events = [new_event(source="/x", type="greeting.sent", data={"name": n}) for n in "abc"]
    try:
        await producer.send_and_wait(
            topic, events[0].to_json_bytes(), headers=events[0].kafka_headers()
        )
        await producer.send_and_wait(topic, b"not an event", headers=events[0].kafka_headers())
        bad = new_event(source="/x", type="greeting.sent", data={"name": 7})
        await producer.send_and_wait(topic, bad.to_json_bytes(), headers=bad.kafka_headers())
        for event in events[1:]:
            value, headers = binary_mode(RawEvent.model_validate(event.model_dump()))
            await producer.send_and_wait(topic, value, headers=headers)
    finally:
        await producer.stop()
    seen: list[str] = []

    async def greet(greeting: Greeting, event: RawEvent) -> bool:
        seen.append(greeting.name)
        return True

    runner = EventConsumer(
        settings,
        topic,
        f"g-{uuid.uuid4().hex[:6]}",
        {"greeting.sent": Handler(Greeting, greet)},
        name="test runner",
    )
    await runner.start()
    try:
        await asyncio.wait_for(runner.caught_up.wait(), 60)
    finally:
        await runner.stop()
    assert seen == ["a", "b", "c"]
    assert (runner.stats.consumed, runner.stats.applied, runner.stats.dead_lettered) == (5, 3, 2)
    _, value, headers = await read_one(kafka_bootstrap_servers, dlq_of(topic))
    assert headers[DLQ_REASON_HEADER].startswith(b"invalid event")
    assert value is not None and json.loads(value)["original"] == "not an event"


async def test_a_slowed_handler_is_waited_for_up_to_the_bound(
    kafka_bootstrap_servers: str,
) -> None:
    """Read-your-writes with the projection deliberately slowed: a request waits
    until what is on the topic now is handled, never longer than its bound."""
    topic = f"slow-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap_servers, topic, dlq_of(topic))
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap_servers)
    seen: list[str] = []

    async def slowly(greeting: Greeting, event: RawEvent) -> bool:
        await asyncio.sleep(0.3)
        seen.append(greeting.name)
        return True

    runner = EventConsumer(
        settings,
        topic,
        f"g-{uuid.uuid4().hex[:6]}",
        {"greeting.sent": Handler(Greeting, slowly)},
        name="slow runner",
    )
    await runner.start()
    producer = make_producer(settings)
    await producer.start()
    try:
        await asyncio.wait_for(runner.caught_up.wait(), 60)
        for name in "xyz":
            event = new_event(source="/x", type="greeting.sent", data={"name": name})
            await producer.send_and_wait(
                topic, event.to_json_bytes(), headers=event.kafka_headers()
            )
        assert not await runner.wait_handled_to_now(0.2)  # the bound holds
        assert await runner.wait_handled_to_now(10)
        assert seen == ["x", "y", "z"]  # everything on the topic was handled first
        assert await runner.wait_handled_to_now(0.5)  # nothing in flight: at once
    finally:
        await producer.stop()
        await runner.stop()
