"""PostgreSQL connections for the processes that own core data (never feature-api).

Every connection names its process in ``application_name`` (the contract's
``core-api``, ``usage-ingestor``, ``migrator-load``, …), so the server's own
views and logs say who did what. The migration runner is
``sendfx_shared.migrations``.
"""

import json
from typing import Any

import asyncpg


async def _init_connection(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


def _server_settings(application_name: str | None) -> dict[str, str]:
    return {"application_name": application_name} if application_name else {}


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
        init=_init_connection,
        server_settings=_server_settings(application_name),
        **kwargs,
    )
    assert pool is not None
    return pool


async def connect(url: str, *, application_name: str | None = None) -> asyncpg.Connection:
    connection = await asyncpg.connect(url, server_settings=_server_settings(application_name))
    await _init_connection(connection)
    return connection
