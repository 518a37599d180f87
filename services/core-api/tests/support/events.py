"""core.events, read for the whole session, and the topic tools for tests
that use a topic of their own (the readers are ``sendfx_dev.testing.topics``)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from sendfx_dev.testing.topics import EventLog, ensure_topic, follow_topic, read_until
from sendfx_shared.topics import CORE_EVENTS


@pytest.fixture(scope="session")
def topic_tools() -> Any:
    """``ensure_topic`` and ``read_until``, for tests that use a topic of their own."""

    @dataclass(frozen=True)
    class Tools:
        ensure_topic: Callable[..., Any] = ensure_topic
        read_until: Callable[..., Any] = read_until

    return Tools()


@pytest.fixture(scope="session")
async def core_events(kafka_bootstrap_servers: str, topic_prefix: str) -> AsyncIterator[EventLog]:
    topic = f"{topic_prefix}{CORE_EVENTS}"
    await ensure_topic(kafka_bootstrap_servers, topic)
    log = EventLog()
    task = asyncio.create_task(follow_topic(kafka_bootstrap_servers, topic, log))
    try:
        yield log
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
