"""Settings of the core-api process (PostgreSQL side only)."""

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from sendfx_shared.ownership import refuse_foreign_store
from sendfx_shared.settings import PostgresSettings, ServiceSettings

PROCESS_NAME = "core-api"
ADMIN_EMAIL = "admin@sendfx.ai"
# Local development only; start-up logs a loud warning while it is in use.
DEFAULT_ADMIN_PASSWORD = "sendfx-admin"
POSTGRES_ROLE = "sendfx_core_api"
DEFAULT_PRICES_FILE = Path(__file__).parent / "prices" / "openai_prices.json"


class CoreApiSettings(ServiceSettings, PostgresSettings):
    """``CORE_API_*`` variables, beside the platform-wide ones of the bases."""

    model_config = SettingsConfigDict(env_prefix="CORE_API_")
    postgres_role: ClassVar[str | None] = POSTGRES_ROLE

    service_name: str = PROCESS_NAME
    port: int = Field(default=8001, validation_alias=AliasChoices("CORE_API_PORT", "PORT"))
    admin_password: str = Field(
        default=DEFAULT_ADMIN_PASSWORD, repr=False, validation_alias=AliasChoices("ADMIN_PASSWORD")
    )
    prices_file: Path = DEFAULT_PRICES_FILE
    outbox_relay: bool = True
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)
    # How long a write's answer waits for its events to be on the bus (published.py).
    publish_wait_seconds: float = Field(default=2.0, ge=0)

    # The tier every new workspace starts on; its limits when core-api has to
    # make it (after a factory reset; migration 0030 seeds the same values).
    default_tier_code: str = Field(default="free", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    default_tier_ai_tokens_monthly: int = Field(default=50_000, ge=0)
    default_tier_flows: int = Field(default=3, ge=0)
    default_tier_members: int = Field(default=3, ge=0)
    default_tier_models: list[str] = ["gpt-4o-mini"]
    # Shared secret of the billing provider's webhook (HMAC-SHA256 of the
    # body); empty: the webhook is off and paid tiers wait for an admin.
    billing_webhook_secret: str = Field(default="", repr=False)


def load_settings() -> CoreApiSettings:
    """Read the environment; refuses to start when given a MongoDB URL."""
    refuse_foreign_store(PROCESS_NAME, "postgres")
    return CoreApiSettings()
