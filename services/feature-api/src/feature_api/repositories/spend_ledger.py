"""The AI spend ledger: one document per workspace and month
(``<workspace id>:<YYYY-MM>``) holding ``committed`` (settled usage plus the
reservations of calls still running), ``reserved`` and ``used``.

A reservation is one conditional ``find_one_and_update``: it adds to
``committed`` only when the sum stays within the limit, so the check and the
write are one atomic step on the server, and several feature-api instances
sharing the database can never admit more than the limit between them."""

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from feature_api.database import AI_SPEND
from feature_api.unit_of_work import Document


def ledger_key(workspace_id: str, period: str) -> str:
    return f"{workspace_id}:{period}"


async def committed(db: AsyncDatabase[Document], workspace_id: str, period: str) -> int:
    """Tokens used or reserved in ``period`` (0 before the first call)."""
    found = await db[AI_SPEND].find_one({"_id": ledger_key(workspace_id, period)})
    return int((found or {}).get("committed", 0))


async def reserve(
    db: AsyncDatabase[Document], workspace_id: str, period: str, tokens: int, limit: int | None
) -> bool:
    """Reserve ``tokens`` unless that would take ``committed`` past ``limit``
    (None: no limit); False when it would."""
    if limit is not None and tokens > limit:
        return False  # an upsert would insert past the limit
    key = ledger_key(workspace_id, period)
    guard: dict[str, Any] = {} if limit is None else {"committed": {"$lte": limit - tokens}}
    change = {
        "$inc": {"committed": tokens, "reserved": tokens},
        "$setOnInsert": {"workspace_id": workspace_id, "period": period, "used": 0},
    }
    try:
        found = await db[AI_SPEND].find_one_and_update(
            {"_id": key, **guard}, change, upsert=True, return_document=ReturnDocument.AFTER
        )
    except DuplicateKeyError:
        # The document exists and the guard did not match it: no room.
        return False
    return found is not None


async def settle(
    db: AsyncDatabase[Document], workspace_id: str, period: str, reserved: int, used: int
) -> None:
    """The call is over: its reservation becomes the tokens it really used."""
    await db[AI_SPEND].update_one(
        {"_id": ledger_key(workspace_id, period)},
        {"$inc": {"committed": used - reserved, "reserved": -reserved, "used": used}},
    )
