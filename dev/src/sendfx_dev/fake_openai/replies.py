"""The fake's replies: the request model, knobs and faults read from headers
or markers, the deterministic reply, tool calls and token usage."""

import json
import re
from typing import Any

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
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)

    @property
    def completion_cap(self) -> int | None:
        """The most completion tokens the caller allows (as OpenAI honours it)."""
        return self.max_completion_tokens or self.max_tokens

    def capped(self, completion: int) -> int:
        cap = self.completion_cap
        return completion if cap is None else min(completion, cap)

    service_tier: str | None = None


class Knobs(BaseModel):
    fault: str | None = None
    fault_key: str = ""
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    audio_prompt_tokens: int = 0
    audio_completion_tokens: int = 0
    # The tier the response says served the call (None: the requested one).
    served_tier: str | None = None


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


# marker / header name -> the token-count knob it sets
_COUNTS = {
    "cached": "cached_tokens",
    "reasoning": "reasoning_tokens",
    "cache_write": "cache_write_tokens",
    "audio_in": "audio_prompt_tokens",
    "audio_out": "audio_completion_tokens",
}


def knobs_of(request: ChatRequest, headers: dict[str, str]) -> Knobs:
    counts = {
        field: int(headers.get(f"x-fake-{field.replace('_', '-')}", "0") or 0)
        for field in _COUNTS.values()
    }
    knobs = Knobs(
        fault=headers.get("x-fake-fault"),
        fault_key=headers.get("x-fake-fault-key", ""),
        served_tier=headers.get("x-fake-served-tier"),
        **counts,
    )
    text = last_user_text(request)
    for name, value in _MARKER.findall(text):
        if name == "fault":
            knobs.fault = value
            knobs.fault_key = knobs.fault_key or text
        elif name in _COUNTS and value.isdigit():
            setattr(knobs, _COUNTS[name], int(value))
        elif name == "served_tier" and value:
            knobs.served_tier = value
    return knobs


def served_tier(request: ChatRequest, knobs: Knobs) -> str:
    """Like OpenAI: the requested tier, ``auto`` (or none) answered as ``default``,
    unless a knob says the call was served at another."""
    if knobs.served_tier:
        return knobs.served_tier
    requested = request.service_tier or "auto"
    return "default" if requested == "auto" else requested


def reply_text(request: ChatRequest) -> str:
    """The reply, cut to ``max_tokens`` words (a word is a token here)."""
    if request.messages[-1].role == "tool":
        text = f"Done: {' '.join(text_of(request.messages[-1]).split()[:MAX_REPLY_WORDS])}"
    else:
        clean = " ".join(_MARKER.sub(" ", last_user_text(request)).split()[:MAX_REPLY_WORDS])
        text = f"Echo: {clean}" if clean else "Echo:"
    return " ".join(text.split()[: request.capped(len(text.split()))])


def tool_name(tool: dict[str, Any]) -> str:
    return str(tool.get("function", {}).get("name", ""))


def wanted_tool(request: ChatRequest) -> dict[str, Any] | None:
    tools = [t for t in request.tools or [] if tool_name(t)]
    if not tools or request.tool_choice == "none" or request.messages[-1].role != "user":
        return None
    choice = request.tool_choice
    if isinstance(choice, dict):
        named = choice.get("function", {}).get("name")
        return next((t for t in tools if tool_name(t) == named), None)
    text = last_user_text(request).lower()
    for tool in tools:
        if tool_name(tool).lower() in text:
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
    """Cached and cache-write tokens are parts of the text prompt; audio tokens
    and reasoning are added to the prompt and completion they are parts of."""
    cached = min(knobs.cached_tokens, prompt)
    cache_write = min(knobs.cache_write_tokens, prompt - cached)
    prompt += knobs.audio_prompt_tokens
    completion += knobs.reasoning_tokens + knobs.audio_completion_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": cached,
            "cache_write_tokens": cache_write,
            "audio_tokens": knobs.audio_prompt_tokens,
        },
        "completion_tokens_details": {
            "reasoning_tokens": knobs.reasoning_tokens,
            "audio_tokens": knobs.audio_completion_tokens,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
