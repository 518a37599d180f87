"""The ``core.events`` projection: feature-api's read model of users (their
token revocation state), workspaces, members, subscriptions and quota blocks.

Its handlers are bound in one table (``core_event_handlers``) and run by the
shared consumer runner (``sendfx_shared.consume``), which dead-letters what is
not a valid event and commits after handling. Idempotent twice over: an event
whose (source, id) was already applied is skipped, and every write is guarded
by the aggregate's ``version`` (then the event time), so replays and
out-of-order deliveries never move state back.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.repositories import read_model
from feature_api.services import quota
from feature_api.settings import FeatureSettings
from feature_api.unit_of_work import Document
from sendfx_shared import topics
from sendfx_shared.consume import EventConsumer, Handler, HandlerTable, RawEvent, dispatch
from sendfx_shared.events.core import (
    SUBSCRIPTION_CANCELED,
    SUBSCRIPTION_CHANGED,
    SUBSCRIPTION_CREATED,
    USAGE_THRESHOLD_CROSSED,
    USER_CREATED,
    USER_UPDATED,
    WORKSPACE_CREATED,
    WORKSPACE_DELETED,
    WORKSPACE_MEMBER_ADDED,
    WORKSPACE_MEMBER_REMOVED,
    WORKSPACE_MEMBER_ROLE_CHANGED,
    WORKSPACE_UPDATED,
    SubscriptionChanged,
    UsageThresholdCrossed,
    UserChanged,
    WorkspaceChanged,
    WorkspaceMemberChanged,
)

Db = AsyncDatabase[Document]
P = TypeVar("P", bound=BaseModel)


async def _put_workspace(db: Db, ws: WorkspaceChanged, event: RawEvent) -> bool:
    wid = str(ws.workspace_id)
    changed = await read_model.put_workspace(
        db,
        wid,
        ws.version,
        event.time,
        {
            "name": ws.name,
            "slug": ws.slug,
            "owner_id": str(ws.owner_id) if ws.owner_id else None,
            "tier_code": ws.tier_code,
            "limits": ws.limits.model_dump(),
            "deleted": event.type == WORKSPACE_DELETED,
        },
    )
    if event.type == WORKSPACE_CREATED and ws.owner_id is not None:
        await read_model.add_owner_if_unknown(db, wid, str(ws.owner_id))
    return changed


async def _put_member(db: Db, member: WorkspaceMemberChanged, event: RawEvent) -> bool:
    return await read_model.put_member(
        db,
        str(member.workspace_id),
        str(member.user_id),
        member.version,
        event.time,
        {"role": member.role, "active": event.type != WORKSPACE_MEMBER_REMOVED},
    )


async def _put_subscription(db: Db, sub: SubscriptionChanged, event: RawEvent) -> bool:
    wid = str(sub.workspace_id)
    changed = await read_model.put_subscription(
        db,
        wid,
        str(sub.subscription_id),
        sub.version,
        event.time,
        {
            "tier_code": sub.tier_code,
            "status": sub.status,
            "limits": sub.limits.model_dump(),
            "current_period_start": sub.current_period_start,
            "current_period_end": sub.current_period_end,
        },
    )
    if changed:
        await quota.tier_changed(db, wid, sub.tier_code)
    return changed


async def _put_user(db: Db, user: UserChanged, event: RawEvent) -> bool:
    return await read_model.put_user(
        db,
        str(user.user_id),
        user.auth_version,
        event.time,
        {"role": user.role, "is_active": user.is_active, "auth_version": user.auth_version},
    )


def _once(
    db: Db, apply: Callable[[Db, P, RawEvent], Awaitable[bool]], payload: type[P]
) -> Handler[P]:
    """``apply`` bound to ``db``, skipped for an event (source, id) already applied."""

    async def handle(data: P, event: RawEvent) -> bool:
        key = f"{event.source}|{event.id}"
        if await read_model.already_processed(db, key):
            return False
        changed = await apply(db, data, event)
        await read_model.mark_processed(db, key, event.time)
        return changed

    return Handler(payload, handle)


def core_event_handlers(db: Db) -> HandlerTable:
    """Every core.events type feature-api keeps; the others are skipped."""
    workspace = _once(db, _put_workspace, WorkspaceChanged)
    member = _once(db, _put_member, WorkspaceMemberChanged)
    subscription = _once(db, _put_subscription, SubscriptionChanged)
    user = _once(db, _put_user, UserChanged)
    return {
        USER_CREATED: user,
        USER_UPDATED: user,
        WORKSPACE_CREATED: workspace,
        WORKSPACE_UPDATED: workspace,
        WORKSPACE_DELETED: workspace,
        WORKSPACE_MEMBER_ADDED: member,
        WORKSPACE_MEMBER_ROLE_CHANGED: member,
        WORKSPACE_MEMBER_REMOVED: member,
        SUBSCRIPTION_CREATED: subscription,
        SUBSCRIPTION_CHANGED: subscription,
        SUBSCRIPTION_CANCELED: subscription,
        USAGE_THRESHOLD_CROSSED: _once(db, quota.threshold_crossed, UsageThresholdCrossed),
    }


async def apply_core_event(db: Db, event: RawEvent) -> bool:
    """Apply one event to the read model; False when it had no effect
    (already seen, stale, or of a type feature-api does not keep)."""
    return await dispatch(core_event_handlers(db), event)


class CoreEventsProjection(EventConsumer):
    """The long-lived consumer of ``core.events`` inside feature-api."""

    def __init__(self, db: Db, settings: FeatureSettings) -> None:
        super().__init__(
            settings,
            topics.CORE_EVENTS,
            settings.projection_group_id,
            core_event_handlers(db),
            name="feature-api core.events projection",
        )
