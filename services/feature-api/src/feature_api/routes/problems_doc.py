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


# Every route may also answer 413 (body too large) and 429 (rate limit).
SIGNED_IN = problems(401, 403, 404, 409, 413, 422, 429)
ADMIN = problems(401, 403, 404, 413, 422, 429)
AI = problems(401, 402, 403, 404, 409, 413, 422, 429, 502, 504)
