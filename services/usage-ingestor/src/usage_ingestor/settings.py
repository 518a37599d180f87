"""Settings of the usage-ingestor process (PostgreSQL side only)."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from sendfx_shared.settings import KafkaSettings, PostgresSettings, guard_store

PROCESS_NAME = "usage-ingestor"
DEFAULT_PRICES_FILE = Path(__file__).parent / "prices" / "openai_prices.json"


class IngestorSettings(KafkaSettings, PostgresSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    postgres_pool_max: int = 4
    port: int = Field(default=8003, validation_alias=AliasChoices("USAGE_INGESTOR_PORT", "PORT"))
    log_level: str = "info"
    group_id: str = Field(
        default="usage-ingestor", validation_alias=AliasChoices("USAGE_INGESTOR_GROUP_ID")
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
    prices_file: Path = Field(
        default=DEFAULT_PRICES_FILE, validation_alias=AliasChoices("USAGE_INGESTOR_PRICES_FILE")
    )


def load_settings() -> IngestorSettings:
    """Refuses a MongoDB URL before reading anything else."""
    guard_store(PROCESS_NAME, "postgres")
    return IngestorSettings()
