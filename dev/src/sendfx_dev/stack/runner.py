"""``Stack``: start, reuse, record and stop the components of the registry.

``up`` ensures each component in order and records it in
``<state>/run/<component>.json``; ``down`` stops only what an ``up`` started,
each component through the server object its record names (PostgreSQL's
stops itself with ``pg_ctl``).
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sendfx_dev.ports import port_is_open, wait_until
from sendfx_dev.servers import ComponentFailed, pid_alive, stop_pid
from sendfx_dev.stack.config import StackConfig
from sendfx_dev.stack.records import Result, RunRecord, RunRecords, now
from sendfx_dev.stack.registry import (
    STOP_TIERS,
    component_named,
    components,
    instance_names,
    service_of,
)
from sendfx_dev.stack.report import StatusRow, redacted
from sendfx_shared.settings import DEVELOPMENT_ENV_FILE

Say = Callable[[str], None]


@dataclass
class Stack:
    config: StackConfig
    say: Say = print
    health_timeout: float = 90.0
    # Tests: a killed test session must not leave services behind.
    tied_to_caller: bool = False

    # records ------------------------------------------------------------

    @property
    def records(self) -> RunRecords:
        return RunRecords(self.config.run_dir())

    def record_path(self, component: str) -> Path:
        return self.records.path(component)

    def read_record(self, component: str) -> RunRecord | None:
        return self.records.read(component)

    def forget(self, component: str) -> None:
        self.records.forget(component)

    def record(
        self,
        component: str,
        pid: int | None,
        port: int,
        url: str,
        ours: bool,
        data_dir: Path | None = None,
    ) -> None:
        self.records.write(
            RunRecord(
                component=component,
                pid=pid,
                port=port,
                url=url,
                started_by_us=ours,
                log=str(self.config.log_of(component)),
                started_at=now(),
                data_dir=str(data_dir) if data_dir else None,
            )
        )

    # up -----------------------------------------------------------------

    def up(self, only: list[str] | None = None) -> list[Result]:
        results: list[Result] = []
        for component in components(self.config):
            if only is not None and not _chosen(component.name, only):
                continue
            result = component.ensure(self)
            results.append(result)
            detail = f" ({result.note})" if result.note else ""
            self.say(f"  {result.component:<16} {result.outcome:<8} {redacted(result.url)}{detail}")
        if only is None:
            # The project's own commands, run from the checkout, then find this
            # stack in development mode with no export (see SendfxSettings).
            marker = self.config.root / DEVELOPMENT_ENV_FILE
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("SENDFX_ENV=development\n")
        return results

    def reuse(self, component: str, healthy: Callable[[], bool], url: str) -> Result | None:
        """Our own process still running and healthy: keep it. Stale record: drop it."""
        record = self.read_record(component)
        if record is None:
            return None
        if record.started_by_us and record.pid and pid_alive(record.pid):
            if wait_until(healthy, 10, interval=0.3):
                return Result(component, "reused", url)
            raise ComponentFailed(
                component,
                f"running as pid {record.pid} but not healthy; `sendfx-dev down` then `up`",
                self.config.log_of(component),
            )
        self.forget(component)
        return None

    def refuse_foreign_port(self, component: str, port: int, hint: str) -> None:
        if port_is_open(port):
            raise ComponentFailed(
                component,
                f"port {port} on 127.0.0.1 is taken by a process sendfx-dev did not start; "
                f"stop it or {hint}",
                self.config.log_of(component),
            )

    def wait_healthy(
        self, component: str, pid: int, healthy: Callable[[], bool], log: Path
    ) -> None:
        deadline = time.monotonic() + self.health_timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                self.forget(component)
                raise ComponentFailed(component, "exited during start-up", log)
            if healthy():
                return
            time.sleep(0.3)
        stop_pid(pid)
        self.forget(component)
        raise ComponentFailed(
            component, f"no healthy answer within {self.health_timeout:.0f} s", log
        )

    # down ---------------------------------------------------------------

    def down(self, only: list[str] | None = None) -> list[str]:
        """Stop what ``up`` started, last first; returns the components stopped.

        The gateway goes first, then the processes that use the servers (side
        by side: their shutdowns take seconds each), then the servers."""
        stopped: list[str] = []
        if only is None:
            (self.config.root / DEVELOPMENT_ENV_FILE).unlink(missing_ok=True)
        for tier in reversed(STOP_TIERS):
            named = [c for c in reversed(tier) if only is None or c in only]
            wanted = [i for c in named for i in [*self.instances_of(c), c]]
            with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
                outcomes = list(pool.map(self._stop, wanted))
            for component, pid in zip(wanted, outcomes, strict=True):
                if pid is not None:
                    stopped.append(component)
                    self.say(f"  {component:<16} stopped (pid {pid})")
        return stopped

    def _stop(self, component: str) -> int | None:
        """Stop one component if we started it; returns the pid stopped."""
        record = self.read_record(component)
        if record is None:
            return None
        pid = record.pid if record.started_by_us else None
        if pid:
            server = component_named(component).running(record)
            server.stop(timeout=20)
            if server.alive():
                raise ComponentFailed(component, f"pid {pid} survived SIGKILL", Path(record.log))
        self.forget(component)
        return pid

    # status -------------------------------------------------------------

    def instances_of(self, component: str) -> list[str]:
        """The further instances of a service recorded, whatever SENDFX_REPLICAS says now."""
        run_dir = self.config.run_dir()
        recorded = [p.stem for p in run_dir.glob(f"{component}-*.json")] if run_dir.exists() else []
        return instance_names(component, recorded)

    def status(self) -> list[StatusRow]:
        """One row per component, and per instance of a service."""
        rows: list[StatusRow] = []
        configured = [c.name for c in components(self.config)]
        for tier in STOP_TIERS:
            for base in tier:
                names = [n for n in configured if service_of(n) == base]
                names += [n for n in self.instances_of(base) if n not in names]
                rows += [self._status_row(name) for name in names]
        return rows

    def _status_row(self, component: str) -> StatusRow:
        record = self.read_record(component)
        if record is None:
            return (component, "not started", "-", "-")
        if record.started_by_us:
            state = "running" if record.pid and pid_alive(record.pid) else "dead"
        else:
            state = "external"
        return (component, state, str(record.pid or "-"), redacted(record.url))


def _chosen(name: str, only: list[str]) -> bool:
    """``--only core-api`` means every instance of it."""
    return name in only or service_of(name) in only
