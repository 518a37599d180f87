"""Process handling under the real servers."""

import subprocess
import sys
from pathlib import Path

from sendfx_dev.ports import wait_until
from sendfx_dev.servers import pid_alive, stop_pid


def _spawn_from_a_short_lived_parent(tmp_path: Path, tied: bool) -> int:
    """A parent process starts ``sleep`` and exits at once, as a killed test run would."""
    code = (
        "from pathlib import Path; from sendfx_dev.servers import spawn; "
        f"print(spawn(['sleep', '120'], Path({str(tmp_path / 'sleep.log')!r}), "
        f"die_with_parent={tied}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def test_a_server_tied_to_its_session_dies_with_it(tmp_path: Path) -> None:
    pid = _spawn_from_a_short_lived_parent(tmp_path, tied=True)
    assert wait_until(lambda: not pid_alive(pid), 10)


def test_an_untied_server_outlives_the_command_that_started_it(tmp_path: Path) -> None:
    """What `sendfx-dev up` relies on: it returns, the servers stay."""
    pid = _spawn_from_a_short_lived_parent(tmp_path, tied=False)
    try:
        assert pid_alive(pid)
    finally:
        stop_pid(pid)
    assert not pid_alive(pid)


def test_a_test_sessions_postgres_stops_when_the_session_is_killed(tmp_path: Path) -> None:
    code = f"""
import os, signal
from pathlib import Path
from sendfx_dev import servers
from sendfx_dev.ports import free_port
state = Path({str(tmp_path)!r})
pg = servers.start_postgres(state / "pg", free_port(), state / "pg.log")
servers.stop_postgres_after(os.getpid(), state / "pg", state / "watcher.log")
print(pg.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    postmaster = int(run.stdout.split()[0])
    assert wait_until(lambda: not pid_alive(postmaster), 30)
    assert not (tmp_path / "pg" / "postmaster.pid").exists()
