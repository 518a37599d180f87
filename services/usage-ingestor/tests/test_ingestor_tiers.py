"""Pricing by served tier and token kind, against plain reference implementations."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given
from hypothesis import strategies as st

from sendfx_shared.events.openai_usage import OpenAICallCompleted
from usage_ingestor.price_book import PriceBook
from usage_ingestor.pricing import PriceVersion

rates = st.decimals(min_value=0, max_value=100, places=6, allow_nan=False, allow_infinity=False)
fine_rates = st.decimals(
    min_value=0, max_value=100, places=8, allow_nan=False, allow_infinity=False
)
maybe_rates = st.none() | rates
AT = datetime(2025, 6, 1, 12, tzinfo=UTC)


@st.composite
def calls(draw: st.DrawFn, model: str = "m") -> OpenAICallCompleted:
    """A call with every token kind, the parts fitting inside the wholes."""
    cached, cache_write, audio_in = (draw(st.integers(0, 10**8)) for _ in range(3))
    reasoning, audio_out = (draw(st.integers(0, 10**8)) for _ in range(2))
    return OpenAICallCompleted(
        workspace_id=uuid.uuid4(),
        service="ai_reply",
        model=model,
        prompt_tokens=cached + cache_write + audio_in + draw(st.integers(0, 10**8)),
        cached_tokens=cached,
        cache_write_tokens=cache_write,
        audio_prompt_tokens=audio_in,
        completion_tokens=reasoning + audio_out + draw(st.integers(0, 10**8)),
        reasoning_tokens=reasoning,
        audio_completion_tokens=audio_out,
        service_tier=draw(st.sampled_from(["default", "flex", "priority", "scale"])),
        batch=draw(st.booleans()),
        occurred_at=AT,
    )


@st.composite
def versions(draw: st.DrawFn, tier: str = "default") -> PriceVersion:
    return PriceVersion(
        uuid.uuid4(),
        "m",
        date(2025, 1, 1),
        draw(rates | fine_rates),
        draw(rates),
        draw(rates),
        draw(maybe_rates),
        tier,
        draw(maybe_rates),
        draw(maybe_rates),
        draw(maybe_rates),
    )


def reference_cost(price: PriceVersion, call: OpenAICallCompleted) -> Decimal | None:
    """The contract's arithmetic written out plainly, one token kind per line."""
    text_in = call.prompt_tokens - call.cached_tokens - call.cache_write_tokens
    text_in -= call.audio_prompt_tokens
    text_out = call.completion_tokens - call.reasoning_tokens - call.audio_completion_tokens
    reasoning_rate = price.reasoning_per_mtok
    if reasoning_rate is None:
        reasoning_rate = price.output_per_mtok
    parts = [
        (text_in, price.input_per_mtok),
        (call.cached_tokens, price.cached_input_per_mtok),
        (call.cache_write_tokens, price.cache_write_per_mtok),
        (call.audio_prompt_tokens, price.audio_input_per_mtok),
        (text_out, price.output_per_mtok),
        (call.reasoning_tokens, reasoning_rate),
        (call.audio_completion_tokens, price.audio_output_per_mtok),
    ]
    if any(count > 0 and rate is None for count, rate in parts):
        return None
    total = sum((count * rate for count, rate in parts if count), Decimal(0))
    return (total / Decimal(1_000_000)).quantize(Decimal("1e-10"), rounding=ROUND_HALF_EVEN)


@given(calls(), versions())
def test_every_token_kind_is_priced_once_at_its_own_rate(
    call: OpenAICallCompleted, price: PriceVersion
) -> None:
    call = call.model_copy(update={"batch": False, "service_tier": "default"})
    book = PriceBook.of([price])

    priced = book.price_call(call)
    units, price_id = book.cost_units(call)

    expected = reference_cost(price, call)
    assert priced.cost_usd == expected
    assert priced.unpriced == (expected is None)
    if expected is None:
        assert (units, price_id) == (None, None)
    else:
        assert units == expected.scaleb(10) and price_id == price.id


TIERS = ("default", "batch", "flex", "priority", "scale")
NAMES = ("m", "m-2025-03-01")


@st.composite
def tier_books(draw: st.DrawFn) -> list[PriceVersion]:
    """Versions for a model, its family or both, at any of the tiers and dates."""
    entries = draw(
        st.lists(
            st.tuples(
                st.sampled_from(("m", "m-2025-03-01")),
                st.sampled_from(TIERS),
                st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 1, 1)),
            ),
            max_size=8,
            unique=True,
        )
    )
    return [
        PriceVersion(uuid.uuid4(), model, day, Decimal(i), Decimal(i), Decimal(i), None, tier)
        for i, (model, tier, day) in enumerate(entries, start=1)
    ]


def reference_version(
    book: list[PriceVersion], model: str, tier: str, day: date
) -> PriceVersion | None:
    """CONTRACT.md's rule by linear search: the model's (else its family's)
    version of the tier in force on the day; a flex call without one, the
    batch one; never another tier's."""
    family = "m" if model != "m" else None
    for tried in ("flex", "batch") if tier == "flex" else (tier,):
        for name in (model, family):
            started = [
                v
                for v in book
                if v.model == name and v.service_tier == tried and v.effective_from <= day
            ]
            if started:
                return max(started, key=lambda v: v.effective_from)
    return None


@given(
    tier_books(),
    st.sampled_from(NAMES),
    st.sampled_from(TIERS),
    st.dates(min_value=date(2023, 6, 1), max_value=date(2026, 6, 1)),
)
def test_the_tier_decides_the_version_and_only_flex_falls_back_to_batch(
    book: list[PriceVersion], model: str, tier: str, day: date
) -> None:
    found = PriceBook.of(book).price_for(
        model, datetime.combine(day, datetime.min.time(), UTC), tier
    )

    expected = reference_version(book, model, tier, day)
    assert found == expected
    if found is not None:
        assert found.service_tier in ((tier, "batch") if tier == "flex" else (tier,))


def test_a_batch_call_is_priced_at_batch_rates_and_the_served_tier_decides() -> None:
    standard = PriceVersion(uuid.uuid4(), "m", date(2025, 1, 1), Decimal(2), Decimal(1), Decimal(8))
    batch = replace(standard, id=uuid.uuid4(), service_tier="batch", input_per_mtok=Decimal(1))
    priority = replace(
        standard, id=uuid.uuid4(), service_tier="priority", input_per_mtok=Decimal(4)
    )
    book = PriceBook.of([standard, batch, priority])
    call = OpenAICallCompleted(
        workspace_id=uuid.uuid4(), service="s", model="m", prompt_tokens=1_000_000, occurred_at=AT
    )

    assert book.price_call(call).price_id == standard.id
    assert book.price_call(call.model_copy(update={"batch": True})).price_id == batch.id
    served = book.price_call(call.model_copy(update={"service_tier": "priority"}))
    assert (served.price_id, served.cost_usd) == (priority.id, Decimal(4))
    flex = book.price_call(call.model_copy(update={"service_tier": "flex"}))
    assert (flex.price_id, flex.cost_usd) == (batch.id, Decimal(1))
    scale = book.price_call(call.model_copy(update={"service_tier": "scale"}))
    assert scale.unpriced and scale.price_id is None
