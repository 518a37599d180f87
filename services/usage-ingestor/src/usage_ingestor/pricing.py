"""Which price applies to a call, and what the call cost.

Prices are USD per 1M tokens, versioned by the date they take effect; the
version in force at ``occurred_at`` applies. A date-suffixed snapshot name
(``gpt-4o-mini-2024-07-18``) uses its family's price (``gpt-4o-mini``) unless
the table has an entry for the exact name. Arithmetic is in ``Decimal``:
a cost is never a float, and a call without a price has no cost (never 0).
"""

import bisect
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

from sendfx_shared.events.openai_usage import OpenAICallCompleted

PER_MTOK: Final = Decimal(1_000_000)
# core.openai_usage.cost_usd is numeric(20, 10).
COST_QUANTUM: Final = Decimal("1e-10")

# A cost in whole units of COST_QUANTUM (1e-10 USD): what the ingestor hands
# PostgreSQL, computed in integers (see PriceBook.cost_units).
COST_UNITS_PER_USD: Final = 10**10
# Rates in table are numeric(12, 6): whole micro-dollars per 1M tokens.
_RATE_SCALE: Final = Decimal(1_000_000)
# sum(tokens x micro-dollar rate) is in 1e-12 USD; a cost unit is 1e-10 USD.
_SUM_PER_UNIT: Final = 100

_MAX_REMEMBERED = 100_000
_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class PriceVersion:
    id: uuid.UUID
    model: str
    effective_from: date
    input_per_mtok: Decimal
    cached_input_per_mtok: Decimal
    output_per_mtok: Decimal
    reasoning_per_mtok: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Priced:
    """What the ingestor stores about a call's price: unpriced calls carry no
    cost and no price version."""

    cost_usd: Decimal | None
    price_id: uuid.UUID | None

    @property
    def unpriced(self) -> bool:
        return self.cost_usd is None


UNPRICED: Final = Priced(None, None)


def family_of(model: str) -> str | None:
    """``gpt-4o-mini-2024-07-18`` → ``gpt-4o-mini``; None for a name without a date suffix."""
    family = _SNAPSHOT_SUFFIX.sub("", model)
    return family if family != model and family else None


def cost_usd(
    price: PriceVersion,
    *,
    prompt_tokens: int,
    cached_tokens: int,
    completion_tokens: int,
    reasoning_tokens: int,
) -> Decimal:
    """Uncached prompt at the input rate + cached at the cached rate + completion at
    the output rate, with
    the reasoning part of the completion at its own rate where one is given."""
    reasoning_rate = (
        price.output_per_mtok if price.reasoning_per_mtok is None else price.reasoning_per_mtok
    )
    per_mtok = (
        (prompt_tokens - cached_tokens) * price.input_per_mtok
        + cached_tokens * price.cached_input_per_mtok
        + (completion_tokens - reasoning_tokens) * price.output_per_mtok
        + reasoning_tokens * reasoning_rate
    )
    return (per_mtok / PER_MTOK).quantize(COST_QUANTUM, rounding=ROUND_HALF_EVEN)


def integer_rates(price: PriceVersion) -> tuple[int, int, int, int] | None:
    """The four rates in whole micro-dollars per 1M tokens (input, cached,
    output, reasoning), or None when a rate is finer than that (then the
    ``Decimal`` arithmetic of ``cost_usd`` prices the call)."""
    reasoning = (
        price.output_per_mtok if price.reasoning_per_mtok is None else price.reasoning_per_mtok
    )
    scaled = [
        rate * _RATE_SCALE
        for rate in (
            price.input_per_mtok,
            price.cached_input_per_mtok,
            price.output_per_mtok,
            reasoning,
        )
    ]
    if any(rate != rate.to_integral_value() for rate in scaled):
        return None
    a, b, c, d = (int(rate) for rate in scaled)
    return a, b, c, d


