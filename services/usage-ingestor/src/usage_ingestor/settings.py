"""Settings of the usage-ingestor process (PostgreSQL side only)."""

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from sendfx_shared.ownership import refuse_foreign_store
from sendfx_shared.settings import KafkaSettings, PostgresSettings

PROCESS_NAME = "usage-ingestor"
POSTGRES_ROLE = "sendfx_usage_ingestor"


class IngestorSettings(KafkaSettings, PostgresSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    postgres_user: str | None = POSTGRES_ROLE
    postgres_pool_max: int = 4
    port: int = Field(default=8003, validation_alias=AliasChoices("USAGE_INGESTOR_PORT", "PORT"))
    log_level: str = "info"
    group_id: str = Field(
        default="usage-ingestor", validation_alias=AliasChoices("USAGE_INGESTOR_GROUP_ID")
    )
    # The core.events consumer that keeps each workspace's quota (quotas.py).
    quota_group_id: str = Field(
        default="usage-ingestor-quotas",
        validation_alias=AliasChoices("USAGE_INGESTOR_QUOTA_GROUP_ID"),
    )
    outbox_relay_enabled: bool = Field(
        default=True, validation_alias=AliasChoices("USAGE_INGESTOR_OUTBOX_RELAY")
    )
    outbox_poll_interval: float = Field(
        default=1.0, gt=0, validation_alias=AliasChoices("USAGE_INGESTOR_OUTBOX_POLL_SECONDS")
    )
    # Large batches amortise the transaction and the round trips; the timeout
    # bounds the latency of a quiet topic.
    batch_max_records: int = Field(
        default=20_000, ge=1, validation_alias=AliasChoices("USAGE_INGESTOR_BATCH_MAX_RECORDS")
    )
    batch_timeout_ms: int = Field(
        default=100, ge=1, validation_alias=AliasChoices("USAGE_INGESTOR_BATCH_TIMEOUT_MS")
    )
    # How long the group waits for a crashed member before handing its
    # partitions to the others (a restarted process joins as a new member).
    session_timeout_ms: int = Field(
        default=10_000, ge=1000, validation_alias=AliasChoices("USAGE_INGESTOR_SESSION_TIMEOUT_MS")
    )
    statement_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        validation_alias=AliasChoices("USAGE_INGESTOR_STATEMENT_TIMEOUT_SECONDS"),
    )
    shutdown_grace_seconds: float = Field(
        default=15.0, ge=0, validation_alias=AliasChoices("USAGE_INGESTOR_SHUTDOWN_GRACE_SECONDS")
    )
    retry_initial_seconds: float = Field(
        default=0.2, gt=0, validation_alias=AliasChoices("USAGE_INGESTOR_RETRY_INITIAL_SECONDS")
    )
    retry_max_seconds: float = Field(
        default=10.0, gt=0, validation_alias=AliasChoices("USAGE_INGESTOR_RETRY_MAX_SECONDS")
    )
    topic_partitions: int = Field(
        default=3, ge=1, validation_alias=AliasChoices("USAGE_INGESTOR_TOPIC_PARTITIONS")
    )


def load_settings() -> IngestorSettings:
    """Refuses a MongoDB URL before reading anything else."""
    refuse_foreign_store(PROCESS_NAME, "postgres")
    return IngestorSettings()
