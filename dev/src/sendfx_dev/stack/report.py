"""What ``sendfx-dev`` prints: the summary after ``up`` and the status table."""

import json
import re

from sendfx_dev.stack.config import ADMIN_EMAIL, StackConfig

StatusRow = tuple[str, str, str, str]


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
        f"  prometheus       http://127.0.0.1:{config.prometheus_port} (metrics, alerts)",
        f"  kafka            {config.kafka_bootstrap_servers}",
        f"  mongodb          {redacted(config.mongo_url)} (each service as its own user)",
        f"  postgres         {redacted(config.postgres_url)} (each service as its own role)",
        f"  admin login      {ADMIN_EMAIL} / {config.admin_password}",
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
