"""Settings of the feature-api process (MongoDB side only)."""

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from sendfx_shared.ownership import refuse_foreign_store
from sendfx_shared.settings import MongoSettings, ServiceSettings

PROCESS_NAME = "feature-api"


class FeatureSettings(ServiceSettings, MongoSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = PROCESS_NAME
    # readWrite on the feature database only (``sendfx-dev`` provisions it)
    mongo_username: str | None = "feature-api"
    port: int = Field(default=8002, validation_alias=AliasChoices("FEATURE_API_PORT", "PORT"))

    openai_api_key: str = Field(default="", validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL")
    )
    openai_model: str = Field(default="gpt-4o-mini", validation_alias=AliasChoices("OPENAI_MODEL"))
    openai_timeout_seconds: float = Field(
        default=60.0, gt=0, validation_alias=AliasChoices("OPENAI_TIMEOUT_SECONDS")
    )
    openai_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, validation_alias=AliasChoices("OPENAI_CONNECT_TIMEOUT_SECONDS")
    )
    # The client retries 429/5xx/connection errors before any token arrives.
    openai_max_retries: int = Field(
        default=2, ge=0, validation_alias=AliasChoices("OPENAI_MAX_RETRIES")
    )

    outbox_relay_enabled: bool = Field(
        default=True, validation_alias=AliasChoices("FEATURE_API_OUTBOX_RELAY")
    )
    outbox_poll_interval: float = Field(
        default=0.5, gt=0, validation_alias=AliasChoices("FEATURE_API_OUTBOX_POLL_SECONDS")
    )
    projection_enabled: bool = Field(
        default=True, validation_alias=AliasChoices("FEATURE_API_PROJECTION")
    )
    # How long a request waits for the core.events projection to be current (fresh.py).
    consistency_wait_seconds: float = Field(
        default=2.0, ge=0, validation_alias=AliasChoices("FEATURE_API_CONSISTENCY_WAIT_SECONDS")
    )
    projection_group_id: str = Field(
        default="feature-api.core-projection",
        validation_alias=AliasChoices("FEATURE_API_PROJECTION_GROUP"),
    )

    knowledge_chunk_words: int = Field(default=120, ge=20, le=2000)
    knowledge_context_chunks: int = Field(default=4, ge=1, le=20)
    ai_history_messages: int = Field(default=20, ge=1, le=200)


def load_settings() -> FeatureSettings:
    """Read the environment; refuses to start when given a PostgreSQL URL."""
    refuse_foreign_store(PROCESS_NAME, "mongo")
    return FeatureSettings()
