"""What feature-api knows of core data: workspaces, members, quotas.

Written only by the ``core.events`` projection. Each document carries the
ordering key of the last event applied to it (``version``, then the event
time), and a write names the key it must beat: an older or replayed event
matches nothing and has no effect. A guarded upsert that matches nothing
collides with the existing ``_id`` (E11000), which means "stale": ignored.
"""

import contextlib
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from feature_api.database import RM_MEMBERS, RM_PROCESSED, RM_QUOTAS, RM_USERS, RM_WORKSPACES
from feature_api.unit_of_work import Document


def _newer_than(version: int, at: datetime) -> dict[str, Any]:
    return {
        "$or": [
            {"version": {"$lt": version}},
            {"version": version, "event_time": {"$lt": at}},
        ]
    }


async def _guarded_upsert(
    db: AsyncDatabase[Document], collection: str, _id: str, guard: dict[str, Any], values: Document
) -> bool:
    try:
        result = await db[collection].update_one(
            {"_id": _id, **guard}, {"$set": values}, upsert=True
        )
    except DuplicateKeyError:
        return False
    return result.matched_count > 0 or result.upserted_id is not None


async def already_processed(db: AsyncDatabase[Document], event_key: str) -> bool:
    return await db[RM_PROCESSED].find_one({"_id": event_key}, {"_id": 1}) is not None


async def mark_processed(db: AsyncDatabase[Document], event_key: str, at: datetime) -> None:
    with contextlib.suppress(DuplicateKeyError):
        await db[RM_PROCESSED].insert_one({"_id": event_key, "at": at})


async def _put_versioned(
    db: AsyncDatabase[Document],
    collection: str,
    _id: str,
    version: int,
    at: datetime,
    values: Document,
) -> bool:
    return await _guarded_upsert(
        db,
        collection,
        _id,
        _newer_than(version, at),
        {**values, "version": version, "event_time": at},
    )


async def put_workspace(
    db: AsyncDatabase[Document], workspace_id: str, version: int, at: datetime, values: Document
) -> bool:
    return await _put_versioned(db, RM_WORKSPACES, workspace_id, version, at, values)


async def put_member(
    db: AsyncDatabase[Document],
    workspace_id: str,
    user_id: str,
    version: int,
    at: datetime,
    values: Document,
) -> bool:
    return await _guarded_upsert(
        db,
        RM_MEMBERS,
        f"{workspace_id}:{user_id}",
        _newer_than(version, at),
        {
            **values,
            "workspace_id": workspace_id,
            "user_id": user_id,
            "version": version,
            "event_time": at,
        },
    )


async def add_owner_if_unknown(
    db: AsyncDatabase[Document], workspace_id: str, user_id: str
) -> None:
    """The owner named by ``workspace.created`` is a member until a member
    event says otherwise (version -1 loses to any member event)."""
    await db[RM_MEMBERS].update_one(
        {"_id": f"{workspace_id}:{user_id}"},
        {
            "$setOnInsert": {
                "workspace_id": workspace_id,
                "user_id": user_id,
                "role": "owner",
                "active": True,
                "version": -1,
                "event_time": None,
            }
        },
        upsert=True,
    )


async def put_subscription(
    db: AsyncDatabase[Document],
    workspace_id: str,
    subscription_id: str,
    version: int,
    at: datetime,
    values: Document,
) -> bool:
    # Same subscription: its version orders it. A different subscription of
    # the workspace (a new one after a cancel): the later event wins.
    guard = {
        "$or": [
            {"subscription_id": {"$exists": False}},
            {"subscription_id": subscription_id, "sub_version": {"$lt": version}},
            {"subscription_id": subscription_id, "sub_version": version, "sub_time": {"$lt": at}},
            {"subscription_id": {"$ne": subscription_id}, "sub_time": {"$lt": at}},
        ]
    }
    return await _guarded_upsert(
        db,
        RM_QUOTAS,
        workspace_id,
        guard,
        {**values, "subscription_id": subscription_id, "sub_version": version, "sub_time": at},
    )


async def lift_block_unless_tier(db: AsyncDatabase[Document], workspace_id: str, tier: str) -> None:
    await db[RM_QUOTAS].update_one(
        {"_id": workspace_id, "blocked": {"$ne": None}, "blocked.tier_code": {"$ne": tier}},
        {"$set": {"blocked": None}},
    )


async def put_block(db: AsyncDatabase[Document], workspace_id: str, block: Document) -> bool:
    """Record a 100% threshold, unless one of a later period is already there."""
    guard = {
        "$or": [
            {"blocked": None},
            {"blocked": {"$exists": False}},
            {"blocked.period": {"$lte": block["period"]}},
        ]
    }
    return await _guarded_upsert(db, RM_QUOTAS, workspace_id, guard, {"blocked": block})


async def put_warning(db: AsyncDatabase[Document], workspace_id: str, warning: Document) -> None:
    await db[RM_QUOTAS].update_one(
        {"_id": workspace_id}, {"$set": {"warned": warning}}, upsert=True
    )


async def workspace(db: AsyncDatabase[Document], workspace_id: str) -> Document | None:
    return await db[RM_WORKSPACES].find_one({"_id": workspace_id})


async def role_of(db: AsyncDatabase[Document], workspace_id: str, user_id: str) -> str | None:
    """The user's role in the workspace; None when not an active member."""
    found = await db[RM_MEMBERS].find_one(
        {"_id": f"{workspace_id}:{user_id}", "active": True}, {"role": 1}
    )
    return None if found is None else str(found.get("role") or "member")


async def quota(db: AsyncDatabase[Document], workspace_id: str) -> Document | None:
    return await db[RM_QUOTAS].find_one({"_id": workspace_id})


async def put_user(
    db: AsyncDatabase[Document], user_id: str, version: int, at: datetime, values: Document
) -> bool:
    """Ordered by the user's auth version (it only grows), then the event time."""
    return await _guarded_upsert(
        db,
        RM_USERS,
        user_id,
        _newer_than(version, at),
        {**values, "version": version, "event_time": at},
    )


async def user(db: AsyncDatabase[Document], user_id: str) -> Document | None:
    return await db[RM_USERS].find_one({"_id": user_id})
