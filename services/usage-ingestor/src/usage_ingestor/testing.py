"""Helpers for the usage-ingestor's tests and benchmark (never used in production paths)."""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

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
) -> CloudEvent[OpenAICallCompleted]:
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
    )
    return new_event(
        source=FEATURE_API, type=OPENAI_CALL_COMPLETED_TYPE, data=data, event_id=event_id
    )


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 60.0, interval: float = 0.1
) -> None:
    """Polls until ``check`` holds; the deadline only bounds a hung test."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)


async def create_workspace(pool: asyncpg.Pool, ai_tokens_monthly: int | None = None) -> uuid.UUID:
    """A workspace on a tier of its own with the given monthly token limit, as
    the ingestor knows it once core.events announced it (quotas.py)."""
    workspace_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO core.usage_workspace_quotas"
            " (workspace_id, tier_code, ai_tokens_monthly, version, event_time)"
            " VALUES ($1, $2, $3, 1, now())",
            workspace_id,
            f"t-{uuid.uuid4().hex[:12]}",
            ai_tokens_monthly,
        )
    return workspace_id


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``cut()`` drops every connection and
    refuses new ones until ``restore()`` (a database outage, seen from a client);
    ``stall()`` swallows traffic instead, so only timeouts can notice."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.up = True
        self.stalled = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                if self.stalled:
                    continue  # swallowed: the peer never hears back
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        if self.stalled:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while await reader.read(65536):
                    pass
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._writers -= {writer, up_writer}

    def cut(self) -> None:
        self.up = False
        for writer in list(self._writers):
            writer.transport.abort()

    def restore(self) -> None:
        self.up = True
        self.stalled = False

    def stall(self) -> None:
        """Keeps connections open but answers nothing (a network black hole)."""
        self.stalled = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def host_port(url: str) -> tuple[str, int]:
    authority = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = authority.partition(":")
    return host, int(port or 5432)


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


async def publish_raw(
    producer: AIOKafkaProducer, topic: str, values: list[bytes], key: bytes = b"poison"
) -> None:
    for value in values:
        await producer.send(topic, value=value, key=key)
    await producer.flush()


class DlqReader:
    """Reads a dead-letter topic by manual assignment (no group join)."""

    def __init__(self, consumer: AIOKafkaConsumer, topic: str) -> None:
        self._consumer = consumer
        self._partition = TopicPartition(topic, 0)
        self.seen: list[Any] = []

    async def read_new(self) -> list[Any]:
        batch = await self._consumer.getmany(self._partition, timeout_ms=200)
        records = batch.get(self._partition, [])
        self.seen.extend(records)
        return list(records)
