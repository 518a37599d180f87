"""Schemathesis over a running service's /openapi.json: which operations
answer 5xx to inputs the document allows (and a little it does not)."""

from dataclasses import dataclass
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err


@dataclass
class FuzzReport:
    operations: int
    failures: list[str]


def find_server_errors(
    openapi_url: str,
    headers: dict[str, str],
    *,
    max_examples: int,
    fixed_path_parameters: dict[str, str] | None = None,
) -> FuzzReport:
    """Each operation gets ``max_examples`` generated requests; path parameters
    named in ``fixed_path_parameters`` are pinned so requests get past 404s and
    into the service."""
    schema = schemathesis.openapi.from_url(openapi_url)
    pinned = fixed_path_parameters or {}
    report = FuzzReport(operations=0, failures=[])
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            report.failures.append(f"the document has an invalid operation: {result.err()}")
            continue
        operation = result.ok()
        report.operations += 1

        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case: Any) -> None:
            for name, value in pinned.items():
                if name in (case.path_parameters or {}):
                    case.path_parameters[name] = value
            response = case.call(headers=headers, timeout=30)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]} (body={case.body!r}, query={case.query!r})"
            )

        try:
            exercise()
        except AssertionError as exc:
            report.failures.append(str(exc))
    return report
