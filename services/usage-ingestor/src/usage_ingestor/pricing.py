"""What a call cost: every token kind at its own rate, in exact arithmetic.

Prices are USD per 1M tokens (``PriceVersion``). A call's tokens split into
seven disjoint kinds (``token_kinds``): uncached text input, cached input,
cache writes, audio input, text output, reasoning and audio output; each is
priced once, at its kind's rate. A kind the call used whose rate the version
does not give makes the call unpriced (no cost, never another rate's).
Arithmetic is in ``Decimal`` (``cost_usd``), or in integers on the hot path
(``cost_units``), which gives exactly the same result: a cost is never a
float, and a call without a price has no cost (never 0). Which version
applies is ``price_book.PriceBook``'s business.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from operator import mul
from typing import Final, Protocol

from sendfx_shared.events.openai_usage import DEFAULT_TIER

PER_MTOK: Final = Decimal(1_000_000)
# core.openai_usage.cost_usd is numeric(20, 10).
COST_QUANTUM: Final = Decimal("1e-10")

# A cost in whole units of COST_QUANTUM (1e-10 USD): what the ingestor hands
# PostgreSQL, computed in integers (see cost_units).
COST_UNITS_PER_USD: Final = 10**10
# Rates in the table are numeric(12, 6): whole micro-dollars per 1M tokens.
_RATE_SCALE: Final = Decimal(1_000_000)
# sum(tokens x micro-dollar rate) is in 1e-12 USD; a cost unit is 1e-10 USD.
_SUM_PER_UNIT: Final = 100

TOKEN_KINDS: Final = (
    "input",
    "cached_input",
    "cache_write",
    "audio_input",
    "output",
    "reasoning",
    "audio_output",
)
Rates = tuple[Decimal | None, ...]


@dataclass(frozen=True, slots=True)
class IntegerRates:
    """A price's rates in whole micro-dollars per 1M tokens, laid out for the
    hot path: ``per_kind`` has 0 where a kind has no rate, and ``missing``
    names those kinds (a call that used one is unpriced)."""

    per_kind: tuple[int, ...]
    missing: tuple[int, ...]


class Call(Protocol):
    """What pricing reads of a call: an ``OpenAICallCompleted`` or a stored row."""

    @property
    def model(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def usage_missing(self) -> bool: ...
    @property
    def priced_tier(self) -> str: ...
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def cached_tokens(self) -> int: ...
    @property
    def cache_write_tokens(self) -> int: ...
    @property
    def audio_prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...
    @property
    def reasoning_tokens(self) -> int: ...
    @property
    def audio_completion_tokens(self) -> int: ...


@dataclass(frozen=True, slots=True)
class PriceVersion:
    id: uuid.UUID
    model: str
    effective_from: date
    input_per_mtok: Decimal
    cached_input_per_mtok: Decimal
    output_per_mtok: Decimal
    reasoning_per_mtok: Decimal | None = None
    service_tier: str = DEFAULT_TIER
    cache_write_per_mtok: Decimal | None = None
    audio_input_per_mtok: Decimal | None = None
    audio_output_per_mtok: Decimal | None = None

    @property
    def rates(self) -> Rates:
        """The rate of each of ``TOKEN_KINDS``; reasoning without a rate of its
        own is output (OpenAI bills it as output)."""
        reasoning = (
            self.output_per_mtok if self.reasoning_per_mtok is None else self.reasoning_per_mtok
        )
        return (
            self.input_per_mtok,
            self.cached_input_per_mtok,
            self.cache_write_per_mtok,
            self.audio_input_per_mtok,
            self.output_per_mtok,
            reasoning,
            self.audio_output_per_mtok,
        )


def token_kinds(
    *,
    prompt_tokens: int,
    cached_tokens: int,
    completion_tokens: int,
    reasoning_tokens: int,
    cache_write_tokens: int = 0,
    audio_prompt_tokens: int = 0,
    audio_completion_tokens: int = 0,
) -> tuple[int, ...]:
    """The call's tokens by ``TOKEN_KINDS``: the parts OpenAI counts inside
    ``prompt_tokens`` and ``completion_tokens`` are taken out of the text rest,
    so each token is counted once."""
    return (
        prompt_tokens - cached_tokens - cache_write_tokens - audio_prompt_tokens,
        cached_tokens,
        cache_write_tokens,
        audio_prompt_tokens,
        completion_tokens - reasoning_tokens - audio_completion_tokens,
        reasoning_tokens,
        audio_completion_tokens,
    )


def kinds_of(call: Call) -> tuple[int, ...]:
    return token_kinds(
        prompt_tokens=call.prompt_tokens,
        cached_tokens=call.cached_tokens,
        completion_tokens=call.completion_tokens,
        reasoning_tokens=call.reasoning_tokens,
        cache_write_tokens=call.cache_write_tokens,
        audio_prompt_tokens=call.audio_prompt_tokens,
        audio_completion_tokens=call.audio_completion_tokens,
    )


def cost_of_kinds(rates: Rates, kinds: tuple[int, ...]) -> Decimal | None:
    """Each kind at its rate, quantized half-even to 1e-10 USD; None when a kind
    with tokens has no rate."""
    per_mtok = Decimal(0)
    for count, rate in zip(kinds, rates, strict=True):
        if not count:
            continue
        if rate is None:
            return None
        per_mtok += count * rate
    return (per_mtok / PER_MTOK).quantize(COST_QUANTUM, rounding=ROUND_HALF_EVEN)


def cost_usd(price: PriceVersion, **tokens: int) -> Decimal | None:
    """Every token kind at its own rate; ``tokens`` are ``token_kinds``'s
    keywords. None when the call used a kind that ``price`` has no rate for."""
    return cost_of_kinds(price.rates, token_kinds(**tokens))


def integer_rates(price: PriceVersion) -> IntegerRates | None:
    """The rates in whole micro-dollars per 1M tokens, or None when a rate is
    finer than that (then the ``Decimal`` arithmetic of ``cost_usd`` prices
    the call)."""
    scaled: list[int] = []
    missing: list[int] = []
    for kind, rate in enumerate(price.rates):
        if rate is None:
            scaled.append(0)
            missing.append(kind)
            continue
        micro = rate * _RATE_SCALE
        if micro != micro.to_integral_value():
            return None
        scaled.append(int(micro))
    return IntegerRates(tuple(scaled), tuple(missing))


def half_even_units(total: int) -> int:
    """``total`` (1e-12 USD, never negative) rounded half-even to 1e-10 USD:
    ``cost_usd``'s quantization, in integers."""
    units, rest = divmod(total, _SUM_PER_UNIT)
    if rest > _SUM_PER_UNIT // 2 or (rest == _SUM_PER_UNIT // 2 and units & 1):
        units += 1
    return units


def integer_cost_units(rates: IntegerRates, kinds: tuple[int, ...]) -> int | None:
    """``cost_of_kinds`` x 10^10, in integers; None when a used kind has no rate.
    The products are summed in C (``map``): this runs once per event."""
    for kind in rates.missing:
        if kinds[kind]:
            return None
    return half_even_units(sum(map(mul, kinds, rates.per_kind)))
