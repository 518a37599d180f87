"""The ``knowledge_documents`` and ``knowledge_chunks`` collections; documents
as ``KnowledgeDocument`` models, chunks as retrieval builds them."""

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import KNOWLEDGE_CHUNKS, KNOWLEDGE_DOCUMENTS
from feature_api.models.knowledge import KnowledgeChunk, KnowledgeDocument, KnowledgeDocumentIn
from feature_api.repositories.documents import maybe_model, stored_values, to_document, to_model
from feature_api.repositories.paging import page
from feature_api.unit_of_work import Document, UnitOfWork
from sendfx_shared.pagination import Page


async def _put_chunks(uow: UnitOfWork, chunks: list[KnowledgeChunk]) -> None:
    if chunks:
        await uow.db[KNOWLEDGE_CHUNKS].insert_many(
            [to_document(c) for c in chunks], session=uow.session
        )


async def insert_document(
    uow: UnitOfWork, document: KnowledgeDocument, created_by: str, chunks: list[KnowledgeChunk]
) -> None:
    await uow.db[KNOWLEDGE_DOCUMENTS].insert_one(
        to_document(document, created_by=created_by), session=uow.session
    )
    await _put_chunks(uow, chunks)


async def get_document(db: AsyncDatabase[Document], document_id: str) -> KnowledgeDocument | None:
    found = await db[KNOWLEDGE_DOCUMENTS].find_one({"_id": document_id})
    return maybe_model(KnowledgeDocument, found)


async def list_documents(
    db: AsyncDatabase[Document], workspace_id: str, cursor: str | None, limit: int
) -> Page[KnowledgeDocument]:
    return await page(
        KnowledgeDocument, db[KNOWLEDGE_DOCUMENTS], {"workspace_id": workspace_id}, cursor, limit
    )


async def replace_document(
    uow: UnitOfWork,
    document_id: str,
    body: KnowledgeDocumentIn,
    chunks: list[KnowledgeChunk],
    at: datetime,
) -> KnowledgeDocument | None:
    """The document with ``body``, its new chunks and the next version (None: gone)."""
    updated = await uow.db[KNOWLEDGE_DOCUMENTS].find_one_and_update(
        {"_id": document_id},
        {
            "$set": stored_values(body, chunk_count=len(chunks), updated_at=at),
            "$inc": {"version": 1},
        },
        return_document=ReturnDocument.AFTER,
        session=uow.session,
    )
    if updated is None:
        return None
    await uow.db[KNOWLEDGE_CHUNKS].delete_many({"document_id": document_id}, session=uow.session)
    await _put_chunks(uow, chunks)
    return maybe_model(KnowledgeDocument, updated)


async def delete_document(uow: UnitOfWork, document_id: str) -> bool:
    result = await uow.db[KNOWLEDGE_DOCUMENTS].delete_one({"_id": document_id}, session=uow.session)
    await uow.db[KNOWLEDGE_CHUNKS].delete_many({"document_id": document_id}, session=uow.session)
    return result.deleted_count == 1


async def chunks_with_any_term(
    db: AsyncDatabase[Document], workspace_id: str, terms: list[str], limit: int
) -> list[KnowledgeChunk]:
    found = (
        await db[KNOWLEDGE_CHUNKS]
        .find(
            {"workspace_id": workspace_id, "terms": {"$in": terms}},
            {"terms": 0},
            limit=limit,
        )
        .to_list()
    )
    return [to_model(KnowledgeChunk, c) for c in found]
