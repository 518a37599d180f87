"""The stack's own processes: the fake OpenAI server and the three services.

Each is a console script of the workspace answering ``/healthz`` on its port;
a service runs with the caller's environment scrubbed of every store and
secret, plus its own (``own_env``).
"""

import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sendfx_dev import ownership
from sendfx_dev.databases import role_url
from sendfx_dev.ports import port_is_open
from sendfx_dev.servers import spawn
from sendfx_dev.stack.component import Component, http_healthy
from sendfx_dev.stack.config import instance_port
from sendfx_dev.stack.records import Result
from sendfx_shared.settings import SendfxSettings

if TYPE_CHECKING:
    from sendfx_dev.stack.config import StackConfig
    from sendfx_dev.stack.runner import Stack


class ProcessComponent(Component):
    module: str  # must be importable, else the component is not built yet

    def argv(self, config: "StackConfig") -> list[str]:
        raise NotImplementedError

    def port(self, config: "StackConfig") -> int:
        raise NotImplementedError

    def url(self, config: "StackConfig") -> str:
        raise NotImplementedError

    def env(self, config: "StackConfig") -> dict[str, str] | None:
        """The whole environment, or None to inherit the caller's."""
        return None

    def ensure(self, stack: "Stack") -> Result:
        cfg = stack.config
        port, url, argv = self.port(cfg), self.url(cfg), self.argv(cfg)
        health = f"http://127.0.0.1:{port}/healthz"
        reused = stack.reuse(self.name, lambda: http_healthy(health), url)
        if reused:
            return reused
        if not Path(argv[0]).exists() or importlib.util.find_spec(self.module) is None:
            # The services are built in parallel with this runner: a missing
            # one is reported, not fatal, so the rest of the stack still runs.
            note = f"not built yet: {argv[0]} / {self.module} missing"
            return Result(self.name, "skipped", url, note)
        if port_is_open(port):
            if http_healthy(health):
                stack.record(self.name, None, port, url, False)
                return Result(self.name, "reused", url, "already running, not started by us")
            stack.refuse_foreign_port(self.name, port, f"free port {port}")
        env = self.env(cfg)
        log = cfg.log_of(self.name)
        pid = spawn(
            argv,
            log,
            env=env,
            cwd=cfg.root,
            replace_env=env is not None,
            die_with_parent=stack.tied_to_caller,
        )
        stack.record(self.name, pid, port, url, True)
        stack.wait_healthy(self.name, pid, lambda: http_healthy(health), log)
        return Result(self.name, "started", url)


class FakeOpenAI(ProcessComponent):
    name = "fake-openai"
    module = "sendfx_dev.fake_openai"

    def argv(self, config: "StackConfig") -> list[str]:
        port = str(config.fake_openai_port)
        return [str(config.bin_dir / "fake-openai"), "--host", "127.0.0.1", "--port", port]

    def port(self, config: "StackConfig") -> int:
        return config.fake_openai_port

    def url(self, config: "StackConfig") -> str:
        return config.openai_base_url

    def ensure(self, stack: "Stack") -> Result:
        if not stack.config.fake_openai:
            url = stack.config.openai_base_url
            return Result(self.name, "skipped", url, "OPENAI_API_KEY is set")
        return super().ensure(stack)


@dataclass(frozen=True)
class Service(ProcessComponent):
    """One instance of a deployable of services/: its console script is named
    as the service; its variables are those its own settings class reads
    (``settings``, as ``module:Class``), rendered from field values, so the
    runner never spells a variable name. ``store`` gives the field values of
    its store (as its own principal) and the secrets it needs; ``replica``
    what differs between its instances. Instance 0 is named as the service,
    instance k ``<service>-<k+1>``, on ``instance_port``."""

    service: str
    module: str
    settings: str
    port_of: Callable[["StackConfig"], int]
    store: Callable[["StackConfig"], dict[str, object]]
    replica: Callable[[int], dict[str, object]] = lambda _index: {}
    index: int = 0
    name: str = field(init=False)

    def __post_init__(self) -> None:
        suffix = f"-{self.index + 1}" if self.index else ""
        object.__setattr__(self, "name", self.service + suffix)

    def instances(self, count: int) -> list["Service"]:
        return [replace(self, index=index) for index in range(count)]

    def argv(self, config: "StackConfig") -> list[str]:
        return [str(config.bin_dir / self.service)]

    def port(self, config: "StackConfig") -> int:
        return instance_port(self.port_of(config), self.index)

    def url(self, config: "StackConfig") -> str:
        return f"http://127.0.0.1:{self.port(config)}/openapi.json"

    def env(self, config: "StackConfig") -> dict[str, str]:
        return config.scrubbed_env() | self.own_env(config)

    def settings_class(self) -> type[SendfxSettings]:
        module, _, name = self.settings.partition(":")
        found = getattr(importlib.import_module(module), name)
        assert isinstance(found, type) and issubclass(found, SendfxSettings)
        return found

    def environment(self, **values: object) -> dict[str, str]:
        """The variables that make this service read ``values`` (its field names)."""
        return self.settings_class().environment(**values)

    def own_env(self, config: "StackConfig") -> dict[str, str]:
        return (
            self.environment(
                kafka_bootstrap_servers=config.kafka_bootstrap_servers,
                kafka_topic_prefix=config.kafka_topic_prefix,
                # The local stack runs on development secrets, and says so.
                sendfx_env="development",
                **self.store(config),
                **self.replica(self.index),
                port=self.port(config),
            )
            | otel_env()
        )


def otel_env() -> dict[str, str]:
    """The standard OpenTelemetry variables of the caller, passed to every
    service (OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on); the service name
    is each service's own."""
    return {
        k: v for k, v in os.environ.items() if k.startswith("OTEL_") and k != "OTEL_SERVICE_NAME"
    }


CORE_API = Service(
    "core-api",
    "core_api.main",
    "core_api.settings:CoreApiSettings",
    lambda c: c.core_api_port,
    lambda c: {
        "postgres_url": role_url(c.postgres_url, ownership.CORE_API),
        # Empty: the development key (refused outside development mode).
        "jwt_private_key": c.jwt_private_key or "",
        "admin_password": c.admin_password,
        "trusted_proxies": "127.0.0.1,::1",  # the local gateway
    },
)
USAGE_INGESTOR = Service(
    "usage-ingestor",
    "usage_ingestor.main",
    "usage_ingestor.settings:IngestorSettings",
    lambda c: c.usage_ingestor_port,
    lambda c: {
        "postgres_url": role_url(c.postgres_url, ownership.USAGE_INGESTOR),
        "jwt_jwks_url": c.jwks_url,
    },
)
FEATURE_API = Service(
    "feature-api",
    "feature_api.main",
    "feature_api.settings:FeatureSettings",
    lambda c: c.feature_api_port,
    lambda c: {
        "mongo_url": c.feature_mongo_url,
        "jwt_jwks_url": c.jwks_url,
        "openai_api_key": c.openai_api_key,
        "openai_base_url": c.openai_base_url,
    },
    # Every instance's projection must see every core.events event (its
    # read-your-writes wait covers its own partitions only): a group each.
    lambda index: {"instance": str(index + 1)} if index else {},
)
SERVICES = {service.service: service for service in (CORE_API, USAGE_INGESTOR, FEATURE_API)}
