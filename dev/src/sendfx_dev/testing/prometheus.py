"""Asking a test's Prometheus (the stack's, on a free port) what it knows."""

import httpx


def query(url: str, promql: str) -> dict[str, object]:
    """The ``data`` of an instant query; raises on a query Prometheus refuses."""
    answer = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()
    if answer.get("status") != "success":
        raise AssertionError(f"{promql!r}: {answer.get('error')}")
    data: dict[str, object] = answer["data"]
    return data
