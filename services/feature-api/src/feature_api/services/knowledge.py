"""Knowledge documents of a workspace, chunked on every write."""

import uuid

from feature_api.events import announce
from feature_api.models.knowledge import (
    KnowledgeDocument,
    KnowledgeDocumentIn,
    RetrievedChunks,
)
from feature_api.repositories import knowledge as repo
from feature_api.repositories.paging import as_api
from feature_api.services.access import require_access_to, require_workspace
from feature_api.services.retrieval import chunk_documents, retrieve_knowledge
from feature_api.store import Document, Session, Store, new_id, now
from sendfx_shared.auth import Principal
from sendfx_shared.events import feature as fe
from sendfx_shared.pagination import Page
from sendfx_shared.problems import NotFound


def _announcement(document: Document) -> fe.KnowledgeDocumentChanged:
    return fe.KnowledgeDocumentChanged(
        document_id=document["_id"],
        workspace_id=uuid.UUID(document["workspace_id"]),
        title=document["title"],
        tags=document["tags"],
        chunk_count=document["chunk_count"],
        version=document["version"],
    )


async def add_document(
    store: Store,
    principal: Principal,
    workspace_id: uuid.UUID,
    body: KnowledgeDocumentIn,
    words_per_chunk: int,
) -> KnowledgeDocument:
    wid = await require_workspace(store.db, principal, workspace_id)
    document_id = new_id()
    chunks = chunk_documents(document_id, wid, body.title, body.tags, body.text, words_per_chunk)
    moment = now()
    document: Document = {
        "_id": document_id,
        "workspace_id": wid,
        **body.model_dump(),
        "chunk_count": len(chunks),
        "version": 1,
        "created_by": str(principal.user_id),
        "created_at": moment,
        "updated_at": moment,
    }

    async def write(session: Session) -> None:
        await repo.insert_document(store.db, document, chunks, session)
        await announce(
            store,
            session,
            type=fe.KNOWLEDGE_DOCUMENT_CREATED,
            key=document_id,
            data=_announcement(document),
        )

    await store.transaction(write)
    return KnowledgeDocument.model_validate(as_api(document))


async def _accessible(store: Store, principal: Principal, document_id: str) -> Document:
    found = await repo.get_document(store.db, document_id)
    return await require_access_to(store.db, principal, found, "knowledge document")


async def get_document(store: Store, principal: Principal, document_id: str) -> KnowledgeDocument:
    return KnowledgeDocument.model_validate(
        as_api(await _accessible(store, principal, document_id))
    )


async def list_documents(
    store: Store, principal: Principal, workspace_id: uuid.UUID, cursor: str | None, limit: int
) -> Page[KnowledgeDocument]:
    wid = await require_workspace(store.db, principal, workspace_id)
    found, following = await repo.list_documents(store.db, wid, cursor, limit)
    return Page[KnowledgeDocument](
        items=[KnowledgeDocument.model_validate(as_api(d)) for d in found],
        next_cursor=following,
    )


async def replace_document(
    store: Store,
    principal: Principal,
    document_id: str,
    body: KnowledgeDocumentIn,
    words_per_chunk: int,
) -> KnowledgeDocument:
    current = await _accessible(store, principal, document_id)
    wid = current["workspace_id"]
    chunks = chunk_documents(document_id, wid, body.title, body.tags, body.text, words_per_chunk)

    async def write(session: Session) -> Document:
        updated = await repo.replace_document(
            store.db,
            document_id,
            {**body.model_dump(), "chunk_count": len(chunks), "updated_at": now()},
            chunks,
            session,
        )
        if updated is None:
            raise NotFound("knowledge document")
        await announce(
            store,
            session,
            type=fe.KNOWLEDGE_DOCUMENT_UPDATED,
            key=document_id,
            data=_announcement(updated),
        )
        return updated

    return KnowledgeDocument.model_validate(as_api(await store.transaction(write)))


async def delete_document(store: Store, principal: Principal, document_id: str) -> None:
    current = await _accessible(store, principal, document_id)

    async def write(session: Session) -> None:
        if not await repo.delete_document(store.db, document_id, session):
            raise NotFound("knowledge document")
        await announce(
            store,
            session,
            type=fe.KNOWLEDGE_DOCUMENT_DELETED,
            key=document_id,
            data=_announcement(current),
        )

    await store.transaction(write)


async def search(
    store: Store, principal: Principal, workspace_id: uuid.UUID, query: str, limit: int
) -> RetrievedChunks:
    wid = await require_workspace(store.db, principal, workspace_id)
    return RetrievedChunks(items=await retrieve_knowledge(store.db, wid, query, limit))
