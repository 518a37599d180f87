"""What an operator reads on ``/metrics`` moves as a consumer works: records
consumed, a poison message on the DLQ count, lag back to 0 once caught up,
and the paused state while the broker is cut off."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from sendfx_dev.testing.broker import ProxiedBroker, proxied_broker
from sendfx_dev.testing.polling import eventually
from sendfx_dev.testing.topics import ensure_topic
from sendfx_shared.consume import EventConsumer, Handler, RawEvent
from sendfx_shared.events import new_event
from sendfx_shared.kafka import make_producer
from sendfx_shared.observability.metrics import install_metrics
from sendfx_shared.settings import KafkaSettings
from sendfx_shared.topics import dlq_of

__all__ = ["proxied_broker"]

_SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")


class Greeting(BaseModel):
    name: str


async def _greet(greeting: Greeting, event: RawEvent) -> bool:
    return True


@pytest.fixture(scope="module")
async def scrape() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_metrics(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client


async def samples(client: httpx.AsyncClient, name: str, **labels: str) -> list[float]:
    """Every value of ``name`` on /metrics whose labels include ``labels``."""
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    found: list[float] = []
    for line in answer.text.splitlines():
        match = _SAMPLE.match(line)
        if match is None or match.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            found.append(float(match.group(3)))
    return found


def _runner(settings: KafkaSettings, topic: str) -> EventConsumer:
    return EventConsumer(
        settings,
        topic,
        f"metrics-{uuid.uuid4().hex[:6]}",
        {"greeting.sent": Handler(Greeting, _greet)},
        name="metrics runner",
        retry_seconds=0.5,
    )


async def test_a_poison_message_counts_once_on_the_dlq_and_lag_returns_to_zero(
    kafka_bootstrap_servers: str, scrape: httpx.AsyncClient
) -> None:
    topic = f"metrics-{uuid.uuid4().hex[:8]}"
    await ensure_topic(kafka_bootstrap_servers, topic, partitions=3)
    await ensure_topic(kafka_bootstrap_servers, dlq_of(topic), partitions=1)
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap_servers)
    runner = _runner(settings, topic)
    await runner.start()
    producer = make_producer(settings)
    await producer.start()
    try:
        await asyncio.wait_for(runner.caught_up.wait(), 60)
        for n in range(30):
            event = new_event(source="/metrics", type="greeting.sent", data={"name": str(n)})
            await producer.send(
                topic, event.to_json_bytes(), key=str(n).encode(), headers=event.kafka_headers()
            )
        await producer.send_and_wait(topic, b"not an event", key=b"poison")
        assert await runner.wait_handled_to_now(30)

        async def consumed_all() -> bool:
            counted = await samples(scrape, "sendfx_consumer_messages_total", topic=topic)
            return counted == [31.0]

        await eventually(consumed_all, within=10)
        dead = await samples(scrape, "sendfx_dlq_messages_total", topic=topic)
        assert dead == [1.0]

        async def caught_up() -> bool:
            lags = await samples(scrape, "sendfx_consumer_lag", topic=topic)
            return len(lags) == 3 and set(lags) == {0.0}

        await eventually(caught_up, within=20)
        assert await samples(scrape, "sendfx_consumer_paused", topic=topic) == [0.0]
    finally:
        await producer.stop()
        await runner.stop()
    # a stopped consumer leaves /metrics
    assert await samples(scrape, "sendfx_consumer_lag", topic=topic) == []


@pytest.mark.slow
async def test_a_cut_broker_connection_shows_the_consumer_paused(
    proxied_broker: ProxiedBroker, scrape: httpx.AsyncClient
) -> None:
    topic = f"paused-{uuid.uuid4().hex[:8]}"
    await ensure_topic(proxied_broker.bootstrap, topic, partitions=1)
    settings = KafkaSettings(kafka_bootstrap_servers=proxied_broker.bootstrap)
    runner = _runner(settings, topic)
    await runner.start()
    try:
        await asyncio.wait_for(runner.caught_up.wait(), 60)

        async def paused_is(value: float) -> bool:
            return await samples(scrape, "sendfx_consumer_paused", topic=topic) == [value]

        assert await paused_is(0.0)
        proxied_broker.proxy.cut()
        await eventually(lambda: paused_is(1.0), within=60, interval=0.5)
        proxied_broker.proxy.restore()
        await eventually(lambda: paused_is(0.0), within=90, interval=0.5)
    finally:
        proxied_broker.proxy.restore()
        await runner.stop()
