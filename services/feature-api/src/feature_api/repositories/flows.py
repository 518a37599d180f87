"""The ``flows`` collection."""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.repositories.paging import page
from feature_api.store import FLOWS, Document, Session


async def insert(db: AsyncDatabase[Document], flow: Document, session: Session) -> None:
    await db[FLOWS].insert_one(flow, session=session)


async def get(db: AsyncDatabase[Document], flow_id: str) -> Document | None:
    return await db[FLOWS].find_one({"_id": flow_id})


async def list_page(
    db: AsyncDatabase[Document], workspace_id: str, cursor: str | None, limit: int
) -> tuple[list[Document], str | None]:
    return await page(db[FLOWS], {"workspace_id": workspace_id}, cursor, limit)


async def update(
    db: AsyncDatabase[Document], flow_id: str, values: Document, session: Session
) -> Document | None:
    return await db[FLOWS].find_one_and_update(
        {"_id": flow_id},
        {"$set": values, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )


async def delete(db: AsyncDatabase[Document], flow_id: str, session: Session) -> bool:
    result = await db[FLOWS].delete_one({"_id": flow_id}, session=session)
    return result.deleted_count == 1
