"""Schemathesis against feature-api's /openapi.json: whatever a client sends
that the document allows (and a little it does not), the answer is never a
5xx. Lean on purpose: a few examples per operation, as a platform admin (who
passes every membership check, so requests reach the services)."""

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pymongo import MongoClient


@pytest.mark.slow
def test_no_operation_answers_5xx(feature_app: Any, feature_settings: Any, admin: Any) -> None:
    # One real workspace, so that workspace routes get past the 404 and into
    # the services (the admin may act on any workspace core-api announced).
    workspace_id = str(uuid.uuid4())
    with MongoClient(feature_settings.mongo_url) as client:
        client[feature_settings.mongo_database]["rm_workspaces"].insert_one(
            {"_id": workspace_id, "name": "Fuzz", "slug": "fuzz", "deleted": False, "version": 1}
        )
    schema = schemathesis.openapi.from_url(f"{feature_app.base_url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def exercise(case: Any) -> None:
            if "workspace_id" in (case.path_parameters or {}):
                case.path_parameters["workspace_id"] = workspace_id
            response = case.call(headers=admin.headers, timeout=30)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]} (body={case.body!r}, query={case.query!r})"
            )

        try:
            exercise()
        except AssertionError as exc:
            failures.append(str(exc))
    assert operations > 40
    assert not failures, "\n".join(failures)
