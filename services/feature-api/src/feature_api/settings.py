"""Settings of the feature-api process (MongoDB side only)."""

from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from sendfx_shared.ownership import refuse_foreign_store
from sendfx_shared.settings import MongoSettings, ServiceSettings

PROCESS_NAME = "feature-api"


class FeatureSettings(ServiceSettings, MongoSettings):
    """``FEATURE_API_*`` variables, and the OpenAI client's under their own
    names, beside the platform-wide ones of the bases."""

    model_config = SettingsConfigDict(env_prefix="FEATURE_API_")
    # readWrite on the feature database only (``sendfx-dev`` provisions it)
    mongo_user: ClassVar[str | None] = "feature-api"

    service_name: str = PROCESS_NAME
    port: int = Field(default=8002, validation_alias=AliasChoices("FEATURE_API_PORT", "PORT"))
    # Flows and drafts are large JSON; they are capped at 8 MiB as stored.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1)

    openai_api_key: str = Field(default="", repr=False, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_model: str = Field(default="gpt-4o-mini", validation_alias="OPENAI_MODEL")
    openai_timeout_seconds: float = Field(
        default=60.0, gt=0, validation_alias="OPENAI_TIMEOUT_SECONDS"
    )
    openai_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, validation_alias="OPENAI_CONNECT_TIMEOUT_SECONDS"
    )
    # The client retries 429/5xx/connection errors before any token arrives.
    openai_max_retries: int = Field(default=2, ge=0, validation_alias="OPENAI_MAX_RETRIES")
    # The service_tier requested of OpenAI (auto, default, flex, priority);
    # unset: none is sent. Calls are billed at the tier the response names.
    openai_service_tier: str | None = Field(default=None, pattern=r"^[a-z0-9_.-]{1,32}$")

    outbox_relay: bool = True
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    projection: bool = True
    projection_group: str = "feature-api.core-projection"
    # Which instance this is, when several run: each has a projection group of
    # its own (``projection_group_id``), since each must see every core event.
    instance: str = ""
    # How long a request waits for the core.events projection to be current (fresh.py).
    consistency_wait_seconds: float = Field(default=2.0, ge=0)

    knowledge_chunk_words: int = Field(default=120, ge=20, le=2000)
    knowledge_context_chunks: int = Field(default=4, ge=1, le=20)
    ai_history_messages: int = Field(default=20, ge=1, le=200)
    # Admission control (services/spend.py): the max_tokens every call gets at
    # most, the least a call may be given (less left: 402), and the prompt cap.
    ai_max_completion_tokens: int = Field(default=1024, ge=1)
    ai_min_completion_tokens: int = Field(default=16, ge=1)
    ai_max_prompt_tokens: int = Field(default=16_000, ge=1)
    # AI calls per workspace per rate window (rate_limit_window_seconds); 0: no limit.
    ai_calls_per_workspace: int = Field(default=120, ge=0)

    @property
    def projection_group_id(self) -> str:
        return (
            f"{self.projection_group}.{self.instance}" if self.instance else self.projection_group
        )


def load_settings() -> FeatureSettings:
    """Read the environment; refuses to start when given a PostgreSQL URL."""
    refuse_foreign_store(PROCESS_NAME, "mongo")
    return FeatureSettings()
