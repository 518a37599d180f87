"""Which price version applies to a call.

A version belongs to a model (or a family) and a served tier and is in force
from its date until the next version of the same (model, tier). A call is
priced by the tier it was billed at (``priced_tier``: ``batch`` for the Batch
API, else the tier the response named), looking first for the exact model,
then its family (``gpt-4o-mini-2024-07-18`` → ``gpt-4o-mini``). A ``flex``
call without a flex version in force uses the ``batch`` version; no other
tier ever falls back, so a call whose tier has no version is unpriced rather
than priced at another tier's rates.
"""

import bisect
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from sendfx_shared.events.openai_usage import BATCH_TIER, DEFAULT_TIER, FLEX_TIER
from usage_ingestor.pricing import (
    Call,
    IntegerRates,
    PriceVersion,
    cost_of_kinds,
    integer_cost_units,
    integer_rates,
    kinds_of,
)

_MAX_REMEMBERED = 100_000
_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")
# The tiers tried, in order, for a call billed at a tier.
_FALLBACK: Final = {FLEX_TIER: (FLEX_TIER, BATCH_TIER)}


def tiers_tried(tier: str) -> tuple[str, ...]:
    return _FALLBACK.get(tier, (tier,))


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


@dataclass(slots=True)
class PriceBook:
    """Every price version, by (model, tier), ordered by the date each takes effect."""

    _versions: dict[tuple[str, str], list[PriceVersion]] = field(default_factory=dict)
    _dates: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    # A book never changes once built (a new one replaces it), so lookups can
    # be remembered: a batch asks about a handful of (model, tier, day) triples.
    _resolved: dict[tuple[str, str, date], PriceVersion | None] = field(default_factory=dict)
    _rates: dict[uuid.UUID, IntegerRates | None] = field(default_factory=dict)

    @classmethod
    def of(cls, versions: Iterable[PriceVersion]) -> "PriceBook":
        book = cls()
        grouped: dict[tuple[str, str], list[PriceVersion]] = {}
        for version in versions:
            grouped.setdefault((version.model, version.service_tier), []).append(version)
        for key, items in grouped.items():
            items.sort(key=lambda v: v.effective_from)
            book._versions[key] = items
            book._dates[key] = [v.effective_from for v in items]
            for v in items:
                book._rates[v.id] = integer_rates(v)
        return book

    def __len__(self) -> int:
        return sum(len(v) for v in self._versions.values())

    def _in_force(self, model: str, tier: str, day: date) -> PriceVersion | None:
        dates = self._dates.get((model, tier))
        if not dates:
            return None
        index = bisect.bisect_right(dates, day) - 1
        return self._versions[model, tier][index] if index >= 0 else None

    def price_for(
        self, model: str, occurred_at: datetime, tier: str = DEFAULT_TIER
    ) -> PriceVersion | None:
        """The version in force at ``occurred_at`` (a UTC day) for the model, else
        its family, at ``tier`` (a flex call: else at batch); None when none was."""
        day = occurred_at.date() if occurred_at.tzinfo is None else utc_day(occurred_at)
        try:
            return self._resolved[model, tier, day]
        except KeyError:
            pass
        family = family_of(model)
        found = None
        for tried in tiers_tried(tier):
            found = self._in_force(model, tried, day)
            if found is None and family is not None:
                found = self._in_force(family, tried, day)
            if found is not None:
                break
        if len(self._resolved) < _MAX_REMEMBERED:
            self._resolved[model, tier, day] = found
        return found

    def price_call(self, call: Call) -> Priced:
        if call.usage_missing:
            return UNPRICED
        price = self.price_for(call.model, call.occurred_at, call.priced_tier)
        if price is None:
            return UNPRICED
        cost = cost_of_kinds(price.rates, kinds_of(call))
        return UNPRICED if cost is None else Priced(cost, price.id)

    def cost_units(self, call: Call) -> tuple[int | None, uuid.UUID | None]:
        """``price_call`` for the hot path: the cost in units of 1e-10 USD (exactly
        ``cost_usd`` x 10^10), in integer arithmetic instead of ``Decimal``;
        (None, None) for an unpriced call."""
        if call.usage_missing:
            return None, None
        price = self.price_for(call.model, call.occurred_at, call.priced_tier)
        if price is None:
            return None, None
        rates = self._rates.get(price.id)
        if rates is None:
            cost = cost_of_kinds(price.rates, kinds_of(call))
            return (None, None) if cost is None else (int(cost.scaleb(10)), price.id)
        units = integer_cost_units(rates, kinds_of(call))
        return (None, None) if units is None else (units, price.id)


def utc_day(moment: datetime) -> date:
    offset = moment.utcoffset()
    if not offset:
        return moment.date()
    return (moment.replace(tzinfo=None) - offset).date()
