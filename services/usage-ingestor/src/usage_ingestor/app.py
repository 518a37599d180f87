"""usage-ingestor's HTTP app on ``USAGE_INGESTOR_PORT``: ``/healthz``,
``/openapi.json`` and the usage routes of CONTRACT.md (the summary, the calls,
reprice), which it serves because it owns the usage tables; the gateway
routes them here. The consumers run in the app's lifespan (runtime.py).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from sendfx_shared.auth import Principal, authenticator_for
from sendfx_shared.http import install_common
from sendfx_shared.observability import instrument_app, server_spans
from sendfx_shared.secrets import refuse_development_secrets
from usage_ingestor.routes import reprice, usage
from usage_ingestor.runtime import Ingestor, running
from usage_ingestor.settings import PROCESS_NAME, IngestorSettings
from usage_ingestor.token_holders import token_not_revoked

__all__ = ["Health", "Ingestor", "build_app", "running"]


class Health(BaseModel):
    """``/healthz``: ok while consuming; degraded (503) while the database is away."""

    model_config = ConfigDict(extra="allow")

    status: str
    topic: str
    partitions: list[int] = []


def build_app(settings: IngestorSettings) -> FastAPI:
    refuse_development_secrets(PROCESS_NAME, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as ingestor:
            app.state.ingestor = ingestor
            yield

    app = FastAPI(
        title="sendfx usage-ingestor",
        version="0.1.0",
        description="Consumes openai.call.completed into the usage tables, exactly once,"
        " and serves the usage summary, the calls and reprice.",
        lifespan=lifespan,
        telemetry=server_spans(),
    )

    async def not_revoked(principal: Principal) -> None:
        ingestor: Ingestor = app.state.ingestor
        await token_not_revoked(ingestor.pool, principal)

    # The admin usage routes verify core-api's tokens with its public keys,
    # and refuse those core.events has since revoked.
    app.state.authenticator = authenticator_for(settings, PROCESS_NAME, check=not_revoked)
    install_common(app)
    app.include_router(usage.router)
    app.include_router(reprice.router)
    instrument_app(app, PROCESS_NAME)

    @app.get(
        "/healthz",
        response_model=Health,
        summary="Liveness and ingestion counters",
        responses={503: {"model": Health, "description": "paused: the database is away"}},
    )
    async def healthz() -> JSONResponse:
        body = app.state.ingestor.health()
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    return app
