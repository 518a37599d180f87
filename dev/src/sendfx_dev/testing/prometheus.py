"""A Prometheus of a test's own: Debian's binary on a free port, scraping the
targets a test names, with deploy/prometheus/'s configuration and rules."""

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from sendfx_dev.ports import free_port, wait_until
from sendfx_dev.prometheus import PrometheusConfig, prometheus_binary, ready
from sendfx_dev.servers import spawn, stop_pid


@contextlib.contextmanager
def running_prometheus(
    root: Path, state_dir: Path, targets: Mapping[str, str], scrape_interval: str = "1s"
) -> Iterator[PrometheusConfig]:
    binary = prometheus_binary()
    if binary is None:
        raise RuntimeError("prometheus is not installed (make install puts it there)")
    config = PrometheusConfig(root, state_dir, free_port(), targets, scrape_interval)
    config.write()
    log = state_dir / "prometheus.log"
    pid = spawn(config.argv(binary), log, die_with_parent=True)
    try:
        if not wait_until(lambda: ready(config.url), 30, 0.2):
            raise RuntimeError(f"prometheus did not start; see {log}")
        yield config
    finally:
        stop_pid(pid)


def query(url: str, promql: str) -> dict[str, object]:
    """The ``data`` of an instant query; raises on a query Prometheus refuses."""
    answer = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()
    if answer.get("status") != "success":
        raise AssertionError(f"{promql!r}: {answer.get('error')}")
    data: dict[str, object] = answer["data"]
    return data
