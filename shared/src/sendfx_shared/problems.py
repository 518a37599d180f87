"""RFC 9457 problem details for every HTTP error a service returns.

An unexpected error answers a bare 500: its text (a database's or a
provider's) is logged with the request id, never sent to the client.
"""

import contextvars
import logging
import math
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, TypedDict, Unpack

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("sendfx.problems")
# The request being served (set by sendfx_shared.http's middleware), for logs.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "sendfx_request_id", default="-"
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://sendfx.ai/problems/"


class FieldError(BaseModel):
    field: str
    message: str
    type: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ProblemOptions(TypedDict, total=False):
    """What a problem may say beside its status and detail."""

    kind: str | None
    title: str | None
    errors: Sequence[FieldError] | None
    headers: dict[str, str] | None
    extra: dict[str, Any] | None


class ProblemError(Exception):
    """Raise from a route or service function to answer with a problem."""

    def __init__(self, status: int, detail: str, **options: Unpack[ProblemOptions]) -> None:
        super().__init__(detail)
        phrase = HTTPStatus(status).phrase
        errors = options.get("errors")
        self.status = status
        self.detail = detail
        self.kind = options.get("kind") or phrase.lower().replace(" ", "-").replace("'", "")
        self.title = options.get("title") or phrase
        self.errors = list(errors) if errors is not None else None
        self.headers = options.get("headers")
        self.extra = options.get("extra") or {}

    def response(self) -> JSONResponse:
        """The problem+json answer (``extra`` adds members beside the standard ones)."""
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            body["errors"] = [e.model_dump() for e in self.errors]
        body.update(self.extra)
        return JSONResponse(
            body, status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers
        )


class NotFound(ProblemError):
    def __init__(self, what: str) -> None:
        super().__init__(404, f"{what} not found", kind="not-found")


class Conflict(ProblemError):
    def __init__(self, detail: str) -> None:
        super().__init__(409, detail, kind="conflict")


class Forbidden(ProblemError):
    def __init__(self, detail: str = "you are not allowed to do this") -> None:
        super().__init__(403, detail, kind="forbidden")


class Unauthorized(ProblemError):
    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(401, detail, kind="unauthorized", headers={"WWW-Authenticate": "Bearer"})


class TooManyRequests(ProblemError):
    """429 with ``Retry-After`` (whole seconds, at least 1)."""

    def __init__(self, detail: str, retry_after_seconds: float) -> None:
        seconds = max(1, math.ceil(retry_after_seconds))
        super().__init__(
            429,
            detail,
            kind="too-many-requests",
            headers={"Retry-After": str(seconds)},
            extra={"retry_after": seconds},
        )


def problem_response(status: int, detail: str, **options: Unpack[ProblemOptions]) -> JSONResponse:
    """A problem answered outside a route (middleware, exception handlers)."""
    return ProblemError(status, detail, **options).response()


def field_errors(raw: Sequence[Any]) -> list[FieldError]:
    out: list[FieldError] = []
    for item in raw:
        location = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path")]
        out.append(
            FieldError(
                field=".".join(location) or "(request)",
                message=str(item.get("msg", "invalid")),
                type=str(item.get("type", "value_error")),
            )
        )
    return out


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return exc.response()


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        422,
        "the request is not valid; see errors",
        kind="validation-error",
        title="Unprocessable Content",
        errors=field_errors(exc.errors()),
    )


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(exc.status_code, str(exc.detail), headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None) or current_request_id.get()
    log.error(
        "request %s: %s %s failed: %s",
        request_id,
        request.method,
        request.url.path,
        type(exc).__name__,
        exc_info=exc,
    )
    # This answer is made outside the request-id middleware: name the id here.
    return problem_response(
        500,
        f"an unexpected error occurred (request {request_id})",
        kind="internal-error",
        headers={"X-Request-ID": request_id},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
