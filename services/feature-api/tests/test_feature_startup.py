"""The feature-api process: its settings, its refusal of a PostgreSQL URL,
and the ``feature-api`` console script serving /healthz and /openapi.json."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from feature_api.settings import FeatureSettings, load_settings
from sendfx_dev.ports import free_port
from sendfx_shared.ownership import ForeignStoreConfigured

SCRIPT = Path(sys.executable).parent / "feature-api"


def test_a_postgres_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POSTGRES_URL", "DATABASE_URL"):
        monkeypatch.setenv(name, "postgresql://postgres@127.0.0.1:54320/sendfx")
        with pytest.raises(ForeignStoreConfigured, match=f"unset {name}"):
            load_settings()
        monkeypatch.delenv(name)


def test_port_and_openai_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FEATURE_API_PORT", "9123")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8090/v1")
    monkeypatch.setenv("OPENAI_MODEL", "gpt-4o")
    settings = load_settings()
    assert settings.port == 9123
    assert settings.openai_base_url == "http://127.0.0.1:8090/v1"
    assert settings.openai_model == "gpt-4o"
    monkeypatch.delenv("FEATURE_API_PORT")
    monkeypatch.setenv("PORT", "9124")
    assert FeatureSettings().port == 9124
    assert FeatureSettings.model_fields["openai_model"].default == "gpt-4o-mini"


def _environment(sendfx_infra: Any, fake_openai: Any, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("POSTGRES_URL", "DATABASE_URL")}
    env.update(sendfx_infra.service_env("feature-api"))
    env.update(
        FEATURE_API_PORT=str(port),
        OPENAI_BASE_URL=fake_openai.base_url,
        OPENAI_API_KEY="sk-test",
        FEATURE_API_PROJECTION_GROUP=f"{sendfx_infra.topic_prefix}startup",
    )
    return env


@pytest.mark.slow
def test_the_console_script_serves_health_and_openapi(sendfx_infra: Any, fake_openai: Any) -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT)],
        env=_environment(sendfx_infra, fake_openai, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            if health.status_code == 200:
                break
            # ready only once its core.events projection has caught up
            assert health.json()["type"].endswith("/not-ready"), health.text
            time.sleep(0.2)
        assert health is not None and health.status_code == 200, process.stderr
        assert health.json()["service"] == "feature-api"
        document = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert "/api/admin/flow-drafts/{draft_id}/publish" in document["paths"]
        assert "/api/conversations/{conversation_id}/ai-reply" in document["paths"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_the_console_script_refuses_a_postgres_url(sendfx_infra: Any, fake_openai: Any) -> None:
    env = _environment(sendfx_infra, fake_openai, free_port())
    env["POSTGRES_URL"] = "postgresql://postgres@127.0.0.1:54320/sendfx"
    finished = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode != 0
    assert "feature-api owns mongo data only" in finished.stderr
    assert "unset POSTGRES_URL" in finished.stderr
