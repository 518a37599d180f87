"""Pricing: version in force, family resolution, Decimal cost arithmetic."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
from hypothesis import given
from hypothesis import strategies as st

from core_api.repositories.price_file import (
    PriceEntry,
    PriceFile,
    insert_missing_prices,
    read_price_file,
)
from core_api.settings import DEFAULT_PRICES_FILE
from usage_ingestor.price_book import PriceBook, family_of
from usage_ingestor.price_table import (
    load_price_book,
)
from usage_ingestor.pricing import COST_QUANTUM, PriceVersion, cost_usd
from usage_ingestor.settings import IngestorSettings

from .support import usage_event

rates = st.decimals(min_value=0, max_value=100, places=6, allow_nan=False, allow_infinity=False)
tokens = st.integers(min_value=0, max_value=10**9)


def version(model: str, day: date, input_rate: str, output: str = "0") -> PriceVersion:
    return PriceVersion(
        uuid.uuid4(), model, day, Decimal(input_rate), Decimal(input_rate), Decimal(output)
    )


@st.composite
def usage(draw: st.DrawFn) -> tuple[int, int, int, int]:
    prompt = draw(tokens)
    completion = draw(tokens)
    return prompt, draw(st.integers(0, prompt)), completion, draw(st.integers(0, completion))


@given(usage(), rates, rates, rates, st.none() | rates)
def test_cost_is_each_token_class_at_its_rate(
    counts: tuple[int, int, int, int],
    input_rate: Decimal,
    cached_rate: Decimal,
    output_rate: Decimal,
    reasoning_rate: Decimal | None,
) -> None:
    prompt, cached, completion, reasoning = counts
    price = PriceVersion(
        uuid.uuid4(), "m", date(2025, 1, 1), input_rate, cached_rate, output_rate, reasoning_rate
    )
    cost = cost_usd(
        price,
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=completion,
        reasoning_tokens=reasoning,
    )
    exact = (
        (prompt - cached) * input_rate
        + cached * cached_rate
        + (completion - reasoning) * output_rate
        + reasoning * (output_rate if reasoning_rate is None else reasoning_rate)
    ) / Decimal(1_000_000)
    assert isinstance(cost, Decimal)
    assert cost >= 0
    assert abs(cost - exact) <= COST_QUANTUM / 2


fine_rates = st.decimals(
    min_value=0, max_value=100, places=8, allow_nan=False, allow_infinity=False
)


@given(usage(), rates | fine_rates, rates, rates, st.none() | rates)
def test_the_integer_hot_path_costs_exactly_what_the_decimal_formula_does(
    counts: tuple[int, int, int, int],
    input_rate: Decimal,
    cached_rate: Decimal,
    output_rate: Decimal,
    reasoning_rate: Decimal | None,
) -> None:
    prompt, cached, completion, reasoning = counts
    price = PriceVersion(
        uuid.uuid4(), "m", date(2025, 1, 1), input_rate, cached_rate, output_rate, reasoning_rate
    )
    book = PriceBook.of([price])
    call = usage_event(
        uuid.uuid4(),
        model="m",
        prompt=prompt,
        cached=cached,
        completion=completion,
        reasoning=reasoning,
        occurred_at=datetime(2025, 6, 1, tzinfo=UTC),
    ).data
    units, price_id = book.cost_units(call)
    expected = book.price_call(call)
    assert expected.cost_usd is not None
    assert (units, price_id) == (expected.cost_usd.scaleb(10), expected.price_id)
    missing = usage_event(uuid.uuid4(), model="m", usage_missing=True).data
    assert book.cost_units(missing) == (None, None)


@given(usage(), rates, rates)
def test_caching_never_makes_a_call_dearer_when_the_cached_rate_is_lower(
    counts: tuple[int, int, int, int], input_rate: Decimal, discount: Decimal
) -> None:
    prompt, cached, completion, reasoning = counts
    cheaper = max(Decimal(0), input_rate - discount)
    price = PriceVersion(uuid.uuid4(), "m", date(2025, 1, 1), input_rate, cheaper, Decimal(1))
    as_cached = cost_usd(
        price,
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=completion,
        reasoning_tokens=reasoning,
    )
    uncached = cost_usd(
        price,
        prompt_tokens=prompt,
        cached_tokens=0,
        completion_tokens=completion,
        reasoning_tokens=reasoning,
    )
    assert as_cached <= uncached


snapshot_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
families = st.from_regex(r"[a-z][a-z0-9.]{0,8}(-[a-z0-9]{1,5}){0,2}", fullmatch=True)


@given(families, snapshot_dates)
def test_a_dated_snapshot_resolves_to_its_family(family: str, snapshot: date) -> None:
    model = f"{family}-{snapshot.isoformat()}"
    book = PriceBook.of([version(family, date(2020, 1, 1), "1.00")])

    found = book.price_for(model, datetime(2031, 1, 1, tzinfo=UTC))

    assert family_of(model) == family
    assert found is not None and found.model == family


def test_an_exact_entry_wins_over_the_family() -> None:
    book = PriceBook.of(
        [
            version("gpt-4o", date(2024, 5, 13), "2.50"),
            version("gpt-4o-2024-05-13", date(2024, 5, 13), "5.00"),
        ]
    )
    at = datetime(2025, 1, 1, tzinfo=UTC)

    exact = book.price_for("gpt-4o-2024-05-13", at)
    family = book.price_for("gpt-4o-2024-08-06", at)

    assert exact is not None and exact.input_per_mtok == Decimal("5.00")
    assert family is not None and family.input_per_mtok == Decimal("2.50")


@given(
    st.lists(snapshot_dates, min_size=1, max_size=6, unique=True),
    st.datetimes(
        min_value=datetime(2019, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
    ),
)
def test_the_version_in_force_is_the_latest_one_not_after_the_call(
    effective: list[date], occurred_at: datetime
) -> None:
    book = PriceBook.of([version("m", day, str(i)) for i, day in enumerate(effective)])

    found = book.price_for("m", occurred_at)

    started = [day for day in effective if day <= occurred_at.date()]
    if not started:
        assert found is None
    else:
        assert found is not None and found.effective_from == max(started)


def test_the_utc_day_decides_which_version_applies() -> None:
    book = PriceBook.of(
        [version("m", date(2025, 6, 10), "2"), version("m", date(2025, 1, 1), "10")]
    )
    utc_evening = datetime(2025, 6, 9, 23, 30, tzinfo=UTC)
    # 21:30 on the 9th in New York (UTC-4 in June) is 01:30 on the 10th in UTC.
    new_york_evening = datetime(2025, 6, 9, 21, 30, tzinfo=ZoneInfo("America/New_York"))

    before = book.price_for("m", utc_evening)
    after = book.price_for("m", new_york_evening)

    assert before is not None and before.input_per_mtok == Decimal("10")
    assert after is not None and after.input_per_mtok == Decimal("2")


def test_unknown_models_and_missing_usage_are_unpriced_never_free() -> None:
    book = PriceBook.of([version("gpt-4o", date(2024, 1, 1), "2.50", "10")])
    workspace = uuid.uuid4()

    unknown = book.price_call(usage_event(workspace, model="someone-elses-model").data)
    missing = book.price_call(usage_event(workspace, model="gpt-4o", usage_missing=True).data)
    known = book.price_call(usage_event(workspace, model="gpt-4o").data)

    assert (unknown.cost_usd, unknown.price_id, unknown.unpriced) == (None, None, True)
    assert (missing.cost_usd, missing.unpriced) == (None, True)
    assert known.cost_usd is not None and known.cost_usd > 0 and not known.unpriced


def test_the_shipped_price_file_covers_the_models_feature_api_uses() -> None:
    prices = read_price_file(DEFAULT_PRICES_FILE)
    book = PriceBook.of(shipped_versions(prices))
    now = datetime(2026, 11, 25, tzinfo=UTC)
    for model in (
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "o3",
        "o4-mini",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
    ):
        price = book.price_for(model, now)
        assert price is not None, model
        assert price.cached_input_per_mtok <= price.input_per_mtok <= price.output_per_mtok
        batch = book.price_for(model, now, "batch")
        assert batch is not None, model
        # OpenAI's Batch API halves the standard rates.
        assert batch.input_per_mtok * 2 == price.input_per_mtok, model
        assert batch.output_per_mtok * 2 == price.output_per_mtok, model
        flex = book.price_for(model, now, "flex")
        assert flex is not None and flex.input_per_mtok <= price.input_per_mtok, model
        priority = book.price_for(model, now, "priority")
        assert priority is None or priority.input_per_mtok > price.input_per_mtok, model


def shipped_versions(prices: PriceFile) -> list[PriceVersion]:
    return [
        PriceVersion(
            uuid.uuid4(),
            e.model,
            e.effective_from,
            e.input,
            e.cached_input,
            e.output,
            e.reasoning,
            e.service_tier,
            e.cache_write,
            e.audio_input,
            e.audio_output,
        )
        for e in prices.prices
    ]


async def test_the_file_fills_gaps_but_never_overwrites_an_admin_edit(
    pool: asyncpg.Pool, ingestor_settings: IngestorSettings
) -> None:
    model = f"test-model-{uuid.uuid4().hex[:8]}"
    first = PriceFile(
        prices=[
            PriceEntry(
                model=model,
                effective_from=date(2025, 1, 1),
                input=Decimal("1"),
                cached_input=Decimal("0.5"),
                output=Decimal("2"),
            )
        ]
    )
    later = PriceFile(
        prices=[
            first.prices[0].model_copy(update={"input": Decimal("9")}),
            first.prices[0].model_copy(update={"effective_from": date(2026, 1, 1)}),
        ]
    )
    async with pool.acquire() as conn:
        assert await insert_missing_prices(conn, first) == 1
        await conn.execute(
            "UPDATE core.model_prices SET input_per_mtok = 3, source = 'admin' WHERE model = $1",
            model,
        )
        assert await insert_missing_prices(conn, later) == 1
        book = await load_price_book(conn)

    edited = book.price_for(model, datetime(2025, 6, 1, tzinfo=UTC))
    newer = book.price_for(model, datetime(2026, 6, 1, tzinfo=UTC))
    assert edited is not None and edited.input_per_mtok == Decimal("3")
    assert newer is not None and newer.effective_from == date(2026, 1, 1)
