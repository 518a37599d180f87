"""The problem+json answers each router documents in /openapi.json."""

from http import HTTPStatus
from typing import Any

from sendfx_shared.problems import PROBLEM_JSON, Problem


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


SIGNED_IN = problems(401, 404, 422)
ADMIN = problems(401, 403, 404, 422)
AI = problems(401, 402, 404, 409, 422, 502, 504)
