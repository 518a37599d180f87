from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from core_api.settings import CoreApiSettings


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def _settings(request: Request) -> CoreApiSettings:
    settings: CoreApiSettings = request.app.state.settings
    return settings


DbPool = Annotated[asyncpg.Pool, Depends(_pool)]
Settings = Annotated[CoreApiSettings, Depends(_settings)]
