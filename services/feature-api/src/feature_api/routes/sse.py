"""Server-sent events for the AI routes, when the client asks for them
(``Accept: text/event-stream``).

The model call runs as a task of its own, so a client that goes away does
not cut it short: the reply is still stored and its usage recorded. A
failure before the first token is an ordinary problem+json answer; after it,
the stream ends with an ``error`` event carrying the problem.

Events: ``delta`` ({"content": text}) as the model writes, then ``done``
(the same body the JSON route answers) or ``error`` (a problem document).
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Final

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from feature_api.openai_client import OnDelta
from sendfx_shared.problems import PROBLEM_TYPE_BASE, ProblemError

log = logging.getLogger(__name__)

EVENT_STREAM: Final = "text/event-stream"
_running: set[asyncio.Task[Any]] = set()

SSE_RESPONSE: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "with Accept: text/event-stream: `delta` events, then `done` or `error`",
        "content": {EVENT_STREAM: {"schema": {"type": "string"}}},
    }
}


def _finished(task: asyncio.Task[BaseModel]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    # Whoever listened may be gone; a failure that is not a plain problem is
    # still worth a line in the log.
    if error is not None and not isinstance(error, ProblemError):
        log.error("AI call behind an event stream failed", exc_info=error)


def wants_events(request: Request) -> bool:
    return EVENT_STREAM in request.headers.get("accept", "")


def _event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n".encode()


def _problem(error: ProblemError) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_BASE + error.kind,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        **error.extra,
    }


async def event_stream(
    work: Callable[[OnDelta], Coroutine[Any, Any, BaseModel]],
) -> StreamingResponse:
    pieces: asyncio.Queue[str | None] = asyncio.Queue()
    task: asyncio.Task[BaseModel] = asyncio.create_task(work(pieces.put_nowait))
    _running.add(task)
    task.add_done_callback(_finished)
    task.add_done_callback(lambda _: pieces.put_nowait(None))
    first = await pieces.get()
    if first is None:
        task.result()  # a failure before any token: raised as a plain problem

    async def body() -> AsyncIterator[bytes]:
        piece = first
        while piece is not None:
            yield _event("delta", {"content": piece})
            piece = await pieces.get()
        try:
            yield _event("done", task.result().model_dump(mode="json"))
        except ProblemError as error:
            yield _event("error", _problem(error))
        except Exception:
            yield _event("error", _problem(ProblemError(500, "an unexpected error occurred")))

    return StreamingResponse(body(), media_type=EVENT_STREAM)


async def finish_running(within_seconds: float) -> None:
    """On shutdown: let AI calls whose clients stream (or left) store their
    reply and usage before the database closes."""
    if _running:
        await asyncio.wait(set(_running), timeout=within_seconds)
