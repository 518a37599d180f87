"""PostgreSQL connections for the processes that own core data (never feature-api).

Every connection names its process in ``application_name`` (and reports a
refused statement, ``sendfx_shared.refusals``) (the contract's
``core-api``, ``usage-ingestor``, ``migrator-load``, …), so the server's own
views and logs say who did what. The migration runner is
``sendfx_shared.migrations``.
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from sendfx_shared.refusals import postgres_query_logger


async def _init_connection(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


def _server_settings(application_name: str | None) -> dict[str, str]:
    return {"application_name": application_name} if application_name else {}


def _init_for(
    url: str, application_name: str | None
) -> Callable[[asyncpg.Connection], Coroutine[Any, Any, None]]:
    """Codecs, and for a named process the report of every refused statement."""
    role = urlsplit(url).username or "?"

    async def init(connection: asyncpg.Connection) -> None:
        await _init_connection(connection)
        if application_name:
            connection.add_query_logger(postgres_query_logger(application_name, role))

    return init


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What a released connection needs beyond asyncpg's own cleanup (an open
    transaction rolled back, listeners dropped): nothing. asyncpg's default
    reset is a round trip per release (``pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL``), and a request releases a connection for each of
    its queries. Pooled connections hold no session state to undo: settings
    are ``SET LOCAL``, advisory locks are transaction-scoped, and LISTEN and the
    migrations' session lock use connections of their own (``connect``)."""


async def create_pool(
    url: str,
    *,
    application_name: str | None = None,
    min_size: int = 1,
    max_size: int = 10,
    **kwargs: Any,
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=_init_for(url, application_name),
        reset=_keep_session,
        server_settings=_server_settings(application_name),
        **kwargs,
    )
    assert pool is not None
    return pool


async def connect(url: str, *, application_name: str | None = None) -> asyncpg.Connection:
    connection = await asyncpg.connect(url, server_settings=_server_settings(application_name))
    await _init_for(url, application_name)(connection)
    return connection
