"""Settings of the core-api process (PostgreSQL side only)."""

from functools import cached_property
from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from sendfx_shared.keys import SigningKeys
from sendfx_shared.ownership import refuse_foreign_store
from sendfx_shared.secrets import refuse_development_secrets
from sendfx_shared.settings import CommaList, PostgresSettings, ServiceSettings, platform_wide

PROCESS_NAME = "core-api"
ADMIN_EMAIL = "admin@sendfx.ai"
# Local development only: refused outside development mode (sendfx_shared.secrets).
DEFAULT_ADMIN_PASSWORD = "sendfx-admin"
POSTGRES_ROLE = "sendfx_core_api"
DEFAULT_PRICES_FILE = Path(__file__).parent / "prices" / "openai_prices.json"
# The services a login token is for; each verifier accepts only its own name.
TOKEN_AUDIENCES = ("core-api", "feature-api", "usage-ingestor")


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

    # Token signing (core-api only): an Ed25519 private key as PEM text or a
    # file path; unset means the development key (refused outside development).
    jwt_private_key: str | None = Field(
        default=None, repr=False, validation_alias=platform_wide("JWT_PRIVATE_KEY")
    )
    jwt_key_id: str | None = Field(default=None, validation_alias=platform_wide("JWT_KEY_ID"))
    # Public keys of retired signing keys (JWKS or PEM, text or file), still served.
    jwt_retired_keys: str | None = Field(
        default=None, validation_alias=platform_wide("JWT_RETIRED_KEYS")
    )
    jwt_audiences: CommaList = Field(
        default=TOKEN_AUDIENCES, validation_alias=platform_wide("JWT_AUDIENCES")
    )
    access_token_seconds: int = Field(default=900, ge=30, le=900)
    refresh_token_days: int = Field(default=30, ge=1, le=365)

    # Login throttling (services/throttle.py): free failures, then doubling delays.
    login_pair_free_failures: int = Field(default=3, ge=1)
    login_address_free_failures: int = Field(default=20, ge=1)
    login_account_free_failures: int = Field(default=50, ge=1)
    login_base_delay_seconds: float = Field(default=1.0, gt=0)
    login_max_delay_seconds: float = Field(default=900.0, gt=0)
    login_failure_window_seconds: int = Field(default=3600, ge=1)
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

    @cached_property
    def signing_keys(self) -> SigningKeys:
        if self.jwt_private_key:
            return SigningKeys.from_pem(
                self.jwt_private_key, self.jwt_key_id, self.jwt_retired_keys
            )
        return SigningKeys.development()


def refuse_development_secrets_of(settings: CoreApiSettings) -> None:
    """Outside development mode: no development token key, admin or store password."""
    refuse_development_secrets(
        PROCESS_NAME,
        settings,
        {
            "JWT_PRIVATE_KEY (unset or the development key)": settings.signing_keys.is_development,
            "ADMIN_PASSWORD (unset or the default)": settings.admin_password
            == DEFAULT_ADMIN_PASSWORD,
        },
    )


def load_settings() -> CoreApiSettings:
    """Read the environment; refuses to start when given a MongoDB URL."""
    refuse_foreign_store(PROCESS_NAME, "postgres")
    return CoreApiSettings()
