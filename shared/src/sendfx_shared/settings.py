"""Process settings from environment variables.

One base per kind of process; every service subclasses the one that matches
the store it owns, so the names (and defaults) of the variables are the same
everywhere.
"""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sendfx_shared import topics
from sendfx_shared.ownership import Store, refuse_foreign_store

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:54320/sendfx"
DEFAULT_MONGO_URL = "mongodb://127.0.0.1:27017/?replicaSet=secantus"
DEFAULT_MONGO_DATABASE = "sendfx"
DEFAULT_KAFKA = "127.0.0.1:9092"
DEV_JWT_SECRET = "sendfx-local-development-secret-change-me-in-production"


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = DEFAULT_KAFKA
    kafka_topic_prefix: str = ""

    def topic(self, name: str) -> str:
        return topics.prefixed(name, self.kafka_topic_prefix)


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "sendfx-core-api"
    jwt_ttl_seconds: int = 3600


class ServiceSettings(KafkaSettings, AuthSettings):
    """What an HTTP service needs besides its own store."""

    service_name: str = "sendfx"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"


class PostgresSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    postgres_url: str = Field(
        default=DEFAULT_POSTGRES_URL,
        validation_alias=AliasChoices("POSTGRES_URL", "DATABASE_URL", "postgres_url"),
    )
    postgres_pool_min: int = 1
    postgres_pool_max: int = 10


class MongoSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    mongo_url: str = DEFAULT_MONGO_URL

    @property
    def mongo_database(self) -> str:
        return database_of(self.mongo_url)


def database_of(mongo_url: str, default: str = DEFAULT_MONGO_DATABASE) -> str:
    """The database a MongoDB URL names, or ``default`` when it names none."""
    rest = mongo_url.split("://", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    name = path.split("?", 1)[0]
    return name or default


def guard_store(process: str, store: Store) -> None:
    """Call before reading settings: refuses the other store's URL."""
    refuse_foreign_store(process, store)
