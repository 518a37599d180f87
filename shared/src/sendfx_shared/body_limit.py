"""Request body size limit for every HTTP service: 413 problem+json, never a 5xx.

A declared ``Content-Length`` over the limit is refused before anything is
read; a body sent without one (chunked) is counted as it arrives and refused
as soon as it passes the limit, so no route ever holds more than the limit
in memory. (Starlette's own ``max_body_size`` answers such requests with
``text/plain``, replacing any problem body, hence this small middleware.)
Installed outermost, it answers the same for every route.
"""

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sendfx_shared.problems import problem_response


def _too_large(limit: int) -> str:
    return f"the request body is larger than this service accepts ({limit} bytes)"


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            status, detail = (
                (413, _too_large(self.max_bytes))
                if declared.isdigit()
                else (400, "invalid Content-Length")
            )
            await problem_response(status, detail)(scope, receive, send)
            return
        received = 0
        exceeded = answered = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise HTTPException(413, _too_large(self.max_bytes))
            return message

        async def answer_413() -> None:
            nonlocal answered
            if not answered:
                answered = True
                await problem_response(413, _too_large(self.max_bytes))(scope, receive, send)

        async def guarded(message: Message) -> None:
            # Whatever the app makes of the cut-off body (FastAPI: a 400), the
            # client learns the real reason.
            if exceeded:
                await answer_413()
                return
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
            await answer_413()
