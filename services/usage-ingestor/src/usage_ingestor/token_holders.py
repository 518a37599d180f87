"""Whose tokens still hold, as ``core.events`` says: the usage routes are
admin routes, so a deactivation, role or password change must stop a token
here too, not only in core-api.

``user.created`` / ``user.updated`` carry the user's active flag and auth
version (bumped by each of those changes); a write names the ordering key it
must beat (the auth version, then the event time), so replays and
out-of-order deliveries never move it back. A user not yet announced is
vouched for by the token's signature alone, as in feature-api.
"""

from typing import Final

import asyncpg

from sendfx_shared.auth import Principal
from sendfx_shared.consume import Handler, HandlerTable, RawEvent
from sendfx_shared.events.core import USER_CREATED, USER_UPDATED, UserChanged
from sendfx_shared.problems import Unauthorized

_PUT_HOLDER: Final = """
INSERT INTO core.usage_token_holders AS h (user_id, is_active, auth_version, event_time)
VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id) DO UPDATE SET
    is_active = EXCLUDED.is_active,
    auth_version = EXCLUDED.auth_version,
    event_time = EXCLUDED.event_time,
    updated_at = now()
WHERE (h.auth_version, h.event_time) < (EXCLUDED.auth_version, EXCLUDED.event_time)
"""

_HOLDER: Final = "SELECT is_active, auth_version FROM core.usage_token_holders WHERE user_id = $1"


def token_holder_handlers(pool: asyncpg.Pool) -> HandlerTable:
    """The ``user.*`` part of what usage-ingestor does with ``core.events``."""

    async def on_user(user: UserChanged, event: RawEvent) -> bool:
        async with pool.acquire() as conn:
            status = await conn.execute(
                _PUT_HOLDER, user.user_id, user.is_active, user.auth_version, event.time
            )
        return bool(status.endswith(" 1"))

    keep = Handler(UserChanged, on_user)
    return {USER_CREATED: keep, USER_UPDATED: keep}


async def token_not_revoked(pool: asyncpg.Pool, principal: Principal) -> None:
    """401 when core-api has since deactivated the user or moved their auth
    version past the token's."""
    async with pool.acquire() as conn:
        known = await conn.fetchrow(_HOLDER, principal.user_id)
    if known is None:
        return
    if principal.revoked_by(is_active=known["is_active"], auth_version=known["auth_version"]):
        raise Unauthorized("the access token has been revoked")
