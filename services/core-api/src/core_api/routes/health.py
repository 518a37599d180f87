"""``/healthz``: whether the database answers (its error text only in the log)."""

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from core_api.routes.deps import DbPool

log = logging.getLogger("core_api")
router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(pool: DbPool) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        await pool.fetchval("SELECT 1", timeout=2)
    except Exception as exc:
        log.warning("core-api: health check: the database does not answer: %s", exc)
        return JSONResponse({"status": "unavailable", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
