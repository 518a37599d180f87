"""The ``flows`` collection, as ``Flow`` models."""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import FLOWS
from feature_api.models.flows import Flow, FlowIn
from feature_api.repositories.documents import maybe_model, stored_values, to_document
from feature_api.repositories.paging import page
from feature_api.unit_of_work import Document, UnitOfWork
from sendfx_shared.pagination import Page


async def insert(uow: UnitOfWork, flow: Flow) -> None:
    await uow.db[FLOWS].insert_one(to_document(flow), session=uow.session)


async def get(db: AsyncDatabase[Document], flow_id: str) -> Flow | None:
    return maybe_model(Flow, await db[FLOWS].find_one({"_id": flow_id}))


async def count(db: AsyncDatabase[Document], workspace_id: str) -> int:
    return await db[FLOWS].count_documents({"workspace_id": workspace_id})


async def list_page(
    db: AsyncDatabase[Document], workspace_id: str, cursor: str | None, limit: int
) -> Page[Flow]:
    return await page(Flow, db[FLOWS], {"workspace_id": workspace_id}, cursor, limit)


async def update(uow: UnitOfWork, flow_id: str, body: FlowIn, at: object) -> Flow | None:
    """The flow with ``body``'s graph and the next version (None: it is gone)."""
    updated = await uow.db[FLOWS].find_one_and_update(
        {"_id": flow_id},
        {"$set": stored_values(body, updated_at=at), "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=uow.session,
    )
    return maybe_model(Flow, updated)


async def delete(uow: UnitOfWork, flow_id: str) -> bool:
    result = await uow.db[FLOWS].delete_one({"_id": flow_id}, session=uow.session)
    return result.deleted_count == 1
