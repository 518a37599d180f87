"""What an operator sees of the running platform, across real processes:
one trace from an AI call through Kafka into the ingestor's database write,
Prometheus scraping every service, and the dashboard's queries answering."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from sendfx_dev.prometheus import targets_health
from sendfx_dev.testing.otlp import ReceivedSpan
from sendfx_dev.testing.prometheus import query

from .test_e2e_thin_path import eventually

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "sendfx-platform.json"
SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5  # OTLP span kinds


@pytest.fixture(scope="module")
def ai_reply(gw: httpx.Client, admin_headers: dict[str, str]) -> dict[str, Any]:
    """One AI reply through the gateway, and its usage once metered."""
    workspace = gw.post("/api/workspaces", json={"name": "E2E Traces"}, headers=admin_headers)
    assert workspace.status_code == 201, workspace.text
    workspace_id = workspace.json()["id"]
    conversation = gw.post(
        f"/api/workspaces/{workspace_id}/conversations", json={"title": "t"}, headers=admin_headers
    ).json()
    said = gw.post(
        f"/api/conversations/{conversation['id']}/messages",
        json={"content": "Trace me"},
        headers=admin_headers,
    )
    assert said.status_code == 201, said.text
    reply = gw.post(f"/api/conversations/{conversation['id']}/ai-reply", headers=admin_headers)
    assert reply.status_code == 201, reply.text

    def metered() -> bool | None:
        usage = gw.get(f"/api/admin/workspaces/{workspace_id}/usage", headers=admin_headers).json()
        return True if usage["totals"]["calls"] >= 1 else None

    eventually(metered, "the call metered")
    body: dict[str, Any] = reply.json()
    return body


def test_one_trace_runs_from_the_ai_call_through_kafka_into_the_ingestors_write(
    platform: Any, ai_reply: dict[str, Any]
) -> None:
    usage = ai_reply["usage"]

    def chat_of(spans: list[ReceivedSpan]) -> ReceivedSpan | None:
        # This reply's call: the receiver holds the whole session's spans.
        calls = (
            s
            for s in spans
            if s.kind == CLIENT and s.attributes.get("gen_ai.response.id") == usage["request_id"]
        )
        return next(calls, None)

    def ingested(spans: list[ReceivedSpan]) -> bool:
        chat = chat_of(spans)
        return chat is not None and any(
            s.trace_id == chat.trace_id and s.service == "usage-ingestor" and s.kind == CONSUMER
            for s in spans
        )

    spans = platform.otlp.wait_for(ingested, within=60)
    chat = chat_of(spans)
    assert chat is not None
    assert chat.service == "feature-api"
    assert chat.attributes["gen_ai.request.model"]
    assert chat.attributes["gen_ai.usage.input_tokens"] == usage["prompt_tokens"]
    assert chat.attributes["gen_ai.usage.output_tokens"] == usage["completion_tokens"]
    assert chat.attributes["gen_ai.usage.cache_read.input_tokens"] == usage["cached_tokens"]
    assert "gen_ai.usage.reasoning.output_tokens" in chat.attributes

    trace = [s for s in spans if s.trace_id == chat.trace_id]
    request = next(s for s in trace if s.kind == SERVER and "ai-reply" in s.name)
    assert request.service == "feature-api"
    published = next(s for s in trace if s.kind == PRODUCER and "openai.call.completed" in s.name)
    assert published.service == "feature-api"
    consumed = next(s for s in trace if s.kind == CONSUMER and s.service == "usage-ingestor")
    assert consumed.parent_span_id == published.span_id  # continued from the Kafka header
    writes = [s for s in trace if s.service == "usage-ingestor" and s.attributes.get("db.system")]
    assert writes, "the ingestor's database write is in the trace"
    assert all(w.parent_span_id == consumed.span_id for w in writes)


def _prometheus_url(platform: Any) -> str:
    url = f"http://127.0.0.1:{platform.config.prometheus_port}"
    record = platform.stack.read_record("prometheus")
    if record is None:
        pytest.skip("prometheus is not installed (make install puts it there)")
    return url


def test_prometheus_reports_every_service_up(platform: Any) -> None:
    url = _prometheus_url(platform)
    jobs = ("prometheus", "core-api", "feature-api", "usage-ingestor")

    def all_up() -> dict[str, str] | None:
        health = targets_health(url)
        return health if all(health.get(job) == "up" for job in jobs) else None

    assert set(eventually(all_up, "every target up", timeout=60)) == set(jobs)


def _exposed_families(platform: Any) -> set[str]:
    """Every metric family the services declare on /metrics (even before a
    labelled counter's first increment)."""
    families: set[str] = set()
    for port in (
        platform.config.core_api_port,
        platform.config.feature_api_port,
        platform.config.usage_ingestor_port,
    ):
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        families.update(re.findall(r"^# TYPE (\w+) ", text, flags=re.M))
    return families


def test_every_dashboard_query_answers_on_metrics_the_services_expose(
    platform: Any, ai_reply: dict[str, Any]
) -> None:
    url = _prometheus_url(platform)
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(exprs) >= 15
    families = _exposed_families(platform)
    for expr in exprs:
        for name in re.findall(r"\b(sendfx_\w+)", expr):
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            assert family in families or name in families, f"{expr}: {name} is not exposed"
        query(url, expr)  # Prometheus accepts it

    def scraped() -> list[Any] | None:
        found = query(url, 'sum by (job) (sendfx_http_requests_total{route!="unmatched"})')
        result: list[Any] = found["result"]  # type: ignore[assignment]
        return (
            result if {r["metric"]["job"] for r in result} >= {"core-api", "feature-api"} else None
        )

    eventually(scraped, "the requests counted in Prometheus", timeout=60)
    metered = query(url, "sum(sendfx_ingest_events_metered_total)")["result"]
    assert metered and float(metered[0]["value"][1]) >= 1  # type: ignore[index]

    def relayed() -> set[str] | None:
        found = query(url, "sum by (outbox) (sendfx_outbox_sent_total) > 0")
        result: list[Any] = found["result"]  # type: ignore[assignment]
        outboxes = {r["metric"]["outbox"] for r in result}
        return outboxes if {"core.outbox", "mongo.outbox"} <= outboxes else None

    eventually(relayed, "both outboxes' sent rows counted", timeout=60)
    backlog = query(url, "max by (outbox) (sendfx_outbox_oldest_unsent_age_seconds)")
    assert {r["metric"]["outbox"] for r in backlog["result"]} >= {  # type: ignore[attr-defined]
        "core.outbox",
        "core.usage_outbox",
        "mongo.outbox",
    }
