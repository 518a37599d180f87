"""Settings of each migrator command, each holding only the store it may reach.

``extract`` reads MongoDB (the legacy database) and writes Kafka; ``load`` and
``replay`` read Kafka and write PostgreSQL. Each refuses to start when given
the other store's URL. ``verify`` and ``reset-factory`` are operator commands
that compare or clear both stores, so they take both.

Each command connects as a principal of its own: ``migrator load`` /
``replay`` as the PostgreSQL role ``sendfx_migrator``; ``extract`` as the
MongoDB user ``migrator-extract`` (read on the legacy database, readWrite on
its checkpoint database only); ``verify`` and ``reset-factory`` as the
operator (``sendfx_operator`` / ``sendfx-operator``).
"""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sendfx_shared.ownership import refuse_foreign_store
from sendfx_shared.secrets import refuse_development_secrets
from sendfx_shared.settings import (
    KafkaSettings,
    MongoSettings,
    PostgresSettings,
    database_of,
    platform_wide,
)

CHECKPOINT_COLLECTION = "migrator_checkpoints"
LOAD_ROLE = "sendfx_migrator"
OPERATOR_ROLE = "sendfx_operator"
EXTRACT_MONGO_USER = "migrator-extract"
OPERATOR_MONGO_USER = "sendfx-operator"


# Each command's own variables are ``MIGRATOR_*``, beside the platform-wide ones
# of the bases (declared in each class: a base's configuration would not win).
_MIGRATOR_VARIABLES = SettingsConfigDict(env_prefix="MIGRATOR_")


class LegacyMongoSettings(MongoSettings):
    legacy_mongo_url: str | None = Field(
        default=None, validation_alias=platform_wide("LEGACY_MONGO_URL")
    )

    @property
    def legacy_url(self) -> str:
        """``LEGACY_MONGO_URL``, else ``MONGO_URL`` (whose database then holds the legacy data)."""
        return self.legacy_mongo_url or self.mongo_url

    @property
    def legacy_database(self) -> str:
        return database_of(self.legacy_url)

    @property
    def checkpoint_database(self) -> str:
        """Where extract keeps its checkpoints: a database of its own, beside
        the legacy one, which extract may only read."""
        return self.state_database or f"{self.legacy_database}_migrator"

    state_database: str | None = None


class ExtractSettings(KafkaSettings, LegacyMongoSettings):
    model_config = _MIGRATOR_VARIABLES
    mongo_user: ClassVar[str | None] = EXTRACT_MONGO_USER
    extract_batch_size: int = 1000


class LoadSettings(KafkaSettings, PostgresSettings):
    model_config = _MIGRATOR_VARIABLES
    postgres_role: ClassVar[str | None] = LOAD_ROLE
    load_batch_size: int = 5000
    # In --follow mode, how long a record may wait for its parent before it is
    # reported as rejected (it stays pending and heals if the parent comes).
    pending_grace_seconds: float = 30.0


class OperatorSettings(ExtractSettings, LoadSettings):
    """Both stores: for verify and reset-factory only."""

    model_config = _MIGRATOR_VARIABLES

    postgres_role: ClassVar[str | None] = OPERATOR_ROLE
    mongo_user: ClassVar[str | None] = OPERATOR_MONGO_USER


def extract_settings() -> ExtractSettings:
    refuse_foreign_store("migrator extract", "mongo")
    settings = ExtractSettings()
    refuse_development_secrets("migrator extract", settings)
    return settings


def load_settings(command: str = "load") -> LoadSettings:
    refuse_foreign_store(f"migrator {command}", "postgres")
    settings = LoadSettings()
    refuse_development_secrets(f"migrator {command}", settings)
    return settings


def operator_settings() -> OperatorSettings:
    settings = OperatorSettings()
    refuse_development_secrets("migrator", settings)
    return settings
