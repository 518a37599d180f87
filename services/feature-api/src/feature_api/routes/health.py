"""Liveness and readiness."""

from fastapi import APIRouter

from feature_api.context import Ctx

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(ctx: Ctx) -> dict[str, str]:
    await ctx.store.db.command("ping")
    return {"status": "ok", "service": ctx.settings.service_name}
