"""The core-api process: app factory, lifespan and the ``core-api`` console entry.

Start-up order: refuse a MongoDB URL → apply migrations → pool → seed the
platform admin → start the outbox relay. Shutdown reverses it.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from core_api.events import CORE_API_OUTBOX
from core_api.migrations import CORE_API_MIGRATIONS
from core_api.published import AnswerWhenPublished
from core_api.repositories.price_file import insert_missing_prices, read_price_file
from core_api.repositories.request_rates import PostgresRateStore
from core_api.routes import (
    auth,
    billing,
    billing_webhook,
    health,
    members,
    model_prices,
    subscriptions,
    tiers,
    usage,
    users,
    workspaces,
)
from core_api.services.auth import seed_admin
from core_api.services.sessions import check_current
from core_api.settings import (
    ADMIN_EMAIL,
    DEFAULT_ADMIN_PASSWORD,
    PROCESS_NAME,
    CoreApiSettings,
    load_settings,
    refuse_development_secrets_of,
)
from sendfx_shared.auth import Authenticator, Principal, StaticKeys
from sendfx_shared.body_limit import BodySizeLimit
from sendfx_shared.http import install_common
from sendfx_shared.migrations import apply_migrations
from sendfx_shared.observability import instrument_app, server_spans
from sendfx_shared.outbox.postgres import OutboxRelay, RelayConfig
from sendfx_shared.postgres import connect, create_pool
from sendfx_shared.serve import serve
from sendfx_shared.throttle import RequestRates

log = logging.getLogger("core_api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: CoreApiSettings = app.state.settings
    connection = await connect(settings.postgres_url, application_name=PROCESS_NAME)
    try:
        applied = await apply_migrations(connection, CORE_API_MIGRATIONS)
        added = await insert_missing_prices(connection, read_price_file(settings.prices_file))
    finally:
        await connection.close()
    if applied:
        log.info("core-api: applied migrations %s", ", ".join(applied))
    log.info("core-api: %d price versions added from %s", added, settings.prices_file)
    pool = await create_pool(
        settings.postgres_url,
        application_name=PROCESS_NAME,
        min_size=settings.postgres_pool_min,
        max_size=settings.postgres_pool_max,
    )
    app.state.pool = pool
    app.state.rate_store = PostgresRateStore(pool)
    if settings.admin_password == DEFAULT_ADMIN_PASSWORD:
        # Only in development mode: create_app refused it anywhere else.
        log.warning("core-api: %s has the local development password", ADMIN_EMAIL)
    if await seed_admin(pool, ADMIN_EMAIL, settings.admin_password):
        log.info("core-api: created the platform admin %s", ADMIN_EMAIL)
    relay: OutboxRelay | None = None
    if settings.outbox_relay:
        relay = OutboxRelay(
            CORE_API_OUTBOX,
            pool,
            settings.postgres_url,
            settings,
            RelayConfig(
                poll_interval=settings.outbox_poll_seconds,
                max_attempts=settings.outbox_max_attempts,
            ),
            application_name=PROCESS_NAME,
        )
        await relay.start()
    app.state.relay = relay
    try:
        yield
    finally:
        if relay is not None:
            await relay.stop()
        await pool.close()


def create_app(settings: CoreApiSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    refuse_development_secrets_of(settings)
    app = FastAPI(
        title="sendfx core-api",
        version="0.1.0",
        description="Users, workspaces, members, tiers, billing, subscriptions and usage.",
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
    app.state.settings = settings

    async def still_current(principal: Principal) -> None:
        await check_current(app.state.pool, principal)

    # core-api verifies with its own public keys (no fetch), and checks each
    # token against the user row, so a revocation holds from the next request.
    app.state.authenticator = Authenticator(
        StaticKeys(settings.signing_keys.jwks()["keys"], allow_development=settings.development),
        issuer=settings.jwt_issuer,
        audience=PROCESS_NAME,
        check=still_current,
    )
    install_common(app)
    app.add_middleware(AnswerWhenPublished, within_seconds=settings.publish_wait_seconds)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    instrument_app(app, PROCESS_NAME)  # last: outermost, timing what the client waits
    for module in (
        health,
        auth,
        users,
        workspaces,
        members,
        tiers,
        billing,
        billing_webhook,
        subscriptions,
        usage,
        model_prices,
    ):
        app.include_router(module.router)
    app.include_router(members.admin_router)
    return app


def run() -> None:
    settings = load_settings()
    serve(PROCESS_NAME, settings, settings.port, lambda: create_app(settings))


if __name__ == "__main__":
    run()
