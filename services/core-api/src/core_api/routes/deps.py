from typing import Annotated

import asyncpg
from fastapi import Depends, Query, Request

from core_api.settings import CoreApiSettings
from sendfx_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def _settings(request: Request) -> CoreApiSettings:
    settings: CoreApiSettings = request.app.state.settings
    return settings


DbPool = Annotated[asyncpg.Pool, Depends(_pool)]
Settings = Annotated[CoreApiSettings, Depends(_settings)]
Cursor = Annotated[
    str | None, Query(max_length=2000, description="next_cursor of the previous page")
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
DEFAULT_PAGE = DEFAULT_LIMIT
