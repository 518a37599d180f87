"""The ``flow_drafts``, ``flow_templates`` and ``flow_template_versions``
collections. ``workspace_id`` is ``None`` for the global (admin) builder."""

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.repositories.paging import page
from feature_api.store import (
    FLOW_DRAFTS,
    FLOW_TEMPLATE_VERSIONS,
    FLOW_TEMPLATES,
    Document,
    Session,
)

Scope = str | None


async def insert_draft(db: AsyncDatabase[Document], draft: Document, session: Session) -> None:
    await db[FLOW_DRAFTS].insert_one(draft, session=session)


async def get_draft(
    db: AsyncDatabase[Document], scope: Scope, draft_id: str, session: Session | None = None
) -> Document | None:
    return await db[FLOW_DRAFTS].find_one({"_id": draft_id, "workspace_id": scope}, session=session)


async def list_drafts(
    db: AsyncDatabase[Document], scope: Scope, cursor: str | None, limit: int
) -> tuple[list[Document], str | None]:
    return await page(db[FLOW_DRAFTS], {"workspace_id": scope}, cursor, limit)


async def update_draft(
    db: AsyncDatabase[Document],
    scope: Scope,
    draft_id: str,
    values: Document,
    session: Session,
) -> Document | None:
    return await db[FLOW_DRAFTS].find_one_and_update(
        {"_id": draft_id, "workspace_id": scope},
        {"$set": values, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )


async def delete_draft(
    db: AsyncDatabase[Document], scope: Scope, draft_id: str, session: Session
) -> bool:
    result = await db[FLOW_DRAFTS].delete_one(
        {"_id": draft_id, "workspace_id": scope}, session=session
    )
    return result.deleted_count == 1


async def get_template(
    db: AsyncDatabase[Document], scope: Scope, template_id: str, session: Session | None = None
) -> Document | None:
    return await db[FLOW_TEMPLATES].find_one(
        {"_id": template_id, "workspace_id": scope}, session=session
    )


async def template_of_draft(
    db: AsyncDatabase[Document], draft_id: str, session: Session
) -> Document | None:
    return await db[FLOW_TEMPLATES].find_one({"origin_draft_id": draft_id}, session=session)


async def list_templates(
    db: AsyncDatabase[Document], scope: Scope, cursor: str | None, limit: int
) -> tuple[list[Document], str | None]:
    return await page(db[FLOW_TEMPLATES], {"workspace_id": scope}, cursor, limit)


async def insert_template(
    db: AsyncDatabase[Document], template: Document, session: Session
) -> None:
    """Raises DuplicateKeyError when the draft already has its template."""
    await db[FLOW_TEMPLATES].insert_one(template, session=session)


async def next_template_version(
    db: AsyncDatabase[Document],
    scope: Scope,
    template_id: str,
    values: dict[str, Any],
    session: Session,
) -> Document | None:
    return await db[FLOW_TEMPLATES].find_one_and_update(
        {"_id": template_id, "workspace_id": scope},
        {"$set": values, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )


async def insert_template_version(
    db: AsyncDatabase[Document], version: Document, session: Session
) -> None:
    await db[FLOW_TEMPLATE_VERSIONS].insert_one(version, session=session)
