"""Step 6 of the walking skeleton: the operator's commands are installed and answer."""

import os
import subprocess
from pathlib import Path

import pytest

from sendfx_dev.stack import find_root

BIN = find_root(Path(__file__).parent) / ".venv" / "bin"

pytestmark = pytest.mark.e2e


def test_migrator_help_lists_its_five_commands() -> None:
    result = subprocess.run(
        [str(BIN / "migrator"), "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    for command in ("extract", "load", "replay", "verify", "reset-factory"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "script", ["core-api", "feature-api", "usage-ingestor", "migrator", "fake-openai", "sendfx-dev"]
)
def test_every_console_script_make_up_relies_on_is_installed(script: str) -> None:
    assert os.access(BIN / script, os.X_OK)
