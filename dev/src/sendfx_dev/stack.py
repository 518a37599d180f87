"""The whole local platform as one ordered list of components.

``Stack.up`` starts, health-checks and records each component in order —
PostgreSQL, Kafka (Tansu), MongoDB (SecantusDB), the fake OpenAI server,
core-api, usage-ingestor, feature-api and the nginx gateway — reusing what is
already running and healthy. ``Stack.down`` stops only what a ``up`` started,
as recorded in ``<state>/run/<component>.json``. The CLI (``sendfx-dev``) and
the end-to-end tests both drive this class; the tests simply point it at the
test session's servers and at free ports.
"""

import asyncio
import importlib.util
import json
import os
import re
import signal
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx
from pydantic import BaseModel

from sendfx_dev import gateway, ownership, servers
from sendfx_dev.databases import create_database, mongo_user_url, provision_database, role_url
from sendfx_dev.ports import port_is_open, wait_until
from sendfx_dev.servers import ComponentFailed, pid_alive, spawn, stop_pid
from sendfx_shared.settings import (
    DEFAULT_KAFKA,
    DEV_JWT_SECRET,
    database_of,
    dev_password,
)

# What `up` connects with to provision the stores: their admin users.
DEFAULT_POSTGRES_URL = servers.postgres_admin_url(54320, "sendfx")
DEFAULT_MONGO_URL = servers.mongo_admin_url(27017)

ADMIN_EMAIL = "admin@sendfx.ai"
DEFAULT_ADMIN_PASSWORD = "sendfx-admin"
FAKE_OPENAI_KEY = "sk-sendfx-local-fake"

COMPONENTS = (
    "postgres",
    "kafka",
    "mongodb",
    "fake-openai",
    "core-api",
    "usage-ingestor",
    "feature-api",
    "gateway",
)

# `down` stops each tier after the one that depends on it, a tier's members
# side by side. Together they are COMPONENTS, in start order.
_STOP_TIERS = (
    ("postgres", "kafka", "mongodb"),
    ("fake-openai", "core-api", "usage-ingestor", "feature-api"),
    ("gateway",),
)
assert [c for tier in _STOP_TIERS for c in tier] == list(COMPONENTS)

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
    "JWT_SECRET",
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
    # installed editable from the workspace: dev/src/sendfx_dev/stack.py
    return Path(__file__).resolve().parents[3]


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw else default


def _url_port(url: str, default: int) -> int:
    hostport = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    first = hostport.split(",", 1)[0]
    return int(first.rsplit(":", 1)[1]) if ":" in first else default


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
    jwt_secret: str = DEV_JWT_SECRET
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    kafka_topic_prefix: str = ""
    cors_origins: str = gateway.DEFAULT_CORS_ORIGINS
    bin_dir: Path = field(default_factory=lambda: Path(".venv/bin"))

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
            jwt_secret=env.get("JWT_SECRET") or DEV_JWT_SECRET,
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

    def own_env(self, component: str) -> dict[str, str]:
        """The variables ``up`` sets for a service: its own store's, never the other's."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": self.kafka_topic_prefix,
        }
        if component == "core-api":
            env["POSTGRES_URL"] = role_url(self.postgres_url, ownership.CORE_API)
            env["JWT_SECRET"] = self.jwt_secret
            env["ADMIN_PASSWORD"] = self.admin_password
            env["CORE_API_PORT"] = str(self.core_api_port)
        elif component == "usage-ingestor":
            env["POSTGRES_URL"] = role_url(self.postgres_url, ownership.USAGE_INGESTOR)
            env["USAGE_INGESTOR_PORT"] = str(self.usage_ingestor_port)
        elif component == "feature-api":
            env["MONGO_URL"] = self.feature_mongo_url
            env["JWT_SECRET"] = self.jwt_secret
            env["OPENAI_API_KEY"] = self.openai_api_key
            env["OPENAI_BASE_URL"] = self.openai_base_url
            env["FEATURE_API_PORT"] = str(self.feature_api_port)
        return env

    @property
    def feature_mongo_url(self) -> str:
        """MONGO_URL as feature-api's own user (readWrite on its database only)."""
        user = ownership.FEATURE_API_USER
        return mongo_user_url(self.mongo_url, None, user, dev_password(user))

    def service_env(self, component: str) -> dict[str, str]:
        """The complete environment of a service process (the caller's, scrubbed)."""
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update(self.own_env(component))
        return env


