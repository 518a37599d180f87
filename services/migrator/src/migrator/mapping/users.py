"""``users`` → ``core.users``.

- email trimmed and lower-cased; the row id derives from it, so accounts
  differing only in case merge into one row carrying the oldest account's
  fields (the load keeps every legacy id as an alias, so references to a
  merged account point at the surviving row, and reports the merge);
- ``passwordHash`` is kept as it is (core-api accepts the old bcrypt hashes
  and re-hashes them at first login); a user without one is rejected;
- an unknown ``role`` becomes ``user`` (least privilege) and is noted;
- ``isActive`` defaults to true.
"""

import re
from typing import Any, Final

from migrator.mapping.ejson import Unmappable, boolean, text
from migrator.mapping.rows import (
    MappedRow,
    created_and_updated,
    role_or_least_privilege,
    user_id_for_email,
)

ROLES: Final = frozenset({"user", "admin"})
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+$")


def normalise_email(value: Any, field_name: str = "email") -> str | None:
    email = text(value, field_name)
    if not email:
        return None
    email = email.lower()
    if not _EMAIL.match(email):
        raise Unmappable(f"{field_name}: not an email address: {value!r}")
    return email


def map_user(legacy_id: str, document: dict[str, Any]) -> MappedRow:
    email = normalise_email(document.get("email"))
    if email is None:
        raise Unmappable("email: missing")
    password_hash = text(document.get("passwordHash"), "passwordHash")
    if not password_hash:
        raise Unmappable("passwordHash: missing")
    notes: list[str] = []
    role = role_or_least_privilege(document, ROLES, "user", notes)
    created_at, updated_at = created_and_updated(legacy_id, document)
    is_active = boolean(document.get("isActive"), "isActive")
    return MappedRow(
        collection="users",
        legacy_id=legacy_id,
        id=user_id_for_email(email),
        values={
            "email": email,
            "password_hash": password_hash,
            "name": text(document.get("name"), "name") or "",
            "role": role,
            "is_active": True if is_active is None else is_active,
            "created_at": created_at,
            "updated_at": updated_at,
        },
        notes=tuple(notes),
    )
