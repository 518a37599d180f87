"""Kafka value bytes → a valid ``openai.call.completed`` event, or the reason it is not one.

Structured or binary CloudEvents mode (``sendfx_shared.consume.decode_as``,
the one decoder); one ``model_validate_json`` per structured message on the
happy path; the error is only classified (bad JSON, not a CloudEvent, invalid
data) when validation fails.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

from sendfx_shared.consume import Undecodable, decode_as
from sendfx_shared.events.envelope import CloudEvent
from sendfx_shared.events.openai_usage import OPENAI_CALL_COMPLETED_TYPE, OpenAICallCompleted

UsageEvent = CloudEvent[OpenAICallCompleted]

NOT_JSON: Final = "not valid JSON"
NOT_A_CLOUDEVENT: Final = "not a CloudEvent"
INVALID_DATA: Final = "invalid openai.call.completed data"
WRONG_TYPE: Final = "unexpected event type"

_MAX_DETAIL = 500
# Far above any real call; keeps every sum a 64-bit integer and every cost
# inside core.openai_usage.cost_usd.
MAX_TOKENS_PER_CALL: Final = 10**12
MAX_LATENCY_MS: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message cannot be metered; ``kind`` is one of the constants above."""

    kind: str
    detail: str

    @property
    def reason(self) -> str:
        return f"{self.kind}: {self.detail}"[: _MAX_DETAIL + len(self.kind) + 2]


def _describe(error: ValidationError, strip_data: bool) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        loc = item["loc"][1:] if strip_data else item["loc"]
        where = ".".join(str(p) for p in loc) or "(value)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)[:_MAX_DETAIL]


def _inside_data(loc: tuple[int | str, ...], kind: str) -> bool:
    # A missing ``data`` member means the envelope itself is incomplete.
    return loc[:1] == ("data",) and not (loc == ("data",) and kind == "missing")


def _classify(error: ValidationError) -> Rejection:
    errors = error.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return Rejection(NOT_JSON, errors[0]["msg"][:_MAX_DETAIL])
    if all(_inside_data(e["loc"], e["type"]) for e in errors):
        return Rejection(INVALID_DATA, _describe(error, strip_data=True))
    return Rejection(NOT_A_CLOUDEVENT, _describe(error, strip_data=False))


def parse_usage_event(
    value: bytes | None, headers: Sequence[tuple[str, bytes]] = ()
) -> UsageEvent | Rejection:
    """Structured or binary mode, by the ``content-type`` header (``decode_as``)."""
    if not value:
        return Rejection(NOT_JSON, "empty message")
    try:
        event = decode_as(value, headers, UsageEvent)
    except ValidationError as error:
        return _classify(error)
    except Undecodable as error:
        kind = NOT_JSON if isinstance(error.__cause__, ValueError) else NOT_A_CLOUDEVENT
        return Rejection(kind, str(error)[:_MAX_DETAIL])
    if event.type != OPENAI_CALL_COMPLETED_TYPE:
        return Rejection(WRONG_TYPE, f"expected {OPENAI_CALL_COMPLETED_TYPE!r}, got {event.type!r}")
    if (problem := _storable_problem(event)) is not None:
        return Rejection(INVALID_DATA, problem)
    return event


def _storable_problem(event: UsageEvent) -> str | None:
    """What the model accepts but PostgreSQL could not store (or sum) faithfully."""
    call = event.data
    if "\x00" in event.id or "\x00" in event.source:
        return "the event id and source must not contain NUL characters"
    if "\x00" in call.service or "\x00" in call.model or "\x00" in (call.request_id or ""):
        return "service, model and request_id must not contain NUL characters"
    largest = max(call.prompt_tokens, call.completion_tokens, call.effective_total_tokens)
    if largest > MAX_TOKENS_PER_CALL:
        return f"token counts above {MAX_TOKENS_PER_CALL} are not a real call"
    if call.latency_ms is not None and call.latency_ms > MAX_LATENCY_MS:
        return f"latency_ms above {MAX_LATENCY_MS}"
    return None
