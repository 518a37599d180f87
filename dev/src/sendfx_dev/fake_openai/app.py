"""The fake's HTTP app: ``POST /v1/chat/completions`` (streamed or not),
its faults, and ``GET /_fake/stats``."""

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from sendfx_dev.fake_openai.replies import (
    CUT_AFTER_CHUNKS,
    DEFAULT_SLOW_SECONDS,
    ChatRequest,
    Knobs,
    arguments_for,
    knobs_of,
    last_user_text,
    prompt_tokens_of,
    reply_text,
    served_tier,
    tool_name,
    usage_of,
    wanted_tool,
    words,
)


def _error(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    headers = {"retry-after-ms": "10"} if status == 429 else None
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _resolved_model(model: str) -> str:
    # Like OpenAI, answer with the dated snapshot of an alias.
    return f"{model}-2024-07-18" if model in ("gpt-4o-mini", "gpt-4o") else model


def create_app() -> FastAPI:
    app = FastAPI(title="fake OpenAI", version="1")
    stats: Counter[str] = Counter()
    failed_once: set[str] = set()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_fake/stats")
    async def fake_stats() -> dict[str, int]:
        return dict(stats)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        names = ["gpt-4o-mini", "gpt-4o", "o3-mini"]
        return {
            "object": "list",
            "data": [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names],
        }

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> Response:
        try:
            body = ChatRequest.model_validate(await request.json())
        except ValueError as exc:
            return _error(400, f"invalid request: {exc}", "invalid_request_error")
        knobs = knobs_of(body, {k.lower(): v for k, v in request.headers.items()})
        stats["requests"] += 1
        fault = knobs.fault or ""
        if fault:
            stats[f"fault:{fault}"] += 1
        early = await _early_fault(fault, knobs.fault_key, failed_once)
        if early is not None:
            return early
        if body.stream:
            stall = float(fault.partition(":")[2] or DEFAULT_SLOW_SECONDS)
            return StreamingResponse(
                _stream(
                    body,
                    knobs,
                    cut=fault == "cut-stream",
                    stall=stall if fault.startswith("stall-stream") else 0.0,
                ),
                media_type="text/event-stream",
            )
        return JSONResponse(_completion(body, knobs))

    return app


async def _early_fault(fault: str, key: str, failed_once: set[str]) -> Response | None:
    if fault.startswith("slow"):
        _, _, seconds = fault.partition(":")
        await asyncio.sleep(float(seconds) if seconds else DEFAULT_SLOW_SECONDS)
        return None
    if fault.startswith("flaky-"):
        if f"{fault}|{key}" in failed_once:
            return None
        failed_once.add(f"{fault}|{key}")
        fault = "error-" + fault.removeprefix("flaky-")
    if fault == "error-429":
        return _error(429, "Rate limit reached (fake)", "requests", "rate_limit_exceeded")
    if fault == "error-400":
        return _error(400, "Bad request (fake)", "invalid_request_error")
    if fault.startswith("error-5"):
        return _error(
            int(fault.removeprefix("error-")), "The server had an error (fake)", "server_error"
        )
    return None


def _completion(body: ChatRequest, knobs: Knobs) -> dict[str, Any]:
    prompt = prompt_tokens_of(body)
    tool = wanted_tool(body)
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    if tool is not None:
        arguments = json.dumps(arguments_for(tool, last_user_text(body)))
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": tool_name(tool), "arguments": arguments},
            }
        ]
        completion, finish = body.capped(words(arguments) + 3), "tool_calls"
    else:
        message["content"] = reply_text(body)
        completion, finish = words(message["content"]), "stop"
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": _resolved_model(body.model),
        "system_fingerprint": "fp_fake",
        "service_tier": served_tier(body, knobs),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage_of(prompt, completion, knobs),
    }


async def _stream(
    body: ChatRequest, knobs: Knobs, *, cut: bool, stall: float = 0.0
) -> AsyncIterator[bytes]:
    ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    base = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": _resolved_model(body.model),
        "system_fingerprint": "fp_fake",
        "service_tier": served_tier(body, knobs),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return f"data: {json.dumps({**base, 'choices': [choice]})}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    tool = wanted_tool(body)
    if tool is not None:
        arguments = json.dumps(arguments_for(tool, last_user_text(body)))
        call = {
            "index": 0,
            "id": f"call_{uuid.uuid4().hex[:24]}",
            "type": "function",
            "function": {"name": tool_name(tool), "arguments": arguments},
        }
        yield chunk({"tool_calls": [call]})
        completion, finish = body.capped(words(arguments) + 3), "tool_calls"
    else:
        pieces = reply_text(body).split()
        for number, piece in enumerate(pieces):
            if cut and number == CUT_AFTER_CHUNKS:
                # Dropping the connection mid-body, as a network cut would.
                raise ConnectionAbortedError("fake stream cut")
            if stall and number == CUT_AFTER_CHUNKS:
                await asyncio.sleep(stall)
            yield chunk({"content": piece if number == 0 else f" {piece}"})
            await asyncio.sleep(0)
        if cut:
            raise ConnectionAbortedError("fake stream cut")
        completion, finish = len(pieces), "stop"
    yield chunk({}, finish)
    if (body.stream_options or {}).get("include_usage"):
        usage = usage_of(prompt_tokens_of(body), completion, knobs)
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode()
    yield b"data: [DONE]\n\n"
