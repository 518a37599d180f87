"""``migrator.core-record``: one legacy core document on its way to PostgreSQL."""

from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

MIGRATOR_CORE_RECORD_TYPE: Final = "migrator.core-record"
MIGRATOR_SOURCE: Final = "/sendfx/migrator"

LegacyCollection = Literal[
    "tiers",
    "users",
    "workspaces",
    "workspacemembers",
    "billingaccounts",
    "subscriptions",
    "usagecounters",
]

# Parents before children (the Literal's order): the order extract publishes in.
LEGACY_COLLECTIONS_IN_ORDER: Final[tuple[LegacyCollection, ...]] = get_args(LegacyCollection)


class CoreRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    collection: LegacyCollection
    legacy_id: str = Field(pattern=r"^[0-9a-f]{24}$")
    document: dict[str, Any] = Field(description="the legacy document as MongoDB extended JSON")

    @property
    def kafka_key(self) -> str:
        return f"{self.collection}:{self.legacy_id}"
