"""Schemathesis against the running process's /openapi.json: whatever a
client sends that the document allows (and a little it does not), core-api
never answers 5xx. Lean on purpose: a few examples per operation."""

import uuid
from typing import Any

import httpx
import pytest

from sendfx_dev.fuzzing import find_server_errors

PASSWORD = "fuzzing admin password"


@pytest.fixture(scope="session")
def fuzz_headers(core_server: Any) -> dict[str, str]:
    """A platform admin of its own: fuzzing may rename it or change its password."""
    with httpx.Client(base_url=core_server.url, timeout=30) as client:
        seeded = client.post(
            "/api/auth/login", json={"email": "admin@sendfx.ai", "password": "sendfx-admin"}
        ).json()["access_token"]
        email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
        made = client.post(
            "/api/admin/users",
            json={"email": email, "password": PASSWORD, "role": "admin"},
            headers={"Authorization": f"Bearer {seeded}"},
        )
        assert made.status_code == 201, made.text
        token = client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()[
            "access_token"
        ]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
def test_no_operation_answers_5xx(core_server: Any, fuzz_headers: dict[str, str]) -> None:
    report = find_server_errors(f"{core_server.url}/openapi.json", fuzz_headers, max_examples=8)
    assert report.operations > 30
    assert not report.failures, "\n".join(report.failures)