class RunRecord(BaseModel):
    """``<state>/run/<component>.json``: what ``down`` needs to stop a component."""

    component: str
    pid: int | None
    port: int
    url: str
    started_by_us: bool
    log: str
    started_at: str
    data_dir: str | None = None


Outcome = Literal["started", "reused", "reloaded", "external", "skipped"]


@dataclass
class Result:
    component: str
    outcome: Outcome
    url: str
    note: str = ""


# --- health checks ---------------------------------------------------------


def http_healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def postgres_healthy(url: str) -> bool:
    from sendfx_shared.postgres import connect

    async def probe() -> bool:
        connection = await asyncio.wait_for(connect(url), 3)
        try:
            return bool(await connection.fetchval("SELECT 1") == 1)
        finally:
            await connection.close()

    try:
        return asyncio.run(probe())
    except Exception:
        return False


def ensure_postgres_database(url: str) -> bool:
    """Create the database ``url`` names when the server lacks it; True if created."""
    import asyncpg

    from sendfx_shared.postgres import connect

    base, _, tail = url.rpartition("/")
    name, _, query = tail.partition("?")

    async def create() -> bool:
        try:
            connection = await connect(url)
        except asyncpg.InvalidCatalogNameError:
            admin = await connect(f"{base}/postgres" + (f"?{query}" if query else ""))
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()
            return True
        await connection.close()
        return False

    return asyncio.run(create())


kafka_healthy = servers.kafka_bootstrap_answers
mongo_healthy = servers.mongo_url_answers


# --- the stack -------------------------------------------------------------


