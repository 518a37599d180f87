"""Process settings from environment variables.

One base (``SendfxSettings``) holds the one configuration; a mixin per concern
(Kafka, auth, PostgreSQL, MongoDB, an HTTP service) declares the platform-wide
variables under their own names (``POSTGRES_URL``, ``KAFKA_BOOTSTRAP_SERVERS``,
…), and each service's class adds only an ``env_prefix`` and its own fields, so
``CORE_API_OUTBOX_RELAY`` is the field ``outbox_relay`` of core-api's settings.
"""

import ssl
from pathlib import Path
from typing import Annotated, Any, ClassVar, Final, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import AliasChoices, BeforeValidator, Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sendfx_shared import topics

# The servers' addresses; each process adds the credentials of its own role.
DEFAULT_POSTGRES_URL = "postgresql://127.0.0.1:54320/sendfx"
DEFAULT_MONGO_URL = "mongodb://127.0.0.1:27017/?replicaSet=secantus"
DEFAULT_MONGO_DATABASE = "sendfx"
DEFAULT_KAFKA = "127.0.0.1:9092"
# core-api's JWKS on the local stack; verifiers fetch their public keys there.
DEFAULT_JWKS_URL = "http://127.0.0.1:8001/api/auth/jwks"
Environment = Literal["development", "production"]


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


def _comma_list(value: Any) -> Any:
    return (
        tuple(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value
    )


# A list given as one comma-separated variable (``a,b,c``).
CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list)]

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]


DEVELOPMENT_ENV_FILE: Final = Path("var/development.env")


def platform_wide(name: str, *also: str) -> AliasChoices:
    """A variable read under its own name whatever the service's prefix."""
    return AliasChoices(name, *also)


