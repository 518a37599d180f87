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


def load_settings() -> CoreApiSettings:
    """Read the environment; refuses to start when given a MongoDB URL."""
    refuse_foreign_store(PROCESS_NAME, "postgres")
    return CoreApiSettings()
