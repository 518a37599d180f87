"""The AI quota rule, in one place: what a crossed threshold does (a warning
at 80%, a block at 100% under the tier it was reached in), what a tier change
does (lifts a block reached under another tier), and the admission check every
model call makes (402 while blocked, until the period rolls over). The
``core.events`` projection calls the first two; ``call_model`` the last."""

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import now
from feature_api.repositories import read_model
from feature_api.unit_of_work import Document
from sendfx_shared.consume import RawEvent
from sendfx_shared.events.core import UsageThresholdCrossed
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


async def threshold_crossed(
    db: AsyncDatabase[Document], crossed: UsageThresholdCrossed, event: RawEvent
) -> bool:
    """Records an 80% warning, or a 100% block for the period under the tier it
    was reached in; False when the workspace has already left that tier."""
    wid = str(crossed.workspace_id)
    detail = {
        "period": crossed.period,
        "limit": crossed.limit,
        "tokens_used": crossed.tokens_used,
        "tier_code": crossed.tier_code,
        "event_id": event.id,
    }
    if crossed.threshold_percent < 100:
        await read_model.put_warning(db, wid, detail)
        return True
    current = await read_model.quota(db, wid)
    current_tier = (current or {}).get("tier_code")
    if crossed.tier_code and current_tier and current_tier != crossed.tier_code:
        return False  # reached under a tier the workspace has already left
    # The block holds until the tier changes: remember which tier that is.
    detail["tier_code"] = crossed.tier_code or current_tier
    return await read_model.put_block(db, wid, detail)


async def tier_changed(db: AsyncDatabase[Document], workspace_id: str, tier_code: str) -> None:
    """A new tier lifts a block reached under the old one."""
    await read_model.lift_block_unless_tier(db, workspace_id, tier_code)
