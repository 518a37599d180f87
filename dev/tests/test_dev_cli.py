"""`sendfx-dev` as a user runs it."""

import subprocess
import sys
from pathlib import Path

import pytest

from sendfx_dev.cli import build_parser
from sendfx_dev.stack import find_root

ROOT = find_root(Path(__file__).parent)
SCRIPT = ROOT / ".venv" / "bin" / "sendfx-dev"


@pytest.mark.parametrize("command", ["up", "down", "restart", "status", "logs"])
def test_every_command_has_help(command: str) -> None:
    result = subprocess.run(
        [str(SCRIPT) if SCRIPT.exists() else sys.executable, command, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"sendfx-dev {command}" in result.stdout


def test_top_level_help_lists_the_commands() -> None:
    text = build_parser().format_help()
    for command in ("up", "down", "status", "logs"):
        assert command in text


def test_logs_of_a_component_without_a_log_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SCRIPT), "logs", "core-api"],
        capture_output=True,
        text=True,
        check=False,
        env={"SENDFX_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert "no log yet for core-api" in result.stderr


def test_status_and_down_on_a_fresh_tree_start_nothing(tmp_path: Path) -> None:
    env = {"SENDFX_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"}
    status = subprocess.run(
        [str(SCRIPT), "status"], capture_output=True, text=True, check=False, env=env
    )
    assert status.returncode == 3
    assert "not started" in status.stdout
    down = subprocess.run([str(SCRIPT), "down"], capture_output=True, text=True, env=env)
    assert down.returncode == 0
    assert "nothing was running" in down.stdout


def test_logs_prints_the_tail_of_a_log(tmp_path: Path) -> None:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "kafka.log").write_text("".join(f"line {i}\n" for i in range(100)))
    result = subprocess.run(
        [str(SCRIPT), "logs", "kafka", "-n", "3"],
        capture_output=True,
        text=True,
        check=False,
        env={"SENDFX_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.splitlines() == ["line 97", "line 98", "line 99"]


def _cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    from sendfx_dev.ports import free_port

    return {
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "SENDFX_STATE_DIR": str(tmp_path / "var"),
        "GATEWAY_PORT": str(free_port()),
        "FAKE_OPENAI_PORT": str(free_port()),
        "CORE_API_PORT": str(free_port()),
        "FEATURE_API_PORT": str(free_port()),
        **extra,
    }


def test_up_prints_the_urls_and_the_admin_login_then_down_stops_it(tmp_path: Path) -> None:
    from sendfx_dev import gateway

    if gateway.nginx_binary() is None:
        pytest.skip("nginx is not installed (make install puts it there)")
    env = _cli_env(tmp_path, ADMIN_PASSWORD="pw-from-env")
    up = subprocess.run(
        [str(SCRIPT), "up", "--only", "fake-openai", "--only", "gateway"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    try:
        assert up.returncode == 0, up.stderr
        assert f"http://127.0.0.1:{env['GATEWAY_PORT']}" in up.stdout
        assert f"http://127.0.0.1:{env['CORE_API_PORT']}/openapi.json" in up.stdout
        assert "admin@sendfx.ai / pw-from-env" in up.stdout
        assert "127.0.0.1:9092" in up.stdout and "replicaSet=secantus" in up.stdout
        status = subprocess.run(
            [str(SCRIPT), "status"], capture_output=True, text=True, env=env, cwd=ROOT
        )
        running = [line.split()[0] for line in status.stdout.splitlines() if " running " in line]
        assert running == ["fake-openai", "gateway"]
    finally:
        down = subprocess.run(
            [str(SCRIPT), "down"], capture_output=True, text=True, env=env, cwd=ROOT
        )
    assert down.returncode == 0
    assert "stopped: gateway, fake-openai" in down.stdout


def test_a_failed_start_names_the_component_and_its_log(tmp_path: Path) -> None:
    import socket

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        env = _cli_env(tmp_path, GATEWAY_PORT=str(squatter.getsockname()[1]))
        up = subprocess.run(
            [str(SCRIPT), "up", "--only", "gateway"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
    assert up.returncode == 1
    assert "FAILED gateway" in up.stderr
    assert str(tmp_path / "var" / "log" / "gateway.log") in up.stderr
