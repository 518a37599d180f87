"""The stack's Prometheus: deploy/prometheus/ rendered with every service's
local port, started on ``PROMETHEUS_PORT`` (127.0.0.1:9090) with its data
under the state folder, or reloaded in place (SIGHUP) when the targets
changed. Skipped, with a note, when Debian's ``prometheus`` is not installed."""

import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from sendfx_dev.prometheus import (
    PrometheusConfig,
    check_config,
    prometheus_binary,
    promtool_binary,
    ready,
)
from sendfx_dev.servers import ComponentFailed, pid_alive, spawn
from sendfx_dev.stack.component import Component
from sendfx_dev.stack.records import Result

if TYPE_CHECKING:
    from sendfx_dev.stack.config import StackConfig
    from sendfx_dev.stack.runner import Stack


def prometheus_config(config: "StackConfig") -> PrometheusConfig:
    return PrometheusConfig(
        root=config.root,
        data_dir=config.state_dir / "prometheus",
        port=config.prometheus_port,
        targets={
            "core-api": f"127.0.0.1:{config.core_api_port}",
            "feature-api": f"127.0.0.1:{config.feature_api_port}",
            "usage-ingestor": f"127.0.0.1:{config.usage_ingestor_port}",
        },
    )


class Prometheus(Component):
    name = "prometheus"

    def ensure(self, stack: "Stack") -> Result:
        cfg = stack.config
        config = prometheus_config(cfg)
        binary = prometheus_binary()
        if binary is None:
            note = "not installed (make install: apt-get install -y prometheus)"
            return Result(self.name, "skipped", config.url, note)
        log = cfg.log_of(self.name)
        running = stack.read_record(self.name)
        if running and running.started_by_us and running.pid and pid_alive(running.pid):
            if config.write():
                self._check(config, log)
                os.kill(running.pid, signal.SIGHUP)
                stack.wait_healthy(self.name, running.pid, lambda: ready(config.url), log)
                return Result(self.name, "reloaded", config.url, "targets changed")
            reused = stack.reuse(self.name, lambda: ready(config.url), config.url)
            if reused:
                return reused
        stack.forget(self.name)
        stack.refuse_foreign_port(self.name, config.port, "set PROMETHEUS_PORT")
        config.write()
        self._check(config, log)
        pid = spawn(config.argv(binary), log, cwd=cfg.root, die_with_parent=stack.tied_to_caller)
        stack.record(self.name, pid, config.port, config.url, True)
        stack.wait_healthy(self.name, pid, lambda: ready(config.url), log)
        return Result(self.name, "started", config.url)

    def _check(self, config: PrometheusConfig, log: Path) -> None:
        promtool = promtool_binary()
        problem = check_config(promtool, config) if promtool else None
        if problem:
            reason = f"promtool rejects {config.config_file}: {problem}"
            raise ComponentFailed(self.name, reason, log)
