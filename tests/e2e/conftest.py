"""Fixtures that run platform processes through the local runner's own code.

Everything listens on free ports and keeps its state under a temporary
folder, so a developer's `make up` on the default ports is never touched.
"""

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from sendfx_dev import gateway
from sendfx_dev.databases import database_url, drop_database
from sendfx_dev.ports import free_port
from sendfx_dev.servers import ComponentFailed
from sendfx_dev.stack import Stack, StackConfig, find_root
from sendfx_dev.testing.infra import TestInfra
from sendfx_dev.testing.otlp import OtlpReceiver

ROOT = find_root(Path(__file__).parent)


def _quiet(_: str) -> None:
    pass


@dataclass
class EchoServer:
    """A stand-in upstream that answers with who it is and what it received."""

    name: str
    port: int
    server: ThreadingHTTPServer


def _start_echo(name: str) -> EchoServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = json.dumps(
                {
                    "service": name,
                    "method": self.command,
                    "path": self.path,
                    "request_id": self.headers.get("X-Request-ID"),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            # Services echo the id too; the client must still see it once.
            self.send_header("X-Request-ID", self.headers.get("X-Request-ID") or "none")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return EchoServer(name, server.server_address[1], server)


@dataclass
class GatewayUnderTest:
    url: str
    stack: Stack
    core_api: EchoServer
    usage_ingestor: EchoServer


@pytest.fixture(scope="session")
def gateway_with_stub_upstreams(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GatewayUnderTest]:
    """nginx from deploy/nginx/, started by the runner; core-api and
    usage-ingestor are stubs, feature-api's port has nobody behind it (so its
    paths show the 502)."""
    if gateway.nginx_binary() is None:
        pytest.skip("nginx is not installed (make install puts it there)")
    core = _start_echo("core-api")
    usage = _start_echo("usage-ingestor")
    config = StackConfig(
        root=ROOT,
        state_dir=tmp_path_factory.mktemp("gateway-state"),
        core_api_port=core.port,
        feature_api_port=free_port(),
        usage_ingestor_port=usage.port,
        gateway_port=free_port(),
    )
    stack = Stack(config, say=_quiet, tied_to_caller=True)
    stack.up(only=["gateway"])
    try:
        yield GatewayUnderTest(config.gateway_url, stack, core, usage)
    finally:
        stack.down()
        core.server.shutdown()
        usage.server.shutdown()


@dataclass
class Platform:
    """The whole stack behind a gateway, on the session's servers."""

    url: str
    config: StackConfig
    stack: Stack
    admin_email: str
    admin_password: str
    otlp: OtlpReceiver


@pytest.fixture(scope="session")
def platform(
    sendfx_infra: TestInfra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """core-api, usage-ingestor, feature-api, the fake OpenAI server and nginx,
    started by the runner on free ports against the session's servers, with a
    Postgres database, a Mongo database and a topic prefix of their own (the
    runner provisions that database as `make up` does)."""
    if gateway.nginx_binary() is None:
        pytest.skip("nginx is not installed (make install puts it there)")
    name = f"sendfx_e2e_{sendfx_infra.run_id}"
    fake_port = free_port()
    config = StackConfig(
        root=ROOT,
        state_dir=tmp_path_factory.mktemp("platform-state"),
        postgres_url=database_url(sendfx_infra.postgres_admin_url, name),
        postgres_external=True,
        kafka_bootstrap_servers=sendfx_infra.kafka_bootstrap_servers,
        kafka_external=True,
        mongo_url=sendfx_infra.mongo_database_url(name),
        mongo_external=True,
        kafka_topic_prefix=f"{sendfx_infra.topic_prefix}e2e.",
        fake_openai=True,
        fake_openai_port=fake_port,
        openai_base_url=f"http://127.0.0.1:{fake_port}/v1",
        core_api_port=free_port(),
        feature_api_port=free_port(),
        usage_ingestor_port=free_port(),
        gateway_port=free_port(),
        prometheus_port=free_port(),
        admin_password="e2e-admin-password",
        bin_dir=ROOT / ".venv" / "bin",
    )
    stack = Stack(config, say=_quiet, health_timeout=120, tied_to_caller=True)
    # Tracing on, as an operator would run it: every service exports to a
    # receiver of the session's (the runner passes OTEL_* through).
    otlp = OtlpReceiver().__enter__()
    tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    saved = {name: os.environ.get(name) for name in tracing}
    os.environ.update(tracing)
    try:
        try:
            results = stack.up()
        except ComponentFailed as failure:
            log = failure.log.read_text()[-3000:] if failure.log and failure.log.exists() else ""
            pytest.fail(f"{failure}\n--- end of its log ---\n{log}")
        # Prometheus is optional locally (its tests skip without it).
        missing = [r for r in results if r.outcome == "skipped" and r.component != "prometheus"]
        if missing:
            pytest.fail("not built: " + "; ".join(f"{r.component}: {r.note}" for r in missing))
        yield Platform(
            config.gateway_url, config, stack, "admin@sendfx.ai", config.admin_password, otlp
        )
    finally:
        stack.down()
        otlp.__exit__()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        with contextlib.suppress(Exception):
            asyncio.run(drop_database(sendfx_infra.postgres_admin_url, name))
        from pymongo import MongoClient

        client: MongoClient[dict[str, object]] = MongoClient(config.mongo_url)
        try:
            client.drop_database(name)
            client.drop_database(f"{name}_migrator")
        finally:
            client.close()


@pytest.fixture(scope="module")
def gw(platform: Platform) -> httpx.Client:
    return httpx.Client(base_url=platform.url, timeout=60)


@pytest.fixture(scope="module")
def admin_headers(platform: Platform, gw: httpx.Client) -> dict[str, str]:
    login = gw.post(
        "/api/auth/login",
        json={"email": platform.admin_email, "password": platform.admin_password},
    )
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    return {"Authorization": f"Bearer {body['access_token']}"}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item, so that a fixture can tell in
    its teardown that the test failed (the browser tests take a screenshot)."""
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
# Screenshots of failed browser tests land here (var/ is the checkout's own).
ARTIFACTS = Path(os.environ.get("SENDFX_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium through playwright, once per test module: playwright's
    sync API keeps an event loop running on this thread while it is open, and
    later tests' ``asyncio.run`` must not find one."""
    from sendfx_dev.browser import chromium, chromium_missing

    missing = chromium_missing()
    if missing:
        pytest.skip(missing)
    if not (ROOT / "admin-console" / "dist" / "admin" / "index.html").exists():
        pytest.skip("the admin console is not built (make install builds it)")
    with chromium() as browser:
        yield browser


@pytest.fixture
def console_page(
    platform: Platform, chromium_browser: Any, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh browser context on the platform's gateway; a screenshot of the
    page under ARTIFACTS when the test failed. The platform comes first: its
    start runs asyncio.run (Kafka probes), which refuses to run inside the
    event loop playwright's sync API keeps running once Chromium is up, as when
    a browser test is picked alone (-k)."""
    context = chromium_browser.new_context(base_url=platform.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        reports = request.node.stash.get(PHASE_REPORTS, {})
        if any(r.failed for r in reports.values()):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        context.close()
