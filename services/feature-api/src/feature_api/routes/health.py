"""Liveness and readiness: up when the feature database answers and the
``core.events`` projection has caught up."""

from fastapi import APIRouter, Request
from pymongo.errors import PyMongoError

from feature_api.routes.deps import Database, Settings
from sendfx_shared.problems import ProblemError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(database: Database, settings: Settings, request: Request) -> dict[str, str]:
    try:
        await database.db.command("ping")
    except PyMongoError as exc:
        raise ProblemError(
            503, "the feature database does not answer", kind="store-unavailable"
        ) from exc
    projection = getattr(request.app.state, "projection", None)
    if projection is not None and not projection.caught_up.is_set():
        # not ready: a workspace just created might not be known yet
        raise ProblemError(503, "the core.events projection is still catching up", kind="not-ready")
    return {"status": "ok", "service": settings.service_name}
