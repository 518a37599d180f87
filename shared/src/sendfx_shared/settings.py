"""Process settings from environment variables.

One base per kind of process; every service subclasses the one that matches
the store it owns, so the names (and defaults) of the variables are the same
everywhere.
"""

import ssl
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sendfx_shared import topics

# The servers' addresses; each process adds the credentials of its own role.
DEFAULT_POSTGRES_URL = "postgresql://127.0.0.1:54320/sendfx"
DEFAULT_MONGO_URL = "mongodb://127.0.0.1:27017/?replicaSet=secantus"
DEFAULT_MONGO_DATABASE = "sendfx"
DEFAULT_KAFKA = "127.0.0.1:9092"
DEV_JWT_SECRET = "sendfx-local-development-secret-change-me-in-production"


def dev_password(principal: str) -> str:
    """The password of a store principal (a PostgreSQL role, a MongoDB user) on
    the local development servers, which ``make up`` and the tests provision.
    Anywhere real, each process is given its own secret instead."""
    return f"{principal}-local-dev"


def with_credentials(url: str, user: str | None, password: str | None) -> str:
    """``url`` with ``user:password@`` added when it names no user of its own
    (credentials written into the URL win)."""
    parts = urlsplit(url)
    if parts.username or not user:
        return url
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return urlunsplit(parts._replace(netloc=f"{auth}@{parts.netloc}"))


KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]


class KafkaSettings(BaseSettings):
    """The broker and how to authenticate to it: a managed cluster with one
    principal per service and topic ACLs works with these alone."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = DEFAULT_KAFKA
    kafka_topic_prefix: str = ""
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = Field(default=None, repr=False)
    kafka_ssl_cafile: str | None = None

    def topic(self, name: str) -> str:
        return topics.prefixed(name, self.kafka_topic_prefix)

    def kafka_client_options(self) -> dict[str, Any]:
        """aiokafka's connection options (producer, consumer, admin alike)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.kafka_bootstrap_servers,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol in ("SSL", "SASL_SSL"):
            options["ssl_context"] = ssl.create_default_context(cafile=self.kafka_ssl_cafile)
        if self.kafka_security_protocol.startswith("SASL_"):
            options["sasl_mechanism"] = self.kafka_sasl_mechanism
            options["sasl_plain_username"] = self.kafka_sasl_username
            options["sasl_plain_password"] = self.kafka_sasl_password
        return options


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
    """The server, and the login role of this process (``POSTGRES_USER`` /
    ``POSTGRES_PASSWORD``, or credentials in the URL). A subclass names its own
    role as the default; the resulting ``postgres_url`` carries it."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    postgres_url: str = Field(
        default=DEFAULT_POSTGRES_URL,
        validation_alias=AliasChoices("POSTGRES_URL", "DATABASE_URL", "postgres_url"),
    )
    postgres_user: str | None = None
    postgres_password: str | None = Field(default=None, repr=False)
    postgres_pool_min: int = 1
    postgres_pool_max: int = 10

    @model_validator(mode="after")
    def _add_credentials(self) -> "PostgresSettings":
        password = self.postgres_password
        if password is None and self.postgres_user:
            password = dev_password(self.postgres_user)
        self.postgres_url = with_credentials(self.postgres_url, self.postgres_user, password)
        return self


class MongoSettings(BaseSettings):
    """The server, and this process's MongoDB user (``MONGO_USERNAME`` /
    ``MONGO_PASSWORD``, authenticated against ``MONGO_AUTH_SOURCE``, or
    credentials in the URL)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    mongo_url: str = DEFAULT_MONGO_URL
    mongo_username: str | None = None
    mongo_password: str | None = Field(default=None, repr=False)
    mongo_auth_source: str = "admin"

    def mongo_user_of(self, url: str | None = None) -> str | None:
        return urlsplit(url or self.mongo_url).username

    def mongo_credentials(self, url: str | None = None) -> dict[str, Any]:
        """PyMongo's credentials for this process to connect to ``url`` (default
        ``mongo_url``); none when that URL carries its own."""
        if self.mongo_user_of(url) or not self.mongo_username:
            return {}
        password = self.mongo_password
        if password is None:
            password = dev_password(self.mongo_username)
        return {
            "username": self.mongo_username,
            "password": password,
            "authSource": self.mongo_auth_source,
        }

    @property
    def mongo_database(self) -> str:
        return database_of(self.mongo_url)


def database_of(mongo_url: str, default: str = DEFAULT_MONGO_DATABASE) -> str:
    """The database a MongoDB URL names, or ``default`` when it names none."""
    rest = mongo_url.split("://", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    name = path.split("?", 1)[0]
    return name or default
