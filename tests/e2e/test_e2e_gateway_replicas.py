"""The gateway in front of two core-api instances (SENDFX_REPLICAS=2), both
stubs: a request that met a failing instance is retried on the other only if
it is idempotent, and a dead instance costs no request at all."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from sendfx_dev import gateway
from sendfx_dev.ports import free_port
from sendfx_dev.stack import Stack, StackConfig, find_root
from sendfx_dev.stack.config import instance_port

pytestmark = pytest.mark.e2e
ROOT = find_root(Path(__file__).parent)


class Stub:
    """An upstream answering every request with ``status``; notes the request ids it saw."""

    def __init__(self, port: int, status: int) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append(self.headers.get("X-Request-ID", ""))
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = json.dumps({"port": port}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _two_free_instance_ports() -> int:
    """A port whose second-instance port (port + 100) is free too."""
    while True:
        port = free_port()
        try:
            Stub(instance_port(port, 1), 200).stop()
        except OSError:
            continue
        return port


@pytest.fixture
def replicated(tmp_path: Path) -> Iterator[tuple[str, int]]:
    if gateway.nginx_binary() is None:
        pytest.skip("nginx is not installed (make install puts it there)")
    core = _two_free_instance_ports()
    config = StackConfig(
        root=ROOT,
        state_dir=tmp_path,
        core_api_port=core,
        feature_api_port=free_port(),
        usage_ingestor_port=free_port(),
        gateway_port=free_port(),
        replicas=2,
    )
    stack = Stack(config, say=lambda _: None, tied_to_caller=True)
    stack.up(only=["gateway"])
    try:
        yield config.gateway_url, core
    finally:
        stack.down()


def test_only_idempotent_requests_are_retried_and_a_dead_instance_costs_none(
    replicated: tuple[str, int],
) -> None:
    url, port = replicated
    failing, healthy = Stub(port, 502), Stub(instance_port(port, 1), 200)
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            posted: dict[str, httpx.Response] = {}
            for n in range(4):  # round robin: one of the first two meets the failing one
                rid = f"post-{n}"
                posted[rid] = client.post("/api/workspaces", json={}, headers={"X-Request-ID": rid})
                if rid in failing.seen:
                    break
            [failed_post] = [rid for rid in posted if rid in failing.seen]
            # the write may have happened there: it is never sent again, the client is told
            assert posted[failed_post].status_code == 502
            assert failed_post not in healthy.seen
            for n in range(4):
                answer = client.get("/api/workspaces", headers={"X-Request-ID": f"get-{n}"})
                assert answer.status_code == 200  # retried on the other instance
            assert any(rid.startswith("get-") for rid in failing.seen)
            assert {f"get-{n}" for n in range(4)} <= set(healthy.seen)
    finally:
        failing.stop()
    # the first instance is gone now (left out, or refused): nothing is lost, POSTs included
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(6):
                assert client.post("/api/workspaces", json={}).status_code == 200
                assert client.get("/api/workspaces").status_code == 200
    finally:
        healthy.stop()
