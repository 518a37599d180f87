"""What ``sendfx-dev`` prints: the summary after ``up`` and the status table."""

import json
import re

from sendfx_dev.stack.config import ADMIN_EMAIL, StackConfig

StatusRow = tuple[str, str, str, str]


def redacted(url: str) -> str:
    """``url`` without its password: URLs are printed and logged, secrets never."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def _service_lines(config: StackConfig, service: str, port: int) -> list[str]:
    """One line per instance (``core-api``, ``core-api-2``, …)."""
    return [
        f"  {service + (f'-{k + 1}' if k else ''):<16} http://127.0.0.1:{p}/openapi.json"
        for k, p in enumerate(config.instance_ports(port))
    ]


def summary(config: StackConfig) -> str:
    """What ``up`` prints once everything answers."""
    lines = [
        "sendfx is up:",
        f"  gateway          {config.gateway_url}",
        *_service_lines(config, "core-api", config.core_api_port),
        *_service_lines(config, "feature-api", config.feature_api_port),
        *_service_lines(config, "usage-ingestor", config.usage_ingestor_port),
        f"  openai           {config.openai_base_url}" + (" (fake)" if config.fake_openai else ""),
        f"  prometheus       http://127.0.0.1:{config.prometheus_port} (metrics, alerts)",
        f"  kafka            {config.kafka_bootstrap_servers}",
        f"  mongodb          {redacted(config.mongo_url)} (each service as its own user)",
        f"  postgres         {redacted(config.postgres_url)} (each service as its own role)",
        f"  admin login      {ADMIN_EMAIL} / {config.admin_password}",
        "  development mode SENDFX_ENV=development for the services, and in",
        "                   var/development.env for .venv/bin/migrator run from here",
    ]
    return "\n".join(lines)


def dump_status(rows: list[StatusRow]) -> str:
    width = max(len(r[0]) for r in rows)
    out = [f"{'component':<{width}}  {'state':<11}  {'pid':>7}  url"]
    out += [f"{c:<{width}}  {s:<11}  {p:>7}  {u}" for c, s, p, u in rows]
    return "\n".join(out)


def as_json(rows: list[StatusRow]) -> str:
    return json.dumps(
        [dict(zip(("component", "state", "pid", "url"), r, strict=True)) for r in rows]
    )
