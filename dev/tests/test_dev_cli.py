"""`sendfx-dev` as a user runs it."""

import subprocess
import sys
from pathlib import Path

import pytest

from sendfx_dev.cli import build_parser
from sendfx_dev.stack import find_root

ROOT = find_root(Path(__file__).parent)
SCRIPT = ROOT / ".venv" / "bin" / "sendfx-dev"


@pytest.mark.parametrize("command", ["up", "down", "status", "logs"])
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