class SendfxSettings(BaseSettings):
    """The one configuration every settings class shares. ``SENDFX_ENV`` says
    whether development secrets (the development token key, the local store
    passwords, the default admin password) may be used: only when it is
    ``development`` (``make up`` and the tests set it); see ``secrets.py``.

    ``make up`` also writes ``SENDFX_ENV=development`` to
    :data:`DEVELOPMENT_ENV_FILE` (``down`` removes it), read relative to the
    working directory: the project's commands run from the checkout then work
    against the local stack with nothing exported. Real variables win over it."""

    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, env_file=DEVELOPMENT_ENV_FILE
    )

    sendfx_env: Environment = Field("production", validation_alias=platform_wide("SENDFX_ENV"))

    @property
    def development(self) -> bool:
        return self.sendfx_env == "development"

    @classmethod
    def variable_of(cls, field: str) -> str:
        """The environment variable this class reads ``field`` from: its
        alias (the first, when it has several), else ``env_prefix`` + name."""
        alias = cls.model_fields[field].validation_alias
        if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
            return alias.choices[0]
        if isinstance(alias, str):
            return alias
        return (str(cls.model_config.get("env_prefix") or "") + field).upper()

    @classmethod
    def environment(cls, **values: object) -> dict[str, str]:
        """The variables that make this class read ``values`` (field name →
        value): what a runner sets for a process without spelling its names.
        A ``None`` sets nothing (the field keeps its default)."""
        return {
            cls.variable_of(field): _env_value(value)
            for field, value in values.items()
            if value is not None
        }


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class KafkaSettings(SendfxSettings):
    """The broker and how to authenticate to it: a managed cluster with one
    principal per service and topic ACLs works with these alone."""

    kafka_bootstrap_servers: str = Field(
        DEFAULT_KAFKA, validation_alias=platform_wide("KAFKA_BOOTSTRAP_SERVERS")
    )
    kafka_topic_prefix: str = Field("", validation_alias=platform_wide("KAFKA_TOPIC_PREFIX"))
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        "PLAINTEXT", validation_alias=platform_wide("KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "PLAIN", validation_alias=platform_wide("KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str | None = Field(
        None, validation_alias=platform_wide("KAFKA_SASL_USERNAME")
    )
    kafka_sasl_password: str | None = Field(
        None, repr=False, validation_alias=platform_wide("KAFKA_SASL_PASSWORD")
    )
    kafka_ssl_cafile: str | None = Field(None, validation_alias=platform_wide("KAFKA_SSL_CAFILE"))

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


class AuthSettings(SendfxSettings):
    """How a service verifies access tokens: public keys only. ``JWT_JWKS``
    (a JWKS or PEM public key, as text or a file path) wins over fetching
    core-api's JWKS from ``JWT_JWKS_URL``."""

    jwt_issuer: str = Field("sendfx-core-api", validation_alias=platform_wide("JWT_ISSUER"))
    jwt_jwks_url: str = Field(DEFAULT_JWKS_URL, validation_alias=platform_wide("JWT_JWKS_URL"))
    jwt_jwks: str | None = Field(None, validation_alias=platform_wide("JWT_JWKS"))
    jwt_jwks_cache_seconds: int = Field(
        300, ge=1, validation_alias=platform_wide("JWT_JWKS_CACHE_SECONDS")
    )


class ProcessSettings(SendfxSettings):
    """Where a process serves (its health and OpenAPI at least) and how it logs."""

    host: str = Field("127.0.0.1", validation_alias=platform_wide("HOST"))
    log_level: str = Field("info", validation_alias=platform_wide("LOG_LEVEL"))


class ServiceSettings(KafkaSettings, AuthSettings, ProcessSettings):
    """What an HTTP service needs besides its own store."""

    service_name: str = "sendfx"
    # The largest request body accepted (413 beyond; sendfx_shared.body_limit).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # Requests per user (per client address when signed out) per window, over
    # every instance (sendfx_shared.throttle); 0: no limit.
    rate_limit_requests: int = Field(default=1200, ge=0)
    rate_limit_window_seconds: int = Field(default=60, ge=1)
    # Peers whose X-Forwarded-For / X-Real-IP are believed (the gateway): IPs or CIDRs.
    trusted_proxies: CommaList = Field(
        default=("127.0.0.1", "::1"), validation_alias=platform_wide("TRUSTED_PROXIES")
    )


class PostgresSettings(SendfxSettings):
    """The server, and the login role of this process (``POSTGRES_USER`` /
    ``POSTGRES_PASSWORD``, or credentials in the URL). A subclass names its own
    role as the default; the resulting ``postgres_url`` carries it."""

    postgres_url: str = Field(
        DEFAULT_POSTGRES_URL, validation_alias=platform_wide("POSTGRES_URL", "DATABASE_URL")
    )
    postgres_user: str | None = Field(None, validation_alias=platform_wide("POSTGRES_USER"))
    postgres_password: str | None = Field(
        None, repr=False, validation_alias=platform_wide("POSTGRES_PASSWORD")
    )
    postgres_pool_min: int = Field(1, validation_alias=platform_wide("POSTGRES_POOL_MIN"))
    postgres_pool_max: int = Field(10, validation_alias=platform_wide("POSTGRES_POOL_MAX"))
    # The role a process logs in as unless POSTGRES_USER says otherwise.
    postgres_role: ClassVar[str | None] = None

    @model_validator(mode="after")
    def _add_credentials(self) -> "PostgresSettings":
        user = self.postgres_user or self.postgres_role
        password = self.postgres_password
        if password is None and user:
            password = dev_password(user)
        self.postgres_url = with_credentials(self.postgres_url, user, password)
        return self


class MongoSettings(SendfxSettings):
    """The server, and this process's MongoDB user (``MONGO_USERNAME`` /
    ``MONGO_PASSWORD``, authenticated against ``MONGO_AUTH_SOURCE``, or
    credentials in the URL)."""

    mongo_url: str = Field(DEFAULT_MONGO_URL, validation_alias=platform_wide("MONGO_URL"))
    mongo_username: str | None = Field(None, validation_alias=platform_wide("MONGO_USERNAME"))
    mongo_password: str | None = Field(
        None, repr=False, validation_alias=platform_wide("MONGO_PASSWORD")
    )
    mongo_auth_source: str = Field("admin", validation_alias=platform_wide("MONGO_AUTH_SOURCE"))
    # The user a process authenticates as unless MONGO_USERNAME says otherwise.
    mongo_user: ClassVar[str | None] = None

    def mongo_user_of(self, url: str | None = None) -> str | None:
        return urlsplit(url or self.mongo_url).username

    def mongo_credentials(self, url: str | None = None) -> dict[str, Any]:
        """PyMongo's credentials for this process to connect to ``url`` (default
        ``mongo_url``); none when that URL carries its own."""
        user = self.mongo_username or self.mongo_user
        if self.mongo_user_of(url) or not user:
            return {}
        password = self.mongo_password
        if password is None:
            password = dev_password(user)
        return {"username": user, "password": password, "authSource": self.mongo_auth_source}

    @property
    def mongo_database(self) -> str:
        return database_of(self.mongo_url)


def database_of(mongo_url: str, default: str = DEFAULT_MONGO_DATABASE) -> str:
    """The database a MongoDB URL names, or ``default`` when it names none."""
    rest = mongo_url.split("://", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    name = path.split("?", 1)[0]
    return name or default