Say = Callable[[str], None]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Stack:
    config: StackConfig
    say: Say = print
    health_timeout: float = 90.0
    # Tests: a killed test session must not leave services behind.
    tied_to_caller: bool = False

    # records ------------------------------------------------------------

    def record_path(self, component: str) -> Path:
        return self.config.run_dir() / f"{component}.json"

    def read_record(self, component: str) -> RunRecord | None:
        path = self.record_path(component)
        if not path.exists():
            return None
        try:
            return RunRecord.model_validate_json(path.read_text())
        except ValueError:
            return None

    def write_record(self, record: RunRecord) -> None:
        path = self.record_path(record.component)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record.model_dump_json(indent=2) + "\n")

    def forget(self, component: str) -> None:
        self.record_path(component).unlink(missing_ok=True)

    # up -----------------------------------------------------------------

    def up(self, only: list[str] | None = None) -> list[Result]:
        results: list[Result] = []
        for component in COMPONENTS:
            if only is not None and component not in only:
                continue
            result = self._ensure(component)
            results.append(result)
            detail = f" ({result.note})" if result.note else ""
            self.say(f"  {component:<15} {result.outcome:<8} {redacted(result.url)}{detail}")
        return results

    def _ensure(self, component: str) -> Result:
        handlers: dict[str, Callable[[], Result]] = {
            "postgres": self._postgres,
            "kafka": self._kafka,
            "mongodb": self._mongodb,
            "fake-openai": self._fake_openai,
            "core-api": lambda: self._service(
                "core-api", "core_api.main", self.config.core_api_port
            ),
            "usage-ingestor": lambda: self._service(
                "usage-ingestor", "usage_ingestor.main", self.config.usage_ingestor_port
            ),
            "feature-api": lambda: self._service(
                "feature-api", "feature_api.main", self.config.feature_api_port
            ),
            "gateway": self._gateway,
        }
        return handlers[component]()

    def _reuse(self, component: str, healthy: Callable[[], bool], url: str) -> Result | None:
        """Our own process still running and healthy: keep it. Stale record: drop it."""
        record = self.read_record(component)
        if record is None:
            return None
        if record.started_by_us and record.pid and pid_alive(record.pid):
            if wait_until(healthy, 10, interval=0.3):
                return Result(component, "reused", url)
            raise ComponentFailed(
                component,
                f"running as pid {record.pid} but not healthy; `sendfx-dev down` then `up`",
                self.config.log_of(component),
            )
        self.forget(component)
        return None

    def _refuse_foreign_port(self, component: str, port: int, hint: str) -> None:
        if port_is_open(port):
            raise ComponentFailed(
                component,
                f"port {port} on 127.0.0.1 is taken by a process sendfx-dev did not start; "
                f"stop it or {hint}",
                self.config.log_of(component),
            )

    def _record(
        self, component: str, pid: int | None, port: int, url: str, ours: bool, **extra: str
    ) -> None:
        self.write_record(
            RunRecord(
                component=component,
                pid=pid,
                port=port,
                url=url,
                started_by_us=ours,
                log=str(self.config.log_of(component)),
                started_at=_now(),
                data_dir=extra.get("data_dir"),
            )
        )

    def _server(
        self,
        component: str,
        variable: str,
        url: str,
        port: int,
        external: bool,
        healthy: Callable[[], bool],
        start: Callable[[], servers.Server],
    ) -> Result:
        """A store or broker: the one ``variable`` names, ours reused, or a new one."""
        if external:
            if not healthy():
                raise ComponentFailed(component, f"{variable} does not answer: {url}", None)
            self._record(component, None, port, url, False)
            return Result(component, "external", url)
        reused = self._reuse(component, healthy, url)
        if reused:
            return reused
        self._refuse_foreign_port(component, port, f"set {variable} to use that server")
        server = start()
        self._record(component, server.pid, port, url, True, **server.extra)
        return Result(component, "started", url)

    def _postgres(self) -> Result:
        cfg = self.config
        url = cfg.postgres_url
        data_dir = cfg.state_dir / "postgres"
        result = self._server(
            "postgres",
            "POSTGRES_URL",
            url,
            cfg.postgres_port,
            cfg.postgres_external,
            lambda: postgres_healthy(url) or self._try_create_database(url),
            lambda: servers.start_postgres(data_dir, cfg.postgres_port, cfg.log_of("postgres")),
        )
        if result.outcome == "started" and ensure_postgres_database(url):
            result.note = "database created"
        self._provision_postgres(url)
        return result

    def _provision_postgres(self, url: str) -> None:
        """The roles and schemas every process needs (idempotent). core-api and
        usage-ingestor apply their own migrations at start-up; the migrator is a
        command with no start-up, so its schema is migrated here, as its role,
        after core-api's, whose tables it references (applied as core-api's
        role: core-api finds them done at start-up)."""
        base, _, tail = url.rpartition("/")
        database = tail.partition("?")[0]
        try:
            asyncio.run(create_database(f"{base}/postgres", database))
            asyncio.run(provision_database(url, database, migrate=("core-api", "migrator")))
        except Exception as exc:
            raise ComponentFailed(
                "postgres",
                f"could not provision the roles ({exc}); POSTGRES_URL must name an admin "
                "user, or have a DBA run deploy/postgres/roles.sql",
                self.config.log_of("postgres"),
            ) from exc

    def _try_create_database(self, url: str) -> bool:
        try:
            ensure_postgres_database(url)
        except Exception:
            return False
        return postgres_healthy(url)

    def _kafka(self) -> Result:
        cfg = self.config
        url = cfg.kafka_bootstrap_servers
        return self._server(
            "kafka",
            "KAFKA_BOOTSTRAP_SERVERS",
            url,
            cfg.kafka_port,
            cfg.kafka_external,
            lambda: kafka_healthy(url),
            lambda: servers.start_tansu(cfg.kafka_port, cfg.log_of("kafka")),
        )

    def _mongodb(self) -> Result:
        cfg = self.config
        url = cfg.mongo_url
        result = self._server(
            "mongodb",
            "MONGO_URL",
            url,
            cfg.mongo_port,
            cfg.mongo_external,
            lambda: mongo_healthy(url),
            lambda: servers.start_secantus(
                cfg.state_dir / "mongo", cfg.mongo_port, cfg.log_of("mongodb")
            ),
        )
        self._provision_mongo(url)
        return result

    def _provision_mongo(self, url: str) -> None:
        from pymongo import AsyncMongoClient

        database = database_of(url)

        async def provision() -> None:
            client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
            try:
                await ownership.provision_mongo(client.admin, database, database)
            finally:
                await client.close()

        try:
            asyncio.run(provision())
        except Exception as exc:
            raise ComponentFailed(
                "mongodb",
                f"could not provision the users ({exc}); MONGO_URL must name a root user",
                self.config.log_of("mongodb"),
            ) from exc

    def _fake_openai(self) -> Result:
        cfg = self.config
        if not cfg.fake_openai:
            return Result("fake-openai", "skipped", cfg.openai_base_url, "OPENAI_API_KEY is set")
        port = cfg.fake_openai_port
        health = f"http://127.0.0.1:{port}/healthz"
        return self._process(
            "fake-openai",
            [str(cfg.bin_dir / "fake-openai"), "--host", "127.0.0.1", "--port", str(port)],
            port,
            health,
            cfg.openai_base_url,
            env=None,
            module="sendfx_dev.fake_openai",
        )

    def _service(self, component: str, module: str, port: int) -> Result:
        health = f"http://127.0.0.1:{port}/healthz"
        return self._process(
            component,
            [str(self.config.bin_dir / component)],
            port,
            health,
            f"http://127.0.0.1:{port}/openapi.json",
            env=self.config.service_env(component),
            module=module,
        )

    def _process(
        self,
        component: str,
        argv: list[str],
        port: int,
        health: str,
        url: str,
        env: dict[str, str] | None,
        module: str,
    ) -> Result:
        reused = self._reuse(component, lambda: http_healthy(health), url)
        if reused:
            return reused
        if not Path(argv[0]).exists() or importlib.util.find_spec(module) is None:
            # The services are built in parallel with this runner: a missing
            # one is reported, not fatal, so the rest of the stack still runs.
            return Result(component, "skipped", url, f"not built yet: {argv[0]} / {module} missing")
        if port_is_open(port):
            if http_healthy(health):
                self._record(component, None, port, url, False)
                return Result(component, "reused", url, "already running, not started by us")
            self._refuse_foreign_port(component, port, f"free port {port}")
        log = self.config.log_of(component)
        pid = spawn(
            argv,
            log,
            env=env,
            cwd=self.config.root,
            replace_env=env is not None,
            die_with_parent=self.tied_to_caller,
        )
        self._record(component, pid, port, url, True)
        self._wait_healthy(component, pid, lambda: http_healthy(health), log)
        return Result(component, "started", url)

    def _wait_healthy(
        self, component: str, pid: int, healthy: Callable[[], bool], log: Path
    ) -> None:
        deadline = time.monotonic() + self.health_timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                self.forget(component)
                raise ComponentFailed(component, "exited during start-up", log)
            if healthy():
                return
            time.sleep(0.3)
        stop_pid(pid)
        self.forget(component)
        raise ComponentFailed(
            component, f"no healthy answer within {self.health_timeout:.0f} s", log
        )

    def gateway_config(self) -> gateway.GatewayConfig:
        cfg = self.config
        return gateway.GatewayConfig(
            root=cfg.root,
            state_dir=cfg.state_dir,
            log=cfg.log_of("gateway"),
            host="127.0.0.1",
            port=cfg.gateway_port,
            core_api=f"127.0.0.1:{cfg.core_api_port}",
            feature_api=f"127.0.0.1:{cfg.feature_api_port}",
            cors_origins=cfg.cors_origins,
        )

    def _gateway(self) -> Result:
        cfg = self.config
        url = cfg.gateway_url
        health = f"{url}/healthz"
        log = cfg.log_of("gateway")
        nginx = gateway.nginx_binary()
        if nginx is None:
            raise ComponentFailed(
                "gateway", "nginx is not installed (apt-get install -y nginx-light)", log
            )
        config = self.gateway_config()
        running = self.read_record("gateway")
        if running and running.started_by_us and running.pid and pid_alive(running.pid):
            if config.write():
                return self._reload_gateway(nginx, config, running.pid, health)
            reused = self._reuse("gateway", lambda: http_healthy(health), url)
            if reused:
                return reused
        self.forget("gateway")
        self._refuse_foreign_port("gateway", cfg.gateway_port, "set GATEWAY_PORT")
        config.write()
        self._check_gateway_config(nginx, config)
        pid = spawn(config.argv(nginx), log, cwd=cfg.root, die_with_parent=self.tied_to_caller)
        self._record("gateway", pid, cfg.gateway_port, url, True)
        self._wait_healthy("gateway", pid, lambda: http_healthy(health), log)
        return Result("gateway", "started", url)

    def _check_gateway_config(self, nginx: str, config: gateway.GatewayConfig) -> None:
        problem = gateway.check_config(nginx, config)
        if problem:
            raise ComponentFailed(
                "gateway", f"nginx rejects {config.main_conf}: {problem}", config.log
            )

    def _reload_gateway(
        self, nginx: str, config: gateway.GatewayConfig, pid: int, health: str
    ) -> Result:
        """Ports, origins or the template changed since nginx started: reload it
        in place (SIGHUP) rather than serve the old routes."""
        self._check_gateway_config(nginx, config)
        os.kill(pid, signal.SIGHUP)
        self._record("gateway", pid, config.port, self.config.gateway_url, True)
        self._wait_healthy("gateway", pid, lambda: http_healthy(health), config.log)
        return Result("gateway", "reloaded", self.config.gateway_url, "configuration changed")

    # down ---------------------------------------------------------------

    def down(self, only: list[str] | None = None) -> list[str]:
        """Stop what ``up`` started, last first; returns the components stopped.

        The gateway goes first, then the processes that use the servers (side
        by side: their shutdowns take seconds each), then the servers."""
        stopped: list[str] = []
        for tier in reversed(_STOP_TIERS):
            wanted = [c for c in reversed(tier) if only is None or c in only]
            with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
                outcomes = list(pool.map(self._stop, wanted))
            for component, pid in zip(wanted, outcomes, strict=True):
                if pid is not None:
                    stopped.append(component)
                    self.say(f"  {component:<15} stopped (pid {pid})")
        return stopped

    def _stop(self, component: str) -> int | None:
        """Stop one component if we started it; returns the pid stopped."""
        record = self.read_record(component)
        if record is None:
            return None
        pid = record.pid if record.started_by_us else None
        if pid:
            if component == "postgres" and record.data_dir:
                servers.stop_postgres(Path(record.data_dir))
            if pid_alive(pid):
                sig = signal.SIGINT if component == "postgres" else signal.SIGTERM
                stop_pid(pid, sig, timeout=20)
            if pid_alive(pid):
                raise ComponentFailed(component, f"pid {pid} survived SIGKILL", Path(record.log))
        self.forget(component)
        return pid

    # status -------------------------------------------------------------

    def status(self) -> list[tuple[str, str, str, str]]:
        rows: list[tuple[str, str, str, str]] = []
        for component in COMPONENTS:
            record = self.read_record(component)
            if record is None:
                rows.append((component, "not started", "-", "-"))
                continue
            if record.started_by_us:
                state = "running" if record.pid and pid_alive(record.pid) else "dead"
            else:
                state = "external"
            rows.append((component, state, str(record.pid or "-"), redacted(record.url)))
        return rows


