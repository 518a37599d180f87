"""Subscriptions: at most one live (not canceled) per workspace, enforced by a
partial unique index; the workspace's tier follows its live subscription.

Canceling sets ``cancel_at_period_end``; the subscription stays live until
its period ends, and is closed (status ``canceled``) when the workspace next
subscribes after that, or by an admin.

A paid tier is not the owner's to take: their move to one is recorded as
pending (``pending_tier_code``) and the subscription keeps its tier until a
platform admin activates it, or the billing provider's webhook says it was
paid (``activate_pending``). Platform admins move workspaces at once.
"""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from core_api.db import Db, reading, transaction
from core_api.events import emit
from core_api.repositories import subscriptions as subscriptions_repo
from core_api.repositories import tiers as tiers_repo
from core_api.repositories import workspaces as workspaces_repo
from core_api.repositories.paging import page_of, parse_cursor
from core_api.schemas import SubscriptionIn, SubscriptionOut
from core_api.services.access import workspace_access
from core_api.services.limits import default_tier, is_paid, limits_of
from core_api.services.workspaces import emit_workspace_updated
from core_api.settings import CoreApiSettings
from sendfx_shared.auth import Principal
from sendfx_shared.events import core as core_events
from sendfx_shared.events.core import SubscriptionChanged
from sendfx_shared.pagination import Page, PageRequest
from sendfx_shared.problems import Conflict, NotFound

PERIOD = timedelta(days=30)
TRIAL = timedelta(days=14)


def subscription_out(row: asyncpg.Record | dict[str, object]) -> SubscriptionOut:
    return SubscriptionOut.model_validate(dict(row))


async def _emit(db: Db, event_type: str, subscription_id: uuid.UUID) -> asyncpg.Record:
    row = await subscriptions_repo.get_subscription(db, subscription_id)
    assert row is not None
    await emit(
        db,
        event_type,
        row["workspace_id"],
        SubscriptionChanged(
            subscription_id=row["id"],
            workspace_id=row["workspace_id"],
            tier_code=row["tier_code"],
            status=row["status"],
            limits=limits_of(row),
            current_period_start=row["current_period_start"],
            current_period_end=row["current_period_end"],
            cancel_at_period_end=row["cancel_at_period_end"],
            version=row["version"],
        ),
    )
    return row


async def _active_tier(db: Db, code: str) -> asyncpg.Record:
    tier = await tiers_repo.get_tier_by_code(db, code)
    if tier is None or not tier["is_active"]:
        raise NotFound("tier")
    return tier


async def _live_or_404(db: Db, workspace_id: uuid.UUID) -> asyncpg.Record:
    live = await subscriptions_repo.get_live(db, workspace_id)
    if live is None:
        raise NotFound("subscription")
    return live


async def get_live_subscription(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID
) -> SubscriptionOut:
    async with reading(pool) as db:
        await workspace_access(db, principal, workspace_id)
        return subscription_out(await _live_or_404(db, workspace_id))


async def list_subscriptions(
    pool: asyncpg.Pool,
    principal: Principal | None,
    workspace_id: uuid.UUID | None,
    page: PageRequest,
) -> Page[SubscriptionOut]:
    """A workspace's subscription history; every subscription when ``workspace_id``
    is None (admin routes)."""
    async with reading(pool) as db:
        if principal is not None and workspace_id is not None:
            await workspace_access(db, principal, workspace_id)
        records = await subscriptions_repo.list_subscriptions(
            db, workspace_id, parse_cursor(page.cursor), page.limit
        )
    rows, next_cursor = page_of(records, page.limit)
    return Page[SubscriptionOut](items=[subscription_out(r) for r in rows], next_cursor=next_cursor)


def _waits_for_payment(principal: Principal, tier: asyncpg.Record) -> bool:
    return is_paid(tier) and not principal.is_admin


