"""Processes of the local servers and services: start one detached, know when
it is alive, stop it. ``Server`` is a server we started; a kind of server that
stops differently (PostgreSQL, through ``pg_ctl``) is a subclass of it."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sendfx_dev.ports import port_is_open, wait_until


class ComponentFailed(RuntimeError):
    def __init__(self, component: str, reason: str, log: Path | None) -> None:
        where = f"; see its log: {log}" if log else ""
        super().__init__(f"{component}: {reason}{where}")
        self.component = component
        self.log = log


@dataclass
class Server:
    """A process we started, the address it answers on, and how it stops."""

    name: str
    pid: int
    port: int
    url: str
    log: Path
    stop_signal: int = signal.SIGTERM
    # where it keeps its data, when stopping it needs to know (PostgreSQL)
    data_dir: Path | None = None

    def alive(self) -> bool:
        return pid_alive(self.pid)

    def stop(self, timeout: float = 15.0) -> None:
        stop_pid(self.pid, self.stop_signal, timeout)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child is not alive
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def stop_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)
    if not wait_until(lambda: not pid_alive(pid), timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def spawn(
    argv: list[str],
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    replace_env: bool = False,
    die_with_parent: bool = False,
) -> int:
    """Start ``argv`` in its own session, output appended to ``log``.

    ``env`` is added to this process's environment, or is the whole
    environment with ``replace_env`` (a service must not inherit the other
    store's URL from the caller's shell).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env or {}) if replace_env else {**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
    return process.pid


def expect(
    component: str,
    pid: int,
    ready: Callable[[], bool],
    timeout: float,
    failure: str,
    log: Path,
    interval: float = 0.3,
) -> None:
    """Wait until the process ``pid`` is ``ready``; else stop it and say why."""
    if not wait_until(ready, timeout, interval) or not pid_alive(pid):
        stop_pid(pid)
        raise ComponentFailed(component, failure, log)


def _die_with_parent() -> None:
    import ctypes

    # SIGKILL, not SIGTERM: a server still in its start-up (waiting for a
    # broker that died with the session) may not act on SIGTERM yet.
    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def require_free(component: str, port: int, log: Path | None) -> None:
    if port_is_open(port):
        raise ComponentFailed(
            component, f"port {port} on 127.0.0.1 is already taken by another process", log
        )
