"""deploy/prometheus/: the alert rules pass ``promtool check rules`` and their
own unit tests, the configuration scrapes every service in docker-compose and
locally, and docker-compose mounts the same files."""

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from sendfx_dev.prometheus import PrometheusConfig, check_config, promtool_binary
from sendfx_dev.stack import StackConfig
from sendfx_dev.stack.prometheus_component import prometheus_config

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
SERVICES = ("core-api", "feature-api", "usage-ingestor")
ALERTS = {
    "SendfxTargetDown",
    "SendfxConsumerLagGrowing",
    "SendfxConsumerPaused",
    "SendfxDeadLettersGrowing",
    "SendfxOutboxStuck",
    "SendfxHttp5xxRate",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    found = promtool_binary()
    if found is None:
        pytest.skip("promtool is not installed (make install puts it there)")
    return found


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)


def test_the_alert_rules_pass_promtool_check_rules(promtool: str) -> None:
    checked = _run(promtool, "check", "rules", *map(str, (PROMETHEUS / "rules").glob("*.yml")))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rules = yaml.safe_load((PROMETHEUS / "rules" / "sendfx.yml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert names == ALERTS


def test_each_alert_fires_on_its_symptom_in_promtools_unit_tests(promtool: str) -> None:
    tested = _run(promtool, "test", "rules", str(PROMETHEUS / "tests" / "sendfx.test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = yaml.safe_load((PROMETHEUS / "tests" / "sendfx.test.yml").read_text())["tests"]
    covered = {case["alertname"] for test in cases for case in test["alert_rule_test"]}
    assert covered == ALERTS


def test_the_local_rendering_scrapes_every_service_on_its_local_port(
    promtool: str, tmp_path: Path
) -> None:
    stack = StackConfig.from_env(ROOT, env={})
    config: PrometheusConfig = prometheus_config(stack)
    config = PrometheusConfig(ROOT, tmp_path, config.port, config.targets)
    config.write()
    assert check_config(promtool, config) is None
    rendered = yaml.safe_load(config.config_file.read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"][0]
        for job in rendered["scrape_configs"]
    }
    assert targets == {
        "prometheus": "127.0.0.1:9090",
        "core-api": "127.0.0.1:8001",
        "feature-api": "127.0.0.1:8002",
        "usage-ingestor": "127.0.0.1:8003",
    }


def test_docker_compose_runs_the_same_prometheus_config_and_rules() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["prometheus"]
    mounts = {m.split(":")[0]: m.split(":")[1] for m in service["volumes"]}
    assert mounts["./deploy/prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    assert mounts["./deploy/prometheus/rules"] == "/etc/prometheus/rules"
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    for name in SERVICES:
        port = compose["services"][name]["environment"][f"{name.upper().replace('-', '_')}_PORT"]
        assert jobs[name] == [f"{name}:{port}"]
