"""``tiers`` → ``core.tiers``.

``code`` is lower-cased (spaces become dashes) and must then be a valid code;
``priceMonthly`` is USD rounded to cents; ``limits`` counts are whole,
non-negative numbers or absent (unlimited). Negative prices or limits are
rejected rather than guessed. The row id comes from the code: tiers coded
alike merge into the oldest (see ``tier_id_for_code``).
"""

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from migrator.mapping.ejson import Unmappable, boolean, decimal, integer, text
from migrator.mapping.rows import MappedRow, created_and_updated, tier_id_for_code

_CODE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CENT: Final = Decimal("0.01")
_MAX_PRICE: Final = Decimal("9999999999.99")
_MAX_INT32: Final = 2**31 - 1
_MAX_INT64: Final = 2**63 - 1


def _limit(limits: dict[str, Any], key: str, ceiling: int) -> int | None:
    value = integer(limits.get(key), f"limits.{key}")
    if value is not None and not 0 <= value <= ceiling:
        raise Unmappable(f"limits.{key}: out of range: {value}")
    return value


def map_tier(legacy_id: str, document: dict[str, Any]) -> MappedRow:
    code = (text(document.get("code"), "code") or "").lower().replace(" ", "-")
    if not _CODE.match(code):
        raise Unmappable(f"code: missing or invalid: {document.get('code')!r}")
    price = decimal(document.get("priceMonthly"), "priceMonthly") or Decimal(0)
    price = price.quantize(_CENT, rounding=ROUND_HALF_UP)
    if not Decimal(0) <= price <= _MAX_PRICE:
        raise Unmappable(f"priceMonthly: out of range: {price}")
    limits = document.get("limits") or {}
    if not isinstance(limits, dict):
        raise Unmappable(f"limits: not an object: {limits!r}")
    created_at, updated_at = created_and_updated(legacy_id, document)
    is_active = boolean(document.get("isActive"), "isActive")
    return MappedRow(
        collection="tiers",
        legacy_id=legacy_id,
        id=tier_id_for_code(code),
        values={
            "code": code,
            "name": text(document.get("name"), "name") or code,
            "price_monthly": price,
            "ai_tokens_monthly": _limit(limits, "aiTokensMonthly", _MAX_INT64),
            "flows": _limit(limits, "flows", _MAX_INT32),
            "members": _limit(limits, "members", _MAX_INT32),
            "is_active": True if is_active is None else is_active,
            "created_at": created_at,
            "updated_at": updated_at,
        },
    )
