"""``subscriptions`` → ``core.subscriptions``.

An unknown ``status`` is rejected: a billing state must not be guessed
(the British ``cancelled`` is read as ``canceled``). A period that ends
before it starts is rejected too.
"""

from typing import Any, Final, get_args

from migrator.mapping.ejson import Unmappable, boolean, object_id, text, timestamp
from migrator.mapping.rows import MappedRow, Ref, created_and_updated, required, row_id
from sendfx_shared.events.core import SubscriptionStatus

STATUSES: Final = frozenset(get_args(SubscriptionStatus))
_SPELLINGS: Final = {"cancelled": "canceled", "past-due": "past_due", "pastdue": "past_due"}


def map_subscription(legacy_id: str, document: dict[str, Any]) -> MappedRow:
    workspace = required(object_id(document.get("workspaceId"), "workspaceId"), "workspaceId")
    tier = required(object_id(document.get("tierId"), "tierId"), "tierId")
    raw_status = (text(document.get("status"), "status") or "").lower()
    status = _SPELLINGS.get(raw_status, raw_status)
    if status not in STATUSES:
        raise Unmappable(f"status: unknown value {document.get('status')!r}")
    start = timestamp(document.get("currentPeriodStart"), "currentPeriodStart")
    end = timestamp(document.get("currentPeriodEnd"), "currentPeriodEnd")
    if start is not None and end is not None and end < start:
        raise Unmappable("currentPeriodEnd: before currentPeriodStart")
    created_at, updated_at = created_and_updated(legacy_id, document)
    cancel = boolean(document.get("cancelAtPeriodEnd"), "cancelAtPeriodEnd")
    return MappedRow(
        collection="subscriptions",
        legacy_id=legacy_id,
        id=row_id("subscriptions", legacy_id),
        values={
            "status": status,
            "current_period_start": start,
            "current_period_end": end,
            "stripe_subscription_id": text(
                document.get("stripeSubscriptionId"), "stripeSubscriptionId"
            )
            or None,
            "cancel_at_period_end": bool(cancel),
            "created_at": created_at,
            "updated_at": updated_at,
        },
        refs={"workspace_id": Ref("workspaces", workspace), "tier_id": Ref("tiers", tier)},
    )