async def create_subscription(
    pool: asyncpg.Pool,
    settings: CoreApiSettings,
    principal: Principal,
    workspace_id: uuid.UUID,
    body: SubscriptionIn,
) -> SubscriptionOut:
    """A paid tier asked by a non-admin: the subscription starts on the
    default tier with the paid one pending."""
    now = datetime.now(UTC)
    async with transaction(pool) as db:
        await workspace_access(db, principal, workspace_id, manage=True, lock=True)
        wanted = await _active_tier(db, body.tier_code)
        pending = _waits_for_payment(principal, wanted)
        tier = await default_tier(db, settings) if pending else wanted
        live = await subscriptions_repo.get_live(db, workspace_id)
        if (
            live is not None
            and live["cancel_at_period_end"]
            and live["current_period_end"] is not None
            and live["current_period_end"] <= now
        ):
            await subscriptions_repo.set_status(db, live["id"], "canceled")
            await _emit(db, core_events.SUBSCRIPTION_CANCELED, live["id"])
        # A live one left makes the insert a 409 (subscriptions_one_live).
        subscription_id = await subscriptions_repo.insert_subscription(
            db,
            workspace_id,
            tier["id"],
            status="trialing" if body.trial else "active",
            period_start=now,
            period_end=now + (TRIAL if body.trial else PERIOD),
        )
        if pending:
            await subscriptions_repo.set_pending_tier(db, subscription_id, wanted["id"])
        row = await _emit(db, core_events.SUBSCRIPTION_CREATED, subscription_id)
        await workspaces_repo.set_tier(db, workspace_id, tier["id"])
        await emit_workspace_updated(db, workspace_id)
    return subscription_out(row)


async def change_tier(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID, tier_code: str
) -> SubscriptionOut:
    async with transaction(pool) as db:
        await workspace_access(db, principal, workspace_id, manage=True, lock=True)
        live = await _live_or_404(db, workspace_id)
        tier = await _active_tier(db, tier_code)
        if _waits_for_payment(principal, tier):
            if live["pending_tier_id"] == tier["id"]:
                return subscription_out(live)
            await subscriptions_repo.set_pending_tier(db, live["id"], tier["id"])
            return subscription_out(await _emit(db, core_events.SUBSCRIPTION_CHANGED, live["id"]))
        if live["tier_id"] == tier["id"] and live["pending_tier_id"] is None:
            return subscription_out(live)
        row = await _move(db, live, tier["id"])
    return subscription_out(row)


async def _move(db: Db, live: asyncpg.Record, tier_id: uuid.UUID) -> asyncpg.Record:
    """The subscription and its workspace on ``tier_id`` (a pending move settled)."""
    await subscriptions_repo.change_tier(db, live["id"], tier_id)
    row = await _emit(db, core_events.SUBSCRIPTION_CHANGED, live["id"])
    await workspaces_repo.set_tier(db, live["workspace_id"], tier_id)
    await emit_workspace_updated(db, live["workspace_id"])
    return row


async def activate_pending(pool: asyncpg.Pool, subscription_id: uuid.UUID) -> SubscriptionOut:
    """Admin or billing webhook: the pending paid tier becomes the tier; 409
    when nothing is pending (a repeated webhook delivery changes nothing)."""
    async with transaction(pool) as db:
        current = await subscriptions_repo.get_subscription(db, subscription_id)
        if current is None:
            raise NotFound("subscription")
        await workspaces_repo.lock_workspace(db, current["workspace_id"])
        live = await subscriptions_repo.get_subscription(db, subscription_id)
        assert live is not None
        if live["pending_tier_id"] is None or live["status"] == "canceled":
            raise Conflict("this subscription has no pending tier move")
        row = await _move(db, live, live["pending_tier_id"])
    return subscription_out(row)


async def cancel_at_period_end(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID
) -> SubscriptionOut:
    async with transaction(pool) as db:
        await workspace_access(db, principal, workspace_id, manage=True, lock=True)
        live = await _live_or_404(db, workspace_id)
        if live["cancel_at_period_end"]:
            return subscription_out(live)
        await subscriptions_repo.set_cancel_at_period_end(db, live["id"], True)
        row = await _emit(db, core_events.SUBSCRIPTION_CANCELED, live["id"])
    return subscription_out(row)


async def set_status(
    pool: asyncpg.Pool, settings: CoreApiSettings, subscription_id: uuid.UUID, status: str
) -> SubscriptionOut:
    """Admin: move a subscription between states (e.g. past_due, canceled);
    a canceled one leaves its workspace on the default tier."""
    async with transaction(pool) as db:
        current = await subscriptions_repo.get_subscription(db, subscription_id)
        if current is None:
            raise NotFound("subscription")
        workspace_id = current["workspace_id"]
        await workspaces_repo.lock_workspace(db, workspace_id)
        if current["status"] == status:
            return subscription_out(current)
        await subscriptions_repo.set_status(db, subscription_id, status)
        event = (
            core_events.SUBSCRIPTION_CANCELED
            if status == "canceled"
            else core_events.SUBSCRIPTION_CHANGED
        )
        row = await _emit(db, event, subscription_id)
        if status == "canceled":
            fallback = await default_tier(db, settings)
            await workspaces_repo.set_tier(db, workspace_id, fallback["id"])
            await emit_workspace_updated(db, workspace_id)
    return subscription_out(row)
