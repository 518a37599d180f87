"""The ``flow_drafts``, ``flow_templates`` and ``flow_template_versions``
collections, as ``FlowDraft`` and ``FlowTemplate`` models. ``workspace_id``
is ``None`` for the global (admin) builder."""

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import FLOW_DRAFTS, FLOW_TEMPLATE_VERSIONS, FLOW_TEMPLATES, new_id
from feature_api.models.flow_builder import FlowDraft, FlowDraftIn, FlowTemplate
from feature_api.repositories.documents import maybe_model, stored_values, to_document
from feature_api.repositories.paging import page
from feature_api.unit_of_work import Document, UnitOfWork
from sendfx_shared.pagination import Page

Scope = str | None


async def insert_draft(uow: UnitOfWork, draft: FlowDraft, created_by: str) -> None:
    await uow.db[FLOW_DRAFTS].insert_one(
        to_document(draft, created_by=created_by), session=uow.session
    )


async def get_draft(db: AsyncDatabase[Document], scope: Scope, draft_id: str) -> FlowDraft | None:
    found = await db[FLOW_DRAFTS].find_one({"_id": draft_id, "workspace_id": scope})
    return maybe_model(FlowDraft, found)


async def draft_in(uow: UnitOfWork, scope: Scope, draft_id: str) -> FlowDraft | None:
    """The draft as the transaction of ``uow`` sees it."""
    found = await uow.db[FLOW_DRAFTS].find_one(
        {"_id": draft_id, "workspace_id": scope}, session=uow.session
    )
    return maybe_model(FlowDraft, found)


async def list_drafts(
    db: AsyncDatabase[Document], scope: Scope, cursor: str | None, limit: int
) -> Page[FlowDraft]:
    return await page(FlowDraft, db[FLOW_DRAFTS], {"workspace_id": scope}, cursor, limit)


async def edit_draft(
    uow: UnitOfWork, scope: Scope, draft_id: str, body: FlowDraftIn, at: datetime
) -> FlowDraft | None:
    """The draft with ``body`` and the next version (None: it is gone)."""
    values = stored_values(body, updated_at=at)
    if "template_id" not in body.model_fields_set:
        # An edit that does not mention the template keeps the draft bound.
        del values["template_id"]
    return await _update_draft(uow, scope, draft_id, values)


async def bind_draft(
    uow: UnitOfWork, scope: Scope, draft_id: str, template: FlowTemplate, at: datetime
) -> FlowDraft | None:
    """Record that the draft was published as ``template``'s current version."""
    values = {
        "template_id": template.id,
        "published_at": at,
        "published_version": template.version,
        "updated_at": at,
    }
    return await _update_draft(uow, scope, draft_id, values)


async def _update_draft(
    uow: UnitOfWork, scope: Scope, draft_id: str, values: dict[str, Any]
) -> FlowDraft | None:
    updated = await uow.db[FLOW_DRAFTS].find_one_and_update(
        {"_id": draft_id, "workspace_id": scope},
        {"$set": values, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=uow.session,
    )
    return maybe_model(FlowDraft, updated)


async def delete_draft(uow: UnitOfWork, scope: Scope, draft_id: str) -> bool:
    result = await uow.db[FLOW_DRAFTS].delete_one(
        {"_id": draft_id, "workspace_id": scope}, session=uow.session
    )
    return result.deleted_count == 1


async def get_template(
    db: AsyncDatabase[Document], scope: Scope, template_id: str
) -> FlowTemplate | None:
    found = await db[FLOW_TEMPLATES].find_one({"_id": template_id, "workspace_id": scope})
    return maybe_model(FlowTemplate, found)


async def template_of_draft(uow: UnitOfWork, draft_id: str) -> FlowTemplate | None:
    found = await uow.db[FLOW_TEMPLATES].find_one(
        {"origin_draft_id": draft_id}, session=uow.session
    )
    return maybe_model(FlowTemplate, found)


async def list_templates(
    db: AsyncDatabase[Document], scope: Scope, cursor: str | None, limit: int
) -> Page[FlowTemplate]:
    return await page(FlowTemplate, db[FLOW_TEMPLATES], {"workspace_id": scope}, cursor, limit)


async def insert_template(uow: UnitOfWork, template: FlowTemplate) -> None:
    """Raises DuplicateKeyError when the draft already has its template."""
    await uow.db[FLOW_TEMPLATES].insert_one(to_document(template), session=uow.session)


async def next_template_version(
    uow: UnitOfWork, scope: Scope, template_id: str, draft: FlowDraft, at: datetime
) -> FlowTemplate | None:
    """The template with ``draft``'s graph as its next version (None: it is gone)."""
    updated = await uow.db[FLOW_TEMPLATES].find_one_and_update(
        {"_id": template_id, "workspace_id": scope},
        {"$set": graph_of(draft, at), "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=uow.session,
    )
    return maybe_model(FlowTemplate, updated)


def graph_of(draft: FlowDraft, at: datetime) -> dict[str, Any]:
    """What a publish copies from the draft onto its template."""
    stored = to_document(draft)
    return {
        "name": stored["name"],
        "description": stored.get("description", ""),
        "nodes": stored["nodes"],
        "edges": stored["edges"],
        "updated_at": at,
    }


async def insert_template_version(
    uow: UnitOfWork, template: FlowTemplate, draft_id: str, at: datetime
) -> None:
    """Keep the graph of ``template``'s current version."""
    version = to_document(template)
    await uow.db[FLOW_TEMPLATE_VERSIONS].insert_one(
        {
            "_id": new_id(),
            "template_id": template.id,
            "version": template.version,
            "nodes": version["nodes"],
            "edges": version["edges"],
            "draft_id": draft_id,
            "published_at": at,
        },
        session=uow.session,
    )
