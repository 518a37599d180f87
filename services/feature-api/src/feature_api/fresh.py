"""Serve a request only once the read model has caught up with ``core.events``.

core-api answers a write only after its events are on the bus
(``core_api/published.py``); here, before a request reaches its route, the
``core.events`` projection is given a bounded wait until it has handled every
event on the topic at that moment. So a workspace created, a member added or a
role granted is usable on the very next request, and a member removed loses
access at once; an unknown workspace still answers 404 as soon as the
projection is current (usually at once: it waits only for events in flight).
"""

import logging
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("feature_api")


class ServeWhenCurrent:
    """ASGI middleware for the authenticated API (``/api/`` with a bearer token)."""

    def __init__(self, app: ASGIApp, within_seconds: float) -> None:
        self.app = app
        self.within = within_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/") and _has_token(scope):
            projection: Any = getattr(scope["app"].state, "projection", None)
            if projection is not None and not await projection.wait_handled_to_now(self.within):
                log.warning("feature-api: core.events not caught up within %.1fs", self.within)
        await self.app(scope, receive, send)


def _has_token(scope: Scope) -> bool:
    return any(name == b"authorization" for name, _ in scope.get("headers", ()))
