"""Request rates: fixed windows counted in the service's own store, so a
limit holds across every instance of the service.

Each request names a subject (the signed-in user, else the client address
the gateway saw) and adds one to that subject's counter for the current
window (``window_seconds`` long, aligned to the epoch). Past ``limit`` the
request is refused with 429 and ``Retry-After`` (the seconds until the
window ends). The store is the service's own: PostgreSQL for core-api,
MongoDB for feature-api (``RateStore``); the ``limits`` library has no
PostgreSQL storage, and one rule for both keeps them alike.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from fastapi import Request

from sendfx_shared.auth import Principal, verified_principal
from sendfx_shared.http import PROBE_PATHS, client_address
from sendfx_shared.problems import ProblemError, TooManyRequests
from sendfx_shared.settings import ServiceSettings


class RateStore(Protocol):
    async def hit(self, key: str, expires_at: datetime) -> int:
        """Add one to ``key``'s counter (kept until ``expires_at``); the new count."""
        ...


@dataclass(frozen=True)
class Window:
    key: str
    ends_at: datetime


def window_of(subject: str, at: datetime, seconds: int) -> Window:
    """The fixed window of ``seconds`` that holds ``at``, and its counter key."""
    start = math.floor(at.timestamp() / seconds) * seconds
    return Window(f"{subject}@{start}", datetime.fromtimestamp(start + seconds, UTC))


def retry_after(window: Window, at: datetime) -> int:
    """Whole seconds until the window ends, at least 1."""
    return max(1, math.ceil((window.ends_at - at).total_seconds()))


async def count_or_refuse(
    store: RateStore, subject: str, limit: int, seconds: int, what: str
) -> None:
    """One more for ``subject`` in this window; 429 past ``limit`` (0: no limit)."""
    if limit <= 0:
        return
    at = datetime.now(UTC)
    window = window_of(subject, at, seconds)
    # Kept a window longer than needed: a late instance still finds it.
    if await store.hit(window.key, window.ends_at + timedelta(seconds=seconds)) > limit:
        wait = retry_after(window, at)
        raise TooManyRequests(f"too many {what}: at most {limit} per {seconds} s", wait)


async def _principal_or_none(request: Request) -> Principal | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return await verified_principal(request, token.strip())
    except ProblemError:
        return None  # the route's own check answers 401


@dataclass(frozen=True, eq=False)  # FastAPI hashes dependencies: by identity
class RequestRates:
    """The app-wide dependency: per user (or per address when anonymous),
    counted in ``app.state.rate_store`` (set up by the lifespan)."""

    settings: ServiceSettings
    limit: int
    window_seconds: int

    async def __call__(self, request: Request) -> None:
        if request.url.path in PROBE_PATHS or request.method == "OPTIONS":
            return
        principal = await _principal_or_none(request)
        address = client_address(request, self.settings.trusted_proxies)
        subject = f"user:{principal.user_id}" if principal else f"addr:{address}"
        store: RateStore = request.app.state.rate_store
        await count_or_refuse(store, subject, self.limit, self.window_seconds, "requests")
