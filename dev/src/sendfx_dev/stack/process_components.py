"""The stack's own processes: the fake OpenAI server and the three services.

Each is a console script of the workspace answering ``/healthz`` on its port;
a service runs with the caller's environment scrubbed of every store and
secret, plus its own (``own_env``).
"""

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sendfx_dev import ownership
from sendfx_dev.databases import role_url
from sendfx_dev.ports import port_is_open
from sendfx_dev.servers import spawn
from sendfx_dev.stack.component import Component, http_healthy
from sendfx_dev.stack.records import Result

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
    """A deployable of services/: its console script is named as it is, its
    port variable too (``CORE_API_PORT``); ``secrets`` are its store's URL, as
    its own principal, and the secrets it needs."""

    name: str
    module: str
    port_of: Callable[["StackConfig"], int]
    secrets: Callable[["StackConfig"], dict[str, str]]

    def argv(self, config: "StackConfig") -> list[str]:
        return [str(config.bin_dir / self.name)]

    def port(self, config: "StackConfig") -> int:
        return self.port_of(config)

    def url(self, config: "StackConfig") -> str:
        return f"http://127.0.0.1:{self.port(config)}/openapi.json"

    def env(self, config: "StackConfig") -> dict[str, str]:
        return config.service_env(self.name)

    def own_env(self, config: "StackConfig") -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": config.kafka_topic_prefix,
            **self.secrets(config),
            f"{self.name.upper().replace('-', '_')}_PORT": str(self.port(config)),
            **otel_env(),
        }


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
    lambda c: c.core_api_port,
    lambda c: {
        "POSTGRES_URL": role_url(c.postgres_url, ownership.CORE_API),
        "JWT_SECRET": c.jwt_secret,
        "ADMIN_PASSWORD": c.admin_password,
    },
)
USAGE_INGESTOR = Service(
    "usage-ingestor",
    "usage_ingestor.main",
    lambda c: c.usage_ingestor_port,
    lambda c: {"POSTGRES_URL": role_url(c.postgres_url, ownership.USAGE_INGESTOR)},
)
FEATURE_API = Service(
    "feature-api",
    "feature_api.main",
    lambda c: c.feature_api_port,
    lambda c: {
        "MONGO_URL": c.feature_mongo_url,
        "JWT_SECRET": c.jwt_secret,
        "OPENAI_API_KEY": c.openai_api_key,
        "OPENAI_BASE_URL": c.openai_base_url,
    },
)
