"""Schemathesis against feature-api's /openapi.json: whatever a client sends
that the document allows (and a little it does not), the answer is never a
5xx. Lean on purpose: a few examples per operation, as a platform admin (who
passes every membership check, so requests reach the services)."""

import uuid
from typing import Any

import pytest
from pymongo import MongoClient

from sendfx_dev.fuzzing import find_server_errors


@pytest.mark.slow
def test_no_operation_answers_5xx(feature_app: Any, feature_settings: Any, admin: Any) -> None:
    # One real workspace, so that workspace routes get past the 404 and into
    # the services (the admin may act on any workspace core-api announced).
    workspace_id = str(uuid.uuid4())
    with MongoClient(feature_settings.mongo_url) as client:
        client[feature_settings.mongo_database]["rm_workspaces"].insert_one(
            {"_id": workspace_id, "name": "Fuzz", "slug": "fuzz", "deleted": False, "version": 1}
        )
    report = find_server_errors(
        f"{feature_app.base_url}/openapi.json",
        admin.headers,
        max_examples=4,
        fixed_path_parameters={"workspace_id": workspace_id},
    )
    assert report.operations > 40
    assert not report.failures, "\n".join(report.failures)
