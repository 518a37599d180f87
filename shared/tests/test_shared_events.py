"""The event envelope and the openai.call.completed data model."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from sendfx_shared.events import CloudEvent, new_event
from sendfx_shared.events.migrator import CoreRecord
from sendfx_shared.events.openai_usage import OpenAICallCompleted

CONTRACT_EXAMPLE = {
    "workspace_id": "6f1c2b0e-3a4d-4c1e-9b7a-2d9e8f0a1b2c",
    "user_id": "0b8e1c2d-3a4d-4c1e-9b7a-2d9e8f0a1b2c",
    "service": "ai_reply",
    "model": "gpt-4o-mini-2024-07-18",
    "request_id": "chatcmpl-AbC123",
    "prompt_tokens": 1200,
    "cached_tokens": 1024,
    "completion_tokens": 300,
    "reasoning_tokens": 0,
    "total_tokens": 1500,
    "usage_missing": False,
    "latency_ms": 840,
    "occurred_at": "2026-11-25T08:00:00Z",
}


def test_the_contract_example_validates() -> None:
    call = OpenAICallCompleted.model_validate(CONTRACT_EXAMPLE)
    assert call.cached_tokens == 1024
    assert call.occurred_at == datetime(2026, 11, 25, 8, tzinfo=UTC)


@pytest.mark.parametrize("missing", ["workspace_id", "service", "model", "occurred_at"])
def test_required_fields_are_required(missing: str) -> None:
    data = {k: v for k, v in CONTRACT_EXAMPLE.items() if k != missing}
    with pytest.raises(ValidationError) as caught:
        OpenAICallCompleted.model_validate(data)
    assert missing in str(caught.value)


def test_a_naive_occurred_at_is_rejected() -> None:
    with pytest.raises(ValidationError):
        OpenAICallCompleted.model_validate({**CONTRACT_EXAMPLE, "occurred_at": "2026-11-25T08:00"})


token_counts = st.integers(min_value=0, max_value=10**9)


@given(prompt=token_counts, cached=token_counts, completion=token_counts, reasoning=token_counts)
def test_token_parts_never_exceed_their_wholes(
    prompt: int, cached: int, completion: int, reasoning: int
) -> None:
    data = {
        **CONTRACT_EXAMPLE,
        "prompt_tokens": prompt,
        "cached_tokens": cached,
        "completion_tokens": completion,
        "reasoning_tokens": reasoning,
        "total_tokens": None,
    }
    if cached > prompt or reasoning > completion:
        with pytest.raises(ValidationError):
            OpenAICallCompleted.model_validate(data)
    else:
        call = OpenAICallCompleted.model_validate(data)
        assert call.effective_total_tokens == prompt + completion


@given(st.integers(max_value=-1))
def test_negative_token_counts_are_rejected(count: int) -> None:
    with pytest.raises(ValidationError):
        OpenAICallCompleted.model_validate({**CONTRACT_EXAMPLE, "completion_tokens": count})


@given(
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_envelope_round_trips_through_kafka_bytes(offset_minutes: int, moment: datetime) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    data = OpenAICallCompleted.model_validate({**CONTRACT_EXAMPLE, "occurred_at": local})
    event = new_event(source="/sendfx/feature-api", type="openai.call.completed", data=data)
    raw = json.loads(event.to_json_bytes())
    assert raw["specversion"] == "1.0"
    assert raw["datacontenttype"] == "application/json"
    assert raw["time"].endswith("Z")
    back = CloudEvent[OpenAICallCompleted].model_validate_json(event.to_json_bytes())
    assert back.id == event.id
    assert back.data == data


def test_structured_mode_header_is_cloudevents_json() -> None:
    event = new_event(source="/s", type="t", data={"a": 1})
    assert event.kafka_headers() == [("content-type", b"application/cloudevents+json")]


@given(st.text(max_size=40))
def test_envelope_rejects_any_other_specversion(version: str) -> None:
    raw = {
        "specversion": version,
        "id": "1",
        "source": "/s",
        "type": "t",
        "time": "2026-11-25T08:00:00Z",
        "data": {},
    }
    if version == "1.0":
        CloudEvent[dict[str, int]].model_validate(raw)
    else:
        with pytest.raises(ValidationError):
            CloudEvent[dict[str, int]].model_validate(raw)


def test_core_record_key_names_collection_and_legacy_id() -> None:
    legacy_id = uuid.uuid4().hex[:24]
    record = CoreRecord(
        collection="users", legacy_id=legacy_id, document={"_id": {"$oid": legacy_id}}
    )
    assert record.kafka_key == f"users:{legacy_id}"
