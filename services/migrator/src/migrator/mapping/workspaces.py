"""``workspaces`` → ``core.workspaces``.

``slug`` is lower-cased (spaces and underscores become dashes); a workspace
without one gets ``<slugified name>-<end of its legacy id>``. A missing name
falls back to the slug. ``ownerId`` and ``tierId`` are optional references;
when present they must resolve, or the workspace is rejected.
"""

import re
from typing import Any, Final

from migrator.mapping.ejson import Unmappable, object_id, text
from migrator.mapping.rows import MappedRow, Ref, created_and_updated, row_id

_SLUG: Final = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def slugify(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def map_workspace(legacy_id: str, document: dict[str, Any]) -> MappedRow:
    notes: list[str] = []
    name = text(document.get("name"), "name") or ""
    slug = (text(document.get("slug"), "slug") or "").lower().replace(" ", "-").replace("_", "-")
    if not slug:
        base = slugify(name) or "workspace"
        slug = f"{base}-{legacy_id[-6:]}"
        notes.append("slug missing, derived from the name")
    if not _SLUG.match(slug):
        raise Unmappable(f"slug: invalid: {document.get('slug')!r}")
    if not name:
        name = slug
        notes.append("name missing, the slug used instead")
    owner = object_id(document.get("ownerId"), "ownerId")
    tier = object_id(document.get("tierId"), "tierId")
    created_at, updated_at = created_and_updated(legacy_id, document)
    return MappedRow(
        collection="workspaces",
        legacy_id=legacy_id,
        id=row_id("workspaces", legacy_id),
        values={"name": name, "slug": slug, "created_at": created_at, "updated_at": updated_at},
        refs={
            "owner_id": Ref("users", owner) if owner else None,
            "tier_id": Ref("tiers", tier) if tier else None,
        },
        notes=tuple(notes),
    )
