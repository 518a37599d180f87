"""The ``knowledge_documents`` and ``knowledge_chunks`` collections."""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.repositories.paging import page
from feature_api.store import KNOWLEDGE_CHUNKS, KNOWLEDGE_DOCUMENTS, Document, Session


async def insert_document(
    db: AsyncDatabase[Document], document: Document, chunks: list[Document], session: Session
) -> None:
    await db[KNOWLEDGE_DOCUMENTS].insert_one(document, session=session)
    if chunks:
        await db[KNOWLEDGE_CHUNKS].insert_many(chunks, session=session)


async def get_document(db: AsyncDatabase[Document], document_id: str) -> Document | None:
    return await db[KNOWLEDGE_DOCUMENTS].find_one({"_id": document_id})


async def list_documents(
    db: AsyncDatabase[Document], workspace_id: str, cursor: str | None, limit: int
) -> tuple[list[Document], str | None]:
    return await page(
        db[KNOWLEDGE_DOCUMENTS],
        {"workspace_id": workspace_id},
        cursor,
        limit,
    )


async def replace_document(
    db: AsyncDatabase[Document],
    document_id: str,
    values: Document,
    chunks: list[Document],
    session: Session,
) -> Document | None:
    updated = await db[KNOWLEDGE_DOCUMENTS].find_one_and_update(
        {"_id": document_id},
        {"$set": values, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    if updated is None:
        return None
    await db[KNOWLEDGE_CHUNKS].delete_many({"document_id": document_id}, session=session)
    if chunks:
        await db[KNOWLEDGE_CHUNKS].insert_many(chunks, session=session)
    return updated


async def delete_document(db: AsyncDatabase[Document], document_id: str, session: Session) -> bool:
    result = await db[KNOWLEDGE_DOCUMENTS].delete_one({"_id": document_id}, session=session)
    await db[KNOWLEDGE_CHUNKS].delete_many({"document_id": document_id}, session=session)
    return result.deleted_count == 1


async def chunks_with_any_term(
    db: AsyncDatabase[Document], workspace_id: str, terms: list[str], limit: int
) -> list[Document]:
    return (
        await db[KNOWLEDGE_CHUNKS]
        .find(
            {"workspace_id": workspace_id, "terms": {"$in": terms}},
            {"terms": 0},
            limit=limit,
        )
        .to_list()
    )
