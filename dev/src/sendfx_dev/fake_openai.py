"""A local stand-in for OpenAI's Chat Completions API, for runs and tests.

It speaks the wire protocol the real ``openai`` client expects
(``POST /v1/chat/completions``, streamed or not) and answers at once with a
deterministic reply, so token counts can be asserted exactly:

- prompt tokens: for every message, the number of whitespace-separated words
  of its content plus 4 (role and framing), plus the words of the tool
  declarations, plus 3 for priming the reply;
- the reply is ``"Echo: <last user message>"`` (capped at 64 words, the
  ``[[...]]`` markers removed); completion tokens are its words, one per
  streamed content chunk;
- tool calls: when tools are given (and ``tool_choice`` is not ``"none"``) and
  the last message is the user's and it names a tool (or says "use tool", or
  ``tool_choice`` demands one), the reply calls that tool with arguments made
  from its JSON schema.

Faults and knobs, by header or by a marker anywhere in the last user message
(markers let a test reach through a service that builds the request itself):

- ``x-fake-fault: cut-stream`` / ``[[fault:cut-stream]]``: a stream that stops
  after a few content chunks, before the usage chunk and ``[DONE]``;
- ``stall-stream`` or ``stall-stream:<seconds>``: a stream that goes silent
  after a few content chunks (default 30 s), for read timeouts mid-stream;
- ``error-500``, ``error-503``, ``error-429``, ``error-400``: that HTTP error
  with OpenAI's error body;
- ``flaky-500`` / ``flaky-429``: the first request carrying that fault and the
  same ``x-fake-fault-key`` (or marker text) fails, later ones succeed;
- ``slow`` or ``slow:<seconds>``: wait (default 30 s) before answering;
- ``x-fake-cached-tokens: N`` / ``[[cached:N]]``: report N cached prompt tokens
  (capped at the prompt tokens); ``x-fake-reasoning-tokens: N`` /
  ``[[reasoning:N]]``: N reasoning tokens, added to the completion tokens.

``GET /_fake/stats`` counts requests (all and by fault), for retry tests.
"""

import argparse
import asyncio
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SLOW_SECONDS = 30.0
CUT_AFTER_CHUNKS = 3
MAX_REPLY_WORDS = 64
_MARKER = re.compile(r"\[\[(\w+)(?::([^\]]*))?\]\]")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = "gpt-4o-mini"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None


class Knobs(BaseModel):
    fault: str | None = None
    fault_key: str = ""
    cached_tokens: int = 0
    reasoning_tokens: int = 0


def text_of(message: ChatMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    if isinstance(message.content, list):
        return " ".join(str(part.get("text", "")) for part in message.content)
    return ""


def words(text: str) -> int:
    return len(text.split())


def prompt_tokens_of(request: ChatRequest) -> int:
    tokens = sum(words(text_of(m)) + 4 for m in request.messages) + 3
    if request.tools:
        tokens += words(json.dumps(request.tools))
    return tokens


def last_user_text(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return text_of(message)
    return ""


def knobs_of(request: ChatRequest, headers: dict[str, str]) -> Knobs:
    knobs = Knobs(
        fault=headers.get("x-fake-fault"),
        fault_key=headers.get("x-fake-fault-key", ""),
        cached_tokens=int(headers.get("x-fake-cached-tokens", "0") or 0),
        reasoning_tokens=int(headers.get("x-fake-reasoning-tokens", "0") or 0),
    )
    text = last_user_text(request)
    for name, value in _MARKER.findall(text):
        if name == "fault":
            knobs.fault = value
            knobs.fault_key = knobs.fault_key or text
        elif name == "cached" and value.isdigit():
            knobs.cached_tokens = int(value)
        elif name == "reasoning" and value.isdigit():
            knobs.reasoning_tokens = int(value)
    return knobs


def reply_text(request: ChatRequest) -> str:
    if request.messages[-1].role == "tool":
        return f"Done: {' '.join(text_of(request.messages[-1]).split()[:MAX_REPLY_WORDS])}"
    clean = " ".join(_MARKER.sub(" ", last_user_text(request)).split()[:MAX_REPLY_WORDS])
    return f"Echo: {clean}" if clean else "Echo:"


def _tool_name(tool: dict[str, Any]) -> str:
    return str(tool.get("function", {}).get("name", ""))


def wanted_tool(request: ChatRequest) -> dict[str, Any] | None:
    tools = [t for t in request.tools or [] if _tool_name(t)]
    if not tools or request.tool_choice == "none" or request.messages[-1].role != "user":
        return None
    choice = request.tool_choice
    if isinstance(choice, dict):
        named = choice.get("function", {}).get("name")
        return next((t for t in tools if _tool_name(t) == named), None)
    text = last_user_text(request).lower()
    for tool in tools:
        if _tool_name(tool).lower() in text:
            return tool
    if choice == "required" or "use tool" in text or "use a tool" in text:
        return tools[0]
    return None


def arguments_for(tool: dict[str, Any], text: str) -> dict[str, Any]:
    schema = tool.get("function", {}).get("parameters") or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    sample: dict[str, Any] = {"string": text[:200], "integer": 1, "number": 1.0, "boolean": True}
    arguments: dict[str, Any] = {}
    for name in schema.get("required") or list(properties):
        kind = (properties.get(name) or {}).get("type", "string")
        arguments[name] = sample.get(kind, text[:200])
    return arguments


def usage_of(prompt: int, completion: int, knobs: Knobs) -> dict[str, Any]:
    completion += knobs.reasoning_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": min(knobs.cached_tokens, prompt),
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": knobs.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


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
                "function": {"name": _tool_name(tool), "arguments": arguments},
            }
        ]
        completion, finish = words(arguments) + 3, "tool_calls"
    else:
        message["content"] = reply_text(body)
        completion, finish = words(message["content"]), "stop"
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": _resolved_model(body.model),
        "system_fingerprint": "fp_fake",
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
            "function": {"name": _tool_name(tool), "arguments": arguments},
        }
        yield chunk({"tool_calls": [call]})
        completion, finish = words(arguments) + 3, "tool_calls"
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


class ThreadedFakeOpenAI:
    """The fake served from a background thread of the calling process (tests)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        config = uvicorn.Config(create_app(), host=host, port=port, log_level="critical")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="fake-openai", daemon=True)
        self.base_url = f"http://{host}:{port}/v1"

    def __enter__(self) -> "ThreadedFakeOpenAI":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="fake-openai", description="A local fake of OpenAI's Chat Completions API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    run()
