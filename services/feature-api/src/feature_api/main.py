"""The feature-api process: app factory, lifespan and console script.

Start-up order: refuse a PostgreSQL URL → Mongo client → indexes → outbox
relay → ``core.events`` projection. Shutdown runs it backwards.
"""

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI, Request, Response
from pymongo.errors import DocumentTooLarge

from feature_api.context import AppContext
from feature_api.database import ensure_indexes, open_database
from feature_api.fresh import ServeWhenCurrent
from feature_api.projection import CoreEventsProjection
from feature_api.repositories.request_rates import MongoRateStore
from feature_api.routes import (
    admin_settings,
    ai,
    conversations,
    flow_builder,
    flows,
    health,
    knowledge,
    sse,
)
from feature_api.services.access import token_not_revoked
from feature_api.settings import PROCESS_NAME, FeatureSettings, load_settings
from feature_api.telemetry import TracedOpenAIClient
from sendfx_shared.auth import Principal, authenticator_for
from sendfx_shared.body_limit import BodySizeLimit
from sendfx_shared.http import install_common
from sendfx_shared.mongo import client_options
from sendfx_shared.observability import instrument_app, server_spans
from sendfx_shared.outbox.mongo import MongoOutboxRelay, MongoRelayConfig
from sendfx_shared.ownership import refuse_foreign_store
from sendfx_shared.problems import problem_response
from sendfx_shared.secrets import refuse_development_secrets
from sendfx_shared.serve import serve
from sendfx_shared.throttle import RequestRates

log = logging.getLogger(__name__)


def create_app(settings: FeatureSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    refuse_development_secrets(PROCESS_NAME, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        refuse_foreign_store(PROCESS_NAME, "mongo")
        database = open_database(
            settings.mongo_url,
            settings.mongo_database,
            **client_options(settings, PROCESS_NAME),
        )
        openai = TracedOpenAIClient(settings)
        relay: MongoOutboxRelay | None = None
        projection: CoreEventsProjection | None = None
        try:
            await ensure_indexes(database.db)
            if settings.outbox_relay:
                relay = MongoOutboxRelay(
                    database.db,
                    settings,
                    MongoRelayConfig(poll_interval=settings.outbox_poll_seconds),
                )
                database.after_commit.append(relay.wake)
                await relay.start()
            if settings.projection:
                projection = CoreEventsProjection(database.db, settings)
                await projection.start()
            app.state.context = AppContext(settings=settings, database=database, openai=openai)
            app.state.rate_store = MongoRateStore(database.db)
            app.state.relay = relay
            app.state.projection = projection
            yield
        finally:
            await sse.finish_running(within_seconds=settings.openai_timeout_seconds)
            if projection is not None:
                await projection.stop()
            if relay is not None:
                await relay.stop()
            await openai.close()
            await database.close()

    app = FastAPI(
        title="sendfx feature-api",
        version="0.1.0",
        description="Flows, templates, drafts, conversations, knowledge and AI on MongoDB.",
        lifespan=lifespan,
        telemetry=server_spans(),
        dependencies=[
            Depends(
                RequestRates(
                    settings, settings.rate_limit_requests, settings.rate_limit_window_seconds
                )
            )
        ],
    )

    async def not_revoked(principal: Principal) -> None:
        context: AppContext = app.state.context
        await token_not_revoked(context.database.db, principal)

    # Public keys only: core-api's JWKS (fetched, cached) or JWT_JWKS.
    app.state.authenticator = authenticator_for(settings, PROCESS_NAME, check=not_revoked)
    install_common(app)
    app.add_middleware(ServeWhenCurrent, within_seconds=settings.consistency_wait_seconds)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_exception_handler(DocumentTooLarge, _document_too_large)
    instrument_app(app, PROCESS_NAME)  # last: outermost, timing what the client waits
    for module in (health, flows, flow_builder, conversations, knowledge, admin_settings, ai):
        app.include_router(module.router)
    return app


async def _document_too_large(_: Request, exc: Exception) -> Response:
    # The size caps stop flows and drafts first; anything else that grows past
    # MongoDB's limit is the client's input too, never a 500.
    return problem_response(
        422,
        "this would make a stored document larger than MongoDB allows",
        kind="document-too-large",
    )


def run() -> None:
    settings = load_settings()
    serve(PROCESS_NAME, settings, settings.port, lambda: create_app(settings))
