"""What every FastAPI service shares: problem handlers, health, request ids,
the caller's address.

``X-Request-ID`` is validated as the gateway does (CONTRACT.md): 1 to 128
characters of ``[A-Za-z0-9._-]``, anything else is replaced by a new id, so a
client cannot inject text into logs through it. The id is in a context
variable for the request's duration, so an error logged anywhere below (a
provider's or the database's text, which never reaches the client) names it.
"""

import ipaddress
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable

from fastapi import FastAPI, Request, Response

from sendfx_shared.problems import current_request_id, install_problem_handlers

REQUEST_ID_HEADER = "X-Request-ID"
# What health checks and Prometheus poll: neither throttled nor traced.
PROBE_PATHS = frozenset({"/healthz", "/metrics"})
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def request_id_of(given: str | None) -> str:
    """``given`` when it is a valid request id, else a new one."""
    if given is not None and _VALID_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def install_common(app: FastAPI) -> None:
    install_problem_handlers(app)

    @app.middleware("http")
    async def _request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request_id_of(request.headers.get(REQUEST_ID_HEADER))
        request.state.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = await call_next(request)
        finally:
            current_request_id.reset(token)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response


def _within(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request, trusted_proxies: Iterable[str]) -> str:
    """The caller's address. ``X-Real-IP`` / ``X-Forwarded-For`` are believed
    only from a trusted proxy (the gateway); through a chain of them, the
    right-most forwarded address that is not a trusted proxy is the client."""
    peer = request.client.host if request.client else "unknown"
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
    if not _within(peer, networks):
        return peer
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _within(address, networks):
            return address
    return request.headers.get("x-real-ip", "").strip() or peer
