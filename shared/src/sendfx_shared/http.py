"""What every FastAPI service shares: problem handlers, health, request ids."""

import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from sendfx_shared.observability.logs import REQUEST_ID
from sendfx_shared.problems import install_problem_handlers

REQUEST_ID_HEADER = "X-Request-ID"


def install_common(app: FastAPI) -> None:
    install_problem_handlers(app)

    @app.middleware("http")
    async def _request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        request.state.request_id = request_id
        REQUEST_ID.set(request_id)  # for the log lines of this request
        response = await call_next(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
