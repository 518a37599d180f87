"""A tier's limits as the events carry them, and the default tier every new
workspace starts on (``free`` unless configured otherwise).

The default tier is seeded by migration 0030; a factory reset empties the
tiers, so the first workspace created afterwards makes it again from the
settings (and announces it, like any new tier)."""

from collections.abc import Mapping
from typing import Any

import asyncpg

from core_api.db import Db
from core_api.events import emit
from core_api.repositories import tiers as tiers_repo
from core_api.settings import CoreApiSettings
from sendfx_shared.events import core as core_events
from sendfx_shared.events.core import TierChanged, TierLimits


def limits_of(row: asyncpg.Record | Mapping[str, Any]) -> TierLimits:
    return TierLimits(
        ai_tokens_monthly=row["ai_tokens_monthly"],
        flows=row["flows"],
        members=row["members"],
        models=row["models"],
    )


def tier_changed(row: asyncpg.Record) -> TierChanged:
    return TierChanged(
        tier_id=row["id"],
        code=row["code"],
        name=row["name"],
        price_monthly=str(row["price_monthly"]),
        limits=limits_of(row),
        is_active=row["is_active"],
    )


def is_paid(tier: asyncpg.Record) -> bool:
    return bool(tier["price_monthly"] > 0)


async def default_tier(db: Db, settings: CoreApiSettings) -> asyncpg.Record:
    """The default tier, made from the settings when it is missing."""
    tier = await tiers_repo.get_tier_by_code(db, settings.default_tier_code)
    if tier is not None:
        return tier
    tier = await tiers_repo.insert_tier(
        db,
        {
            "code": settings.default_tier_code,
            "name": settings.default_tier_code.capitalize(),
            "price_monthly": 0,
            "ai_tokens_monthly": settings.default_tier_ai_tokens_monthly,
            "flows": settings.default_tier_flows,
            "members": settings.default_tier_members,
            "models": settings.default_tier_models,
            "is_active": True,
        },
    )
    await emit(db, core_events.TIER_CREATED, tier["id"], tier_changed(tier))
    return tier