def redacted(url: str) -> str:
    """``url`` without its password: URLs are printed and logged, secrets never."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def summary(config: StackConfig) -> str:
    """What ``up`` prints once everything answers."""
    lines = [
        "sendfx is up:",
        f"  gateway          {config.gateway_url}",
        f"  core-api         http://127.0.0.1:{config.core_api_port}/openapi.json",
        f"  feature-api      http://127.0.0.1:{config.feature_api_port}/openapi.json",
        f"  usage-ingestor   http://127.0.0.1:{config.usage_ingestor_port}/openapi.json",
        f"  openai           {config.openai_base_url}" + (" (fake)" if config.fake_openai else ""),
        f"  kafka            {config.kafka_bootstrap_servers}",
        f"  mongodb          {redacted(config.mongo_url)} (each service as its own user)",
        f"  postgres         {redacted(config.postgres_url)} (each service as its own role)",
        f"  admin login      {ADMIN_EMAIL} / {config.admin_password}",
    ]
    return "\n".join(lines)


def dump_status(rows: list[tuple[str, str, str, str]]) -> str:
    width = max(len(r[0]) for r in rows)
    out = [f"{'component':<{width}}  {'state':<11}  {'pid':>7}  url"]
    out += [f"{c:<{width}}  {s:<11}  {p:>7}  {u}" for c, s, p, u in rows]
    return "\n".join(out)


def as_json(rows: list[tuple[str, str, str, str]]) -> str:
    return json.dumps(
        [dict(zip(("component", "state", "pid", "url"), r, strict=True)) for r in rows]
    )
