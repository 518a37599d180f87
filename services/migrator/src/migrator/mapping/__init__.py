"""Legacy document → core row, one module per legacy collection.

Pure functions over extended-JSON dicts: no database driver is imported here,
since both the load side (PostgreSQL) and ``verify`` use them, and both must
reach the same rows from the same documents.
"""

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from migrator.mapping.billing_accounts import map_billing_account
from migrator.mapping.ejson import Unmappable
from migrator.mapping.rows import MappedRow, Ref, row_id, user_id_for_email
from migrator.mapping.subscriptions import map_subscription
from migrator.mapping.tiers import map_tier
from migrator.mapping.usage_counters import map_usage_counter
from migrator.mapping.users import map_user
from migrator.mapping.workspace_members import map_workspace_member
from migrator.mapping.workspaces import map_workspace
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER, LegacyCollection

__all__ = [
    "LEGACY_COLLECTIONS_IN_ORDER",
    "TABLES",
    "MappedRow",
    "Ref",
    "TableSpec",
    "Unmappable",
    "map_record",
    "row_id",
    "user_id_for_email",
]


@dataclass(frozen=True)
class TableSpec:
    collection: LegacyCollection
    table: str
    # Every column the migrator writes, in order, with its PostgreSQL type.
    columns: tuple[tuple[str, str], ...]
    mapper: Callable[[str, dict[str, Any]], MappedRow]
    # The reference columns and the legacy collection each points at, in the
    # order the mapper lists them (the first missing one is the reason to wait).
    references: tuple[tuple[str, LegacyCollection], ...] = ()

    @cached_property
    def parents(self) -> tuple[LegacyCollection, ...]:
        """The legacy collections this one references."""
        return tuple(dict.fromkeys(parent for _, parent in self.references))

    def row_tuple(self, row: MappedRow, resolved: Mapping[str, Any]) -> tuple[Any, ...]:
        # ``resolved`` holds every reference column; the rest are values.
        return (row.id, row.legacy_id, *self._others({**row.values, **resolved}))

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        names = tuple(name for name, _ in self.columns)
        assert names[:2] == ("id", "legacy_id"), "row_tuple relies on this order"
        return names

    @cached_property
    def _others(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        """The columns after ``id`` and ``legacy_id``, picked in one C call."""
        names = self.column_names[2:]
        getter = operator.itemgetter(*names)
        if len(names) == 1:
            return lambda values: (getter(values),)
        return getter


_STAMPS: Final = (("created_at", "timestamptz"), ("updated_at", "timestamptz"))

TABLES: Final[dict[LegacyCollection, TableSpec]] = {
    "tiers": TableSpec(
        "tiers",
        "core.tiers",
        (
            ("id", "uuid"),
            ("legacy_id", "text"),
            ("code", "text"),
            ("name", "text"),
            ("price_monthly", "numeric"),
            ("ai_tokens_monthly", "int8"),
            ("flows", "int4"),
            ("members", "int4"),
            ("is_active", "bool"),
            *_STAMPS,
        ),
        map_tier,
    ),
    "users": TableSpec(
        "users",
        "core.users",
        (
            ("id", "uuid"),
            ("legacy_id", "text"),
            ("email", "text"),
            ("password_hash", "text"),
            ("name", "text"),
            ("role", "text"),
            ("is_active", "bool"),
            *_STAMPS,
        ),
        map_user,
    ),
    "workspaces": TableSpec(
        "workspaces",
        "core.workspaces",
        (
            ("id", "uuid"),
            ("legacy_id", "text"),
            ("name", "text"),
            ("slug", "text"),
            ("owner_id", "uuid"),
            ("tier_id", "uuid"),
            *_STAMPS,
        ),
        map_workspace,
        (("owner_id", "users"), ("tier_id", "tiers")),
    ),
    "workspacemembers": TableSpec(
        "workspacemembers",
        "core.workspace_members",
        (
            ("id", "uuid"),
            ("legacy_id", "text"),
            ("workspace_id", "uuid"),
            ("user_id", "uuid"),
            ("role", "text"),
            *_STAMPS,
        ),
        map_workspace_member,
        (("workspace_id", "workspaces"), ("user_id", "users")),
    ),
    "billingaccounts": TableSpec(
        "billingaccounts",
        "core.billing_accounts",
        (
            ("id", "uuid"),
            ("legacy_id", "text"),
            ("workspace_id", "uuid"),
            ("stripe_customer_id", "text"),
            ("email", "text"),
            ("country", "text"),
            *_STAMPS,
        ),
        map_billing_account,
        (("workspace_id", "workspaces"),),
    ),
    "subscriptions": TableSpec(
        "subscriptions",
        "core.subscriptions",
        (
            ("id", "uuid"),
            ("legacy_id", "text"),
            ("workspace_id", "uuid"),
            ("tier_id", "uuid"),
            ("status", "text"),
            ("current_period_start", "timestamptz"),
            ("current_period_end", "timestamptz"),
            ("stripe_subscription_id", "text"),
            ("cancel_at_period_end", "bool"),
            *_STAMPS,
        ),
        map_subscription,
        (("workspace_id", "workspaces"), ("tier_id", "tiers")),
    ),
    "usagecounters": TableSpec(
        "usagecounters",
        "core.usage_counters",
        (
            ("id", "uuid"),
            ("legacy_id", "text"),
            ("workspace_id", "uuid"),
            ("metric", "text"),
            ("period", "text"),
            ("count", "int8"),
            *_STAMPS,
        ),
        map_usage_counter,
        (("workspace_id", "workspaces"),),
    ),
}


def map_record(collection: LegacyCollection, legacy_id: str, document: dict[str, Any]) -> MappedRow:
    """Map one legacy document; raises :class:`Unmappable` with the reason.

    Any other error a malformed document provokes is turned into a reason
    too: one bad record never stops a run.
    """
    try:
        return TABLES[collection].mapper(legacy_id, document)
    except Unmappable:
        raise
    except Exception as exc:  # a shape no rule foresaw: reject it, keep going
        raise Unmappable(f"unreadable document: {type(exc).__name__}: {exc}") from exc
