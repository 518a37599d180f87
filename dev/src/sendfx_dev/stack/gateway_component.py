"""The stack's nginx gateway: rendered from deploy/nginx/, started, or
reloaded in place (SIGHUP) when its configuration changed."""

import os
import signal
from typing import TYPE_CHECKING

from sendfx_dev.gateway import GatewayConfig, check_config, nginx_binary
from sendfx_dev.servers import ComponentFailed, pid_alive, spawn
from sendfx_dev.stack.component import Component, http_healthy
from sendfx_dev.stack.records import Result

if TYPE_CHECKING:
    from sendfx_dev.stack.config import StackConfig
    from sendfx_dev.stack.runner import Stack


def gateway_config(config: "StackConfig") -> GatewayConfig:
    return GatewayConfig(
        root=config.root,
        state_dir=config.state_dir,
        log=config.log_of("gateway"),
        host="127.0.0.1",
        port=config.gateway_port,
        core_api=f"127.0.0.1:{config.core_api_port}",
        feature_api=f"127.0.0.1:{config.feature_api_port}",
        usage_ingestor=f"127.0.0.1:{config.usage_ingestor_port}",
        cors_origins=config.cors_origins,
    )


def _check(nginx: str, config: GatewayConfig) -> None:
    problem = check_config(nginx, config)
    if problem:
        raise ComponentFailed("gateway", f"nginx rejects {config.main_conf}: {problem}", config.log)


class Gateway(Component):
    name = "gateway"

    def ensure(self, stack: "Stack") -> Result:
        cfg = stack.config
        url = cfg.gateway_url
        health = f"{url}/healthz"
        log = cfg.log_of(self.name)
        nginx = nginx_binary()
        if nginx is None:
            raise ComponentFailed(
                self.name, "nginx is not installed (apt-get install -y nginx-light)", log
            )
        config = gateway_config(cfg)
        running = stack.read_record(self.name)
        if running and running.started_by_us and running.pid and pid_alive(running.pid):
            if config.write():
                return self._reload(stack, nginx, config, running.pid, health)
            reused = stack.reuse(self.name, lambda: http_healthy(health), url)
            if reused:
                return reused
        stack.forget(self.name)
        stack.refuse_foreign_port(self.name, cfg.gateway_port, "set GATEWAY_PORT")
        config.write()
        _check(nginx, config)
        pid = spawn(config.argv(nginx), log, cwd=cfg.root, die_with_parent=stack.tied_to_caller)
        stack.record(self.name, pid, cfg.gateway_port, url, True)
        stack.wait_healthy(self.name, pid, lambda: http_healthy(health), log)
        return Result(self.name, "started", url)

    def _reload(
        self, stack: "Stack", nginx: str, config: GatewayConfig, pid: int, health: str
    ) -> Result:
        """Ports, origins or the template changed since nginx started: reload it
        in place (SIGHUP) rather than serve the old routes."""
        _check(nginx, config)
        os.kill(pid, signal.SIGHUP)
        url = stack.config.gateway_url
        stack.record(self.name, pid, config.port, url, True)
        stack.wait_healthy(self.name, pid, lambda: http_healthy(health), config.log)
        return Result(self.name, "reloaded", url, "configuration changed")
