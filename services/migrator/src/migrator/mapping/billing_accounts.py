"""``billingaccounts`` → ``core.billing_accounts``.

``country`` is upper-cased and must then be an ISO 3166 alpha-2 code;
``email`` is normalised like a user's; empty strings mean absent.
"""

import re
from typing import Any, Final

from migrator.mapping.ejson import Unmappable, object_id, text
from migrator.mapping.rows import MappedRow, Ref, created_and_updated, required, row_id
from migrator.mapping.users import normalise_email

_COUNTRY: Final = re.compile(r"^[A-Z]{2}$")


def map_billing_account(legacy_id: str, document: dict[str, Any]) -> MappedRow:
    workspace = required(object_id(document.get("workspaceId"), "workspaceId"), "workspaceId")
    country = (text(document.get("country"), "country") or "").upper() or None
    if country is not None and not _COUNTRY.match(country):
        raise Unmappable(f"country: not a two-letter code: {document.get('country')!r}")
    created_at, updated_at = created_and_updated(legacy_id, document)
    return MappedRow(
        collection="billingaccounts",
        legacy_id=legacy_id,
        id=row_id("billingaccounts", legacy_id),
        values={
            "stripe_customer_id": text(document.get("stripeCustomerId"), "stripeCustomerId")
            or None,
            "email": normalise_email(document.get("email")),
            "country": country,
            "created_at": created_at,
            "updated_at": updated_at,
        },
        refs={"workspace_id": Ref("workspaces", workspace)},
    )