def _half_even_units(total: int) -> int:
    """``total`` (1e-12 USD, never negative) rounded half-even to 1e-10 USD:
    ``cost_usd``'s quantization, in integers."""
    units, rest = divmod(total, _SUM_PER_UNIT)
    if rest > _SUM_PER_UNIT // 2 or (rest == _SUM_PER_UNIT // 2 and units & 1):
        units += 1
    return units


@dataclass(slots=True)
class PriceBook:
    """Every price version, by model, ordered by the date each takes effect."""

    _versions: dict[str, list[PriceVersion]] = field(default_factory=dict)
    _dates: dict[str, list[date]] = field(default_factory=dict)
    # A book never changes once built (a new one replaces it), so lookups can
    # be remembered: a batch asks about a handful of (model, day) pairs.
    _resolved: dict[tuple[str, date], PriceVersion | None] = field(default_factory=dict)
    _rates: dict[uuid.UUID, tuple[int, int, int, int] | None] = field(default_factory=dict)

    @classmethod
    def of(cls, versions: Iterable[PriceVersion]) -> "PriceBook":
        book = cls()
        by_model: dict[str, list[PriceVersion]] = {}
        for version in versions:
            by_model.setdefault(version.model, []).append(version)
        for model, items in by_model.items():
            items.sort(key=lambda v: v.effective_from)
            book._versions[model] = items
            book._dates[model] = [v.effective_from for v in items]
            for v in items:
                book._rates[v.id] = integer_rates(v)
        return book

    def __len__(self) -> int:
        return sum(len(v) for v in self._versions.values())

    def _in_force(self, model: str, day: date) -> PriceVersion | None:
        dates = self._dates.get(model)
        if not dates:
            return None
        index = bisect.bisect_right(dates, day) - 1
        return self._versions[model][index] if index >= 0 else None

    def price_for(self, model: str, occurred_at: datetime) -> PriceVersion | None:
        """The exact model's version in force at ``occurred_at`` (a UTC day), else
        its family's; None when neither had a price then."""
        day = occurred_at.date() if occurred_at.tzinfo is None else _utc_day(occurred_at)
        try:
            return self._resolved[model, day]
        except KeyError:
            pass
        found = self._in_force(model, day)
        if found is None and (family := family_of(model)) is not None:
            found = self._in_force(family, day)
        if len(self._resolved) < _MAX_REMEMBERED:
            self._resolved[model, day] = found
        return found

    def price_call(self, call: OpenAICallCompleted) -> Priced:
        if call.usage_missing:
            return UNPRICED
        price = self.price_for(call.model, call.occurred_at)
        if price is None:
            return UNPRICED
        return Priced(
            cost_usd(
                price,
                prompt_tokens=call.prompt_tokens,
                cached_tokens=call.cached_tokens,
                completion_tokens=call.completion_tokens,
                reasoning_tokens=call.reasoning_tokens,
            ),
            price.id,
        )

    def cost_units(self, call: OpenAICallCompleted) -> tuple[int | None, uuid.UUID | None]:
        """``price_call`` for the hot path: the cost in units of 1e-10 USD (exactly
        ``cost_usd`` x 10^10), in integer arithmetic instead of ``Decimal``;
        (None, None) for an unpriced call."""
        if call.usage_missing:
            return None, None
        price = self.price_for(call.model, call.occurred_at)
        if price is None:
            return None, None
        rates = self._rates.get(price.id)
        if rates is None:
            cost = self.price_call(call).cost_usd
            assert cost is not None
            return int(cost.scaleb(10)), price.id
        input_rate, cached_rate, output_rate, reasoning_rate = rates
        cached = call.cached_tokens
        reasoning = call.reasoning_tokens
        total = (
            (call.prompt_tokens - cached) * input_rate
            + cached * cached_rate
            + (call.completion_tokens - reasoning) * output_rate
            + reasoning * reasoning_rate
        )
        return _half_even_units(total), price.id


def _utc_day(moment: datetime) -> date:
    offset = moment.utcoffset()
    if not offset:
        return moment.date()
    return (moment.replace(tzinfo=None) - offset).date()
