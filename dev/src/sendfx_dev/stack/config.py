"""Where every component of the local stack lives: ``StackConfig``.

Read once from the documented variables (``StackConfig.from_env``); the
environment of each service process is its component's (``own_env``).
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sendfx_dev import gateway, ownership, servers
from sendfx_dev.databases import mongo_user_url
from sendfx_dev.ports import free_port
from sendfx_shared.settings import DEFAULT_KAFKA, dev_password

# What `up` connects with to provision the stores: their admin users.
DEFAULT_POSTGRES_URL = servers.postgres_admin_url(54320, "sendfx")
DEFAULT_MONGO_URL = servers.mongo_admin_url(27017)

# Instance k (from 0) of a service listens on its port + k * REPLICA_PORT_STEP:
# with the defaults core-api 8001, 8101, …; feature-api 8002, 8102, ….
REPLICA_PORT_STEP = 100

ADMIN_EMAIL = "admin@sendfx.ai"
DEFAULT_ADMIN_PASSWORD = "sendfx-admin"
FAKE_OPENAI_KEY = "sk-sendfx-local-fake"

# Variables that name a store or a secret: a service process gets only the
# ones that belong to it, never the ones inherited from the caller's shell.
_SCRUBBED = (
    "POSTGRES_URL",
    "DATABASE_URL",
    "MONGO_URL",
    "LEGACY_MONGO_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_TOPIC_PREFIX",
    "JWT_PRIVATE_KEY",
    "JWT_JWKS",
    "JWT_JWKS_URL",
    "ADMIN_PASSWORD",
    "PORT",
)


def find_root(start: Path | None = None) -> Path:
    """The repository root: ``SENDFX_ROOT``, else the nearest folder up with deploy/nginx."""
    explicit = os.environ.get("SENDFX_ROOT")
    if explicit:
        return Path(explicit).resolve()
    for folder in [(start or Path.cwd()).resolve(), *(start or Path.cwd()).resolve().parents]:
        if (folder / gateway.SERVER_TEMPLATE).exists() and (folder / "pyproject.toml").exists():
            return folder
    # installed editable from the workspace: dev/src/sendfx_dev/stack/config.py
    return Path(__file__).resolve().parents[4]


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw else default


def _url_port(url: str, default: int) -> int:
    hostport = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    first = hostport.split(",", 1)[0]
    return int(first.rsplit(":", 1)[1]) if ":" in first else default


def _replicas(raw: str | None) -> int:
    count = int(raw) if raw else 1
    if not 1 <= count <= 9:
        raise ValueError(f"SENDFX_REPLICAS must be 1 to 9, not {raw}")
    return count


def instance_port(port: int, index: int) -> int:
    """The port of instance ``index`` (from 0) of a service whose first listens on ``port``."""
    return port + index * REPLICA_PORT_STEP


@dataclass(frozen=True)
class StackConfig:
    """Where every component lives. ``*_external`` means: use it, never start it."""

    root: Path
    state_dir: Path
    postgres_url: str = DEFAULT_POSTGRES_URL
    postgres_external: bool = False
    kafka_bootstrap_servers: str = DEFAULT_KAFKA
    kafka_external: bool = False
    mongo_url: str = DEFAULT_MONGO_URL
    mongo_external: bool = False
    openai_api_key: str = FAKE_OPENAI_KEY
    openai_base_url: str = "http://127.0.0.1:8090/v1"
    fake_openai: bool = True
    fake_openai_port: int = 8090
    core_api_port: int = 8001
    feature_api_port: int = 8002
    usage_ingestor_port: int = 8003
    gateway_port: int = 8080
    # core-api's token signing key (PEM or path); None: the development key.
    jwt_private_key: str | None = None
    replicas: int = 1  # instances of each service (SENDFX_REPLICAS)
    prometheus_port: int = 9090
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    kafka_topic_prefix: str = ""
    cors_origins: str = gateway.DEFAULT_CORS_ORIGINS
    bin_dir: Path = field(default_factory=lambda: Path(".venv/bin"))

    @classmethod
    def on_free_ports(cls, root: Path, state_dir: Path, **overrides: Any) -> "StackConfig":
        """Every server and service on a free port, its state in ``state_dir``:
        a whole platform beside a developer's (benchmarks, tests)."""
        fake = free_port()
        values: dict[str, Any] = {
            "postgres_url": servers.postgres_admin_url(free_port(), "sendfx"),
            "kafka_bootstrap_servers": f"127.0.0.1:{free_port()}",
            "mongo_url": servers.mongo_admin_url(free_port()),
            "fake_openai_port": fake,
            "openai_base_url": f"http://127.0.0.1:{fake}/v1",
            "core_api_port": free_port(),
            "feature_api_port": free_port(),
            "usage_ingestor_port": free_port(),
            "gateway_port": free_port(),
            "prometheus_port": free_port(),
            "bin_dir": root / ".venv" / "bin",
        }
        return cls(root=root, state_dir=state_dir, **{**values, **overrides})

    @classmethod
    def from_env(cls, root: Path, env: Mapping[str, str] | None = None) -> "StackConfig":
        env = os.environ if env is None else env
        postgres_url = env.get("POSTGRES_URL") or env.get("DATABASE_URL")
        kafka = env.get("KAFKA_BOOTSTRAP_SERVERS")
        mongo = env.get("MONGO_URL")
        openai_key = env.get("OPENAI_API_KEY")
        fake_port = _port(env, "FAKE_OPENAI_PORT", 8090)
        return cls(
            root=root,
            state_dir=Path(env["SENDFX_STATE_DIR"])
            if env.get("SENDFX_STATE_DIR")
            else root / "var",
            postgres_url=postgres_url or DEFAULT_POSTGRES_URL,
            postgres_external=bool(postgres_url),
            kafka_bootstrap_servers=kafka or DEFAULT_KAFKA,
            kafka_external=bool(kafka),
            mongo_url=mongo or DEFAULT_MONGO_URL,
            mongo_external=bool(mongo),
            openai_api_key=openai_key or FAKE_OPENAI_KEY,
            openai_base_url=env.get("OPENAI_BASE_URL")
            or ("https://api.openai.com/v1" if openai_key else f"http://127.0.0.1:{fake_port}/v1"),
            fake_openai=not openai_key,
            fake_openai_port=fake_port,
            core_api_port=_port(env, "CORE_API_PORT", 8001),
            feature_api_port=_port(env, "FEATURE_API_PORT", 8002),
            usage_ingestor_port=_port(env, "USAGE_INGESTOR_PORT", 8003),
            gateway_port=_port(env, "GATEWAY_PORT", 8080),
            jwt_private_key=env.get("JWT_PRIVATE_KEY") or None,
            replicas=_replicas(env.get("SENDFX_REPLICAS")),
            prometheus_port=_port(env, "PROMETHEUS_PORT", 9090),
            admin_password=env.get("ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD,
            kafka_topic_prefix=env.get("KAFKA_TOPIC_PREFIX", ""),
            cors_origins=env.get("CORS_ORIGINS") or gateway.DEFAULT_CORS_ORIGINS,
            bin_dir=root / ".venv" / "bin",
        )

    @property
    def postgres_port(self) -> int:
        return _url_port(self.postgres_url, 5432)

    @property
    def kafka_port(self) -> int:
        return _url_port(self.kafka_bootstrap_servers, 9092)

    @property
    def mongo_port(self) -> int:
        return _url_port(self.mongo_url, 27017)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def run_dir(self) -> Path:
        return self.state_dir / "run"

    def log_of(self, component: str) -> Path:
        return self.state_dir / "log" / f"{component}.log"

    @property
    def jwks_url(self) -> str:
        """Where the verifiers fetch core-api's public token keys."""
        return f"http://127.0.0.1:{self.core_api_port}/api/auth/jwks"

    @property
    def feature_mongo_url(self) -> str:
        """MONGO_URL as feature-api's own user (readWrite on its database only)."""
        user = ownership.FEATURE_API_USER
        return mongo_user_url(self.mongo_url, None, user, dev_password(user))

    def instance_ports(self, port: int) -> list[int]:
        """The port of each instance of a service whose first listens on ``port``."""
        return [instance_port(port, index) for index in range(self.replicas)]

    def own_env(self, component: str) -> dict[str, str]:
        """The variables ``up`` sets for a service: its own store's, never the other's."""
        from sendfx_dev.stack.registry import component_named

        return component_named(component).own_env(self)

    def scrubbed_env(self) -> dict[str, str]:
        """The caller's environment without any store or secret."""
        return {k: v for k, v in os.environ.items() if k not in _SCRUBBED}

    def service_env(self, component: str) -> dict[str, str]:
        """The complete environment of a service process (the caller's, scrubbed)."""
        return self.scrubbed_env() | self.own_env(component)
