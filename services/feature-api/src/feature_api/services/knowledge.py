"""Knowledge documents of a workspace, chunked on every write."""

import uuid

from feature_api.database import FeatureDatabase, new_id, new_record, now
from feature_api.models.knowledge import (
    KnowledgeDocument,
    KnowledgeDocumentIn,
    RetrievedChunks,
)
from feature_api.repositories import knowledge as repo
from feature_api.services.access import found, workspace_access
from feature_api.services.resources import WorkspaceResources
from feature_api.services.retrieval import chunk_documents, retrieve_knowledge
from sendfx_shared.auth import Principal
from sendfx_shared.events import feature as fe


def _changed(document: KnowledgeDocument) -> fe.KnowledgeDocumentChanged:
    return fe.KnowledgeDocumentChanged(
        document_id=document.id,
        workspace_id=document.workspace_id,
        title=document.title,
        tags=document.tags,
        chunk_count=document.chunk_count,
        version=document.version,
    )


DOCUMENTS = WorkspaceResources(
    "knowledge document",
    repo.get_document,
    repo.list_documents,
    repo.delete_document,
    fe.KNOWLEDGE_DOCUMENT_DELETED,
    _changed,
)


async def add_document(
    database: FeatureDatabase,
    principal: Principal,
    workspace_id: uuid.UUID,
    body: KnowledgeDocumentIn,
    words_per_chunk: int,
) -> KnowledgeDocument:
    wid = await workspace_access(database.db, principal, workspace_id)
    document_id = new_id()
    chunks = chunk_documents(document_id, wid, body.title, body.tags, body.text, words_per_chunk)
    document = new_record(
        KnowledgeDocument,
        id=document_id,
        **body.model_dump(),
        workspace_id=wid,
        chunk_count=len(chunks),
        version=1,
    )
    async for uow in database.units():
        async with uow:
            await repo.insert_document(uow, document, str(principal.user_id), chunks)
            uow.emit(fe.KNOWLEDGE_DOCUMENT_CREATED, key=document_id, data=_changed(document))
    return document


async def replace_document(
    database: FeatureDatabase,
    principal: Principal,
    document_id: str,
    body: KnowledgeDocumentIn,
    words_per_chunk: int,
) -> KnowledgeDocument:
    current = await DOCUMENTS.accessible(database, principal, document_id)
    wid = str(current.workspace_id)
    chunks = chunk_documents(document_id, wid, body.title, body.tags, body.text, words_per_chunk)
    async for uow in database.units():
        async with uow:
            replaced = await repo.replace_document(uow, document_id, body, chunks, now())
            updated = found(replaced, "knowledge document")
            uow.emit(fe.KNOWLEDGE_DOCUMENT_UPDATED, key=document_id, data=_changed(updated))
    return updated


async def search(
    database: FeatureDatabase,
    principal: Principal,
    workspace_id: uuid.UUID,
    query: str,
    limit: int,
) -> RetrievedChunks:
    wid = await workspace_access(database.db, principal, workspace_id)
    return RetrievedChunks(items=await retrieve_knowledge(database.db, wid, query, limit))
