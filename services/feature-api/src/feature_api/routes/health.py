"""Liveness and readiness: up when the feature database answers."""

from fastapi import APIRouter
from pymongo.errors import PyMongoError

from feature_api.routes.deps import Database, Settings
from sendfx_shared.problems import ProblemError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(database: Database, settings: Settings) -> dict[str, str]:
    try:
        await database.db.command("ping")
    except PyMongoError as exc:
        raise ProblemError(
            503, "the feature database does not answer", kind="store-unavailable"
        ) from exc
    return {"status": "ok", "service": settings.service_name}
