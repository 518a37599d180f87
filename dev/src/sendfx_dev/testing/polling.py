"""Waiting in tests for what another process does eventually."""

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 60.0, interval: float = 0.1
) -> None:
    """Polls until ``check`` holds; the deadline only bounds a hung test."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)
