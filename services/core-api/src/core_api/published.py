"""Answer a write only once its events are on the bus (read-your-writes).

A change and its events commit together (the outbox); the relay publishes
them a few milliseconds later. A frontend that creates a workspace and at once
calls feature-api would otherwise race the relay: feature-api learns of the
workspace from ``core.events``. So a request whose transaction wrote events is
answered only after the relay marked them sent (or after a bounded wait,
logged when it runs out); feature-api in turn waits, on each request, until
its projection has handled everything on ``core.events`` at that moment.
Together: whatever a client was told succeeded, its next request anywhere sees.
"""

import asyncio
import contextvars
import logging
import time
from typing import Any, Final

import asyncpg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("core_api")

_EMITTED: Final[contextvars.ContextVar[list[int] | None]] = contextvars.ContextVar(
    "core_api_emitted", default=None
)
_POLL_SECONDS: Final = 0.005


def record_emitted(outbox_id: int) -> None:
    """Called by ``emit`` for every row it writes to the outbox."""
    emitted = _EMITTED.get()
    if emitted is not None:
        emitted.append(outbox_id)


async def wait_published(pool: asyncpg.Pool, ids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while True:
        pending = await pool.fetchval(
            "SELECT count(*) FROM core.outbox WHERE id = ANY($1::bigint[]) AND sent_at IS NULL",
            ids,
        )
        if not pending:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(_POLL_SECONDS)


class AnswerWhenPublished:
    """ASGI middleware: holds a response back until its request's events are sent."""

    def __init__(self, app: ASGIApp, within_seconds: float) -> None:
        self.app = app
        self.within = within_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        emitted: list[int] = []
        token = _EMITTED.set(emitted)

        async def send_when_published(message: Message) -> None:
            if message["type"] == "http.response.start" and emitted:
                ids, emitted[:] = list(emitted), []
                await self._wait(scope, ids)
            await send(message)

        try:
            await self.app(scope, receive, send_when_published)
        finally:
            _EMITTED.reset(token)

    async def _wait(self, scope: Scope, ids: list[int]) -> None:
        state: Any = scope["app"].state
        if getattr(state, "relay", None) is None:
            return  # nothing relays in this process (tests of the outbox alone)
        if not await wait_published(state.pool, ids, self.within):
            log.warning(
                "core-api: %d event(s) not yet published after %.1fs; answering anyway",
                len(ids),
                self.within,
            )
