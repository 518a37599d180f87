"""The AI quota stop, the one admission rule of every model call: after
``usage.threshold_crossed`` at 100% the AI routes answer 402 until the period
rolls over or the tier changes (the projection records the block and lifts
it on a ``subscription.*`` with another tier; this module decides)."""

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import now
from feature_api.repositories import read_model
from feature_api.unit_of_work import Document
from sendfx_shared.problems import ProblemError


def period_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


async def ensure_ai_allowed(
    db: AsyncDatabase[Document], workspace_id: str, at: datetime | None = None
) -> None:
    quota = await read_model.quota(db, workspace_id)
    block = (quota or {}).get("blocked")
    if not block or block.get("period") != period_of(at or now()):
        return
    tier = block.get("tier_code") or (quota or {}).get("tier_code") or "current"
    limit = block.get("limit")
    raise ProblemError(
        402,
        f"this workspace has used its {tier} tier's monthly AI allowance of {limit} tokens "
        f"for {block['period']}; AI features resume next period or on a tier upgrade",
        kind="ai-quota-exhausted",
        title="AI quota exhausted",
        extra={"tier": tier, "limit": limit, "period": block["period"]},
    )
