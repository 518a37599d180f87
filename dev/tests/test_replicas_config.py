"""SENDFX_REPLICAS: what the runner starts, routes and lists for N instances
(no servers: the configuration, the rendered gateway and the status table)."""

from pathlib import Path

import pytest

from sendfx_dev import gateway
from sendfx_dev.stack import Stack, StackConfig, find_root
from sendfx_dev.stack.gateway_component import gateway_config
from sendfx_dev.stack.registry import component_named, components

ROOT = find_root(Path(__file__).parent)


def _config(tmp_path: Path, replicas: str) -> StackConfig:
    env = {"SENDFX_REPLICAS": replicas, "SENDFX_STATE_DIR": str(tmp_path)}
    return StackConfig.from_env(ROOT, env)


def test_each_service_runs_n_instances_on_their_own_ports(tmp_path: Path) -> None:
    config = _config(tmp_path, "3")
    names = [c.name for c in components(config)]
    assert names[names.index("core-api") : names.index("gateway")] == [
        "core-api",
        "core-api-2",
        "core-api-3",
        "usage-ingestor",
        "usage-ingestor-2",
        "usage-ingestor-3",
        "feature-api",
        "feature-api-2",
        "feature-api-3",
        "prometheus",  # scrapes every instance (one server, not a service)
    ]
    ports = [config.own_env(f"core-api{s}")["CORE_API_PORT"] for s in ("", "-2", "-3")]
    assert ports == ["8001", "8101", "8201"]
    # each feature-api instance has a projection group of its own (sees every event)
    instances = [config.own_env(n).get("FEATURE_API_INSTANCE") for n in names if "feature" in n]
    assert instances == [None, "2", "3"]
    # the ingestors share one group: no per-instance variable
    assert config.own_env("usage-ingestor-2").keys() == config.own_env("usage-ingestor").keys()


def test_the_gateway_balances_over_every_instance(tmp_path: Path) -> None:
    config = _config(tmp_path, "2")
    gateway_config(config).write()
    conf = (tmp_path / "nginx" / "conf" / "sendfx.conf").read_text()
    for port in (8001, 8101, 8002, 8102, 8003, 8103):
        assert f"server 127.0.0.1:{port} max_fails=2 fail_timeout=10s;" in conf
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in conf
    assert "non_idempotent" not in conf.replace("`non_idempotent`", "")


def test_a_placeholder_with_several_values_repeats_its_line() -> None:
    rendered = gateway.render("a\n  server ${X} w;\nb ${Y}\n", {"X": ("h:1", "h:2"), "Y": "y"})
    assert rendered == "a\n  server h:1 w;\n  server h:2 w;\nb y\n"


def test_status_lists_every_recorded_instance_whatever_the_count_now(tmp_path: Path) -> None:
    stack = Stack(_config(tmp_path, "1"), say=lambda _: None)
    stack.record("core-api-2", None, 8101, "http://127.0.0.1:8101/openapi.json", False)
    rows = {row[0]: row[1] for row in stack.status()}
    assert rows["core-api-2"] == "external"
    assert rows["core-api"] == "not started"
    assert component_named("core-api-2").name == "core-api-2"
    with pytest.raises(KeyError):
        component_named("gateway-2")


def test_a_replica_count_out_of_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SENDFX_REPLICAS"):
        _config(tmp_path, "0")
