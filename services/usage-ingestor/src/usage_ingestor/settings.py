"""Settings of the usage-ingestor process (PostgreSQL side only; it verifies the
access tokens of its usage routes as every HTTP service does)."""

from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from sendfx_shared.ownership import refuse_foreign_store
from sendfx_shared.settings import AuthSettings, KafkaSettings, PostgresSettings, ProcessSettings

PROCESS_NAME = "usage-ingestor"
POSTGRES_ROLE = "sendfx_usage_ingestor"


class IngestorSettings(KafkaSettings, AuthSettings, PostgresSettings, ProcessSettings):
    """``USAGE_INGESTOR_*`` variables, beside the platform-wide ones of the bases."""

    model_config = SettingsConfigDict(env_prefix="USAGE_INGESTOR_")
    postgres_role: ClassVar[str | None] = POSTGRES_ROLE

    postgres_pool_max: int = Field(4, validation_alias=AliasChoices("POSTGRES_POOL_MAX"))
    port: int = Field(default=8003, validation_alias=AliasChoices("USAGE_INGESTOR_PORT", "PORT"))
    group_id: str = "usage-ingestor"
    # The core.events consumer that keeps each workspace's quota (quotas.py).
    quota_group_id: str = "usage-ingestor-quotas"
    outbox_relay: bool = True
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # Large batches amortise the transaction and the round trips; the timeout
    # bounds the latency of a quiet topic.
    batch_max_records: int = Field(default=20_000, ge=1)
    batch_timeout_ms: int = Field(default=100, ge=1)
    # How long the group waits for a crashed member before handing its
    # partitions to the others (a restarted process joins as a new member).
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    statement_timeout_seconds: float = Field(default=120.0, gt=0)
    shutdown_grace_seconds: float = Field(default=15.0, ge=0)
    retry_initial_seconds: float = Field(default=0.2, gt=0)
    retry_max_seconds: float = Field(default=10.0, gt=0)
    topic_partitions: int = Field(default=3, ge=1)
    # How long a usage route waits for core.events to be consumed to now before
    # answering 404 for a workspace never heard of (one just created).
    consistency_wait_seconds: float = Field(default=2.0, ge=0)
    # Calls repriced per transaction (reprice: bounded chunks).
    reprice_chunk: int = Field(default=5_000, ge=1, le=100_000)
    # core.openai_usage's monthly partitions (history.py): this many months
    # beyond the current one exist at all times; a pass every so often; and
    # the months kept besides the current one (0: keep every month).
    partitions_ahead: int = Field(default=3, ge=0, le=120)
    partition_check_seconds: float = Field(default=3600.0, gt=0)
    retention_months: int = Field(default=0, ge=0)


def load_settings() -> IngestorSettings:
    """Refuses a MongoDB URL before reading anything else."""
    refuse_foreign_store(PROCESS_NAME, "postgres")
    return IngestorSettings()
