"""Each command holds one store's credentials only, and refuses the other's."""

import subprocess

from .support import MIGRATOR, cli_env


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MIGRATOR, *args], env=cli_env(**env), capture_output=True, text=True, timeout=60
    )


def test_load_refuses_a_mongo_url() -> None:
    result = _run("load", MONGO_URL="mongodb://127.0.0.1:1/x")
    assert result.returncode == 2
    assert "must not reach MongoDB" in " ".join(result.stdout.split())


def test_replay_refuses_a_legacy_mongo_url() -> None:
    result = _run("replay", LEGACY_MONGO_URL="mongodb://127.0.0.1:1/x")
    assert result.returncode == 2
    assert "LEGACY_MONGO_URL" in result.stdout


def test_extract_refuses_a_postgres_url() -> None:
    result = _run("extract", POSTGRES_URL="postgresql://postgres@127.0.0.1:1/x")
    assert result.returncode == 2
    assert "must not reach PostgreSQL" in " ".join(result.stdout.split())


def test_every_command_explains_itself() -> None:
    top = _run("--help")
    assert top.returncode == 0
    for command in ("extract", "load", "replay", "verify", "reset-factory"):
        assert command in top.stdout
        assert _run(command, "--help").returncode == 0
