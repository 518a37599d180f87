"""Validation: every input is either a usage event or a rejection with a reason."""

import json
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from usage_ingestor.validation import (
    INVALID_DATA,
    NOT_A_CLOUDEVENT,
    NOT_JSON,
    WRONG_TYPE,
    Rejection,
    UsageEvent,
    parse_usage_event,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def envelope(**data: Any) -> dict[str, Any]:
    base = {
        "workspace_id": str(uuid.uuid4()),
        "service": "ai_reply",
        "model": "gpt-4o-mini",
        "prompt_tokens": 100,
        "cached_tokens": 10,
        "completion_tokens": 20,
        "reasoning_tokens": 5,
        "total_tokens": 120,
        "occurred_at": "2026-11-25T08:00:00Z",
    }
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/sendfx/feature-api",
        "type": "openai.call.completed",
        "time": "2026-11-25T08:00:01Z",
        "datacontenttype": "application/json",
        "data": {**base, **data},
    }


def parse(document: Any) -> UsageEvent | Rejection:
    return parse_usage_event(json.dumps(document).encode())


@given(st.binary())
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    result = parse_usage_event(raw)
    assert isinstance(result, Rejection) or result.type == "openai.call.completed"


@given(json_values)
def test_arbitrary_json_is_rejected_with_a_reason(document: Any) -> None:
    result = parse(document)

    assert isinstance(result, Rejection)
    assert result.kind in (NOT_A_CLOUDEVENT, INVALID_DATA)
    assert result.reason.startswith(result.kind) and len(result.reason) <= 600


@given(st.text(min_size=1).filter(lambda t: not _is_json(t)))
def test_text_that_is_not_json_is_rejected_as_such(text: str) -> None:
    result = parse_usage_event(text.encode())
    assert isinstance(result, Rejection) and result.kind == NOT_JSON


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


token_counts = st.integers(min_value=0, max_value=10**12)


@given(token_counts, token_counts, st.integers(0, 10**12), st.integers(0, 10**12))
def test_token_counts_are_accepted_exactly_when_the_parts_fit(
    prompt: int, completion: int, cached: int, reasoning: int
) -> None:
    result = parse(
        envelope(
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=cached,
            reasoning_tokens=reasoning,
            total_tokens=None,
        )
    )

    fits = cached <= prompt and reasoning <= completion
    if fits and prompt + completion <= 10**12:
        assert not isinstance(result, Rejection)
        assert result.data.effective_total_tokens == prompt + completion
    else:
        assert isinstance(result, Rejection) and result.kind == INVALID_DATA


@given(st.sampled_from(["workspace_id", "service", "model", "occurred_at"]))
def test_a_missing_required_field_is_invalid_data(field: str) -> None:
    document = envelope()
    del document["data"][field]

    result = parse(document)

    assert isinstance(result, Rejection) and result.kind == INVALID_DATA
    assert field in result.detail


@given(st.sampled_from(["id", "source", "type", "time", "data"]))
def test_a_missing_envelope_member_is_not_a_cloudevent(member: str) -> None:
    document = envelope()
    del document[member]

    result = parse(document)

    assert isinstance(result, Rejection) and result.kind == NOT_A_CLOUDEVENT


@given(st.integers(-(10**6), -1), st.sampled_from(["prompt_tokens", "completion_tokens"]))
def test_negative_tokens_are_invalid(value: int, field: str) -> None:
    result = parse(envelope(**{field: value, "cached_tokens": 0, "reasoning_tokens": 0}))
    assert isinstance(result, Rejection) and result.kind == INVALID_DATA


def test_an_other_event_type_is_rejected() -> None:
    result = parse({**envelope(), "type": "flow.created"})
    assert isinstance(result, Rejection) and result.kind == WRONG_TYPE


def test_text_postgres_cannot_store_is_rejected() -> None:
    result = parse(envelope(model="gpt\u00004o"))
    assert isinstance(result, Rejection) and result.kind == INVALID_DATA


def test_a_naive_occurred_at_is_rejected() -> None:
    result = parse(envelope(occurred_at="2026-11-25T08:00:00"))
    assert isinstance(result, Rejection) and "occurred_at" in result.reason


def test_the_contract_example_is_accepted() -> None:
    result = parse(
        envelope(
            workspace_id="6f1c2b0e-3a4d-4c1e-9b7a-2d9e8f0a1b2c",
            user_id=str(uuid.uuid4()),
            model="gpt-4o-mini-2024-07-18",
            request_id="chatcmpl-AbC123",
            prompt_tokens=1200,
            cached_tokens=1024,
            completion_tokens=300,
            reasoning_tokens=0,
            total_tokens=1500,
            usage_missing=False,
            latency_ms=840,
        )
    )
    assert not isinstance(result, Rejection)
    assert result.data.cached_tokens == 1024
