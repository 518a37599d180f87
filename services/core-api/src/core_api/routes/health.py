from fastapi import APIRouter
from fastapi.responses import JSONResponse

from core_api.routes.deps import DbPool

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(pool: DbPool) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        await pool.fetchval("SELECT 1", timeout=2)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
