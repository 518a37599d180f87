"""Prometheus for local runs and tests: Debian's binary, deploy/prometheus/'s
configuration rendered with local targets, data under a state folder.

The file in deploy/ names the docker-compose services; here the same file is
loaded, its targets pointed at 127.0.0.1 and the services' local ports, its
``rule_files`` at the checkout's deploy/prometheus/rules/, and its scrape
interval shortened (a developer wants to see a change within seconds).
"""

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

CONFIG = Path("deploy/prometheus/prometheus.yml")
RULES_DIR = Path("deploy/prometheus/rules")
LOCAL_SCRAPE_INTERVAL = "5s"


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )


def promtool_binary() -> str | None:
    return shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )


@dataclass(frozen=True)
class PrometheusConfig:
    root: Path
    data_dir: Path
    port: int
    # job name -> "host:port" of its /metrics
    targets: Mapping[str, str]
    scrape_interval: str = LOCAL_SCRAPE_INTERVAL

    @property
    def config_file(self) -> Path:
        return self.data_dir / "prometheus.yml"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def render(self) -> str:
        loaded: dict[str, Any] = yaml.safe_load((self.root / CONFIG).read_text())
        loaded["global"]["scrape_interval"] = self.scrape_interval
        loaded["global"]["evaluation_interval"] = self.scrape_interval
        loaded["rule_files"] = [str((self.root / RULES_DIR).resolve() / "*.yml")]
        jobs = {"prometheus": f"127.0.0.1:{self.port}", **self.targets}
        loaded["scrape_configs"] = [
            {"job_name": job, "static_configs": [{"targets": [target]}]}
            for job, target in jobs.items()
        ]
        header = "# Rendered from deploy/prometheus/prometheus.yml by sendfx-dev; do not edit.\n"
        return header + yaml.safe_dump(loaded, sort_keys=False)

    def write(self) -> bool:
        """Render the configuration into the data folder; True when it changed."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        text = self.render()
        if self.config_file.exists() and self.config_file.read_text() == text:
            return False
        self.config_file.write_text(text)
        return True

    def argv(self, prometheus: str) -> list[str]:
        return [
            prometheus,
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.data_dir / 'data'}",
            "--storage.tsdb.retention.time=7d",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]


def check_config(promtool: str, config: PrometheusConfig) -> str | None:
    """``promtool check config`` (rules included): None when valid, else why."""
    result = subprocess.run(
        [promtool, "check", "config", str(config.config_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if result.returncode == 0 else (result.stderr or result.stdout).strip()


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def targets_health(url: str) -> dict[str, str]:
    """job -> health ("up", "down", "unknown") of every active target."""
    found = httpx.get(f"{url}/api/v1/targets", timeout=5.0).json()["data"]["activeTargets"]
    return {t["labels"]["job"]: t["health"] for t in found}
