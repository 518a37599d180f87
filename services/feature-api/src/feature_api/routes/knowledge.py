"""Knowledge: /api/workspaces/{wid}/knowledge (+ /search) and /api/knowledge/{id}."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from feature_api.models.knowledge import KnowledgeDocument, KnowledgeDocumentIn, RetrievedChunks
from feature_api.routes.deps import Database, Settings
from feature_api.routes.problems_doc import SIGNED_IN
from feature_api.services import knowledge
from sendfx_shared.auth import CurrentPrincipal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(tags=["knowledge"], responses=SIGNED_IN)


@router.get("/api/workspaces/{workspace_id}/knowledge")
async def list_documents(
    workspace_id: uuid.UUID,
    database: Database,
    principal: CurrentPrincipal,
    page: Paging,
) -> Page[KnowledgeDocument]:
    return await knowledge.DOCUMENTS.list(database, principal, workspace_id, page)


@router.post("/api/workspaces/{workspace_id}/knowledge", status_code=201)
async def add_document(
    workspace_id: uuid.UUID,
    body: KnowledgeDocumentIn,
    database: Database,
    settings: Settings,
    principal: CurrentPrincipal,
) -> KnowledgeDocument:
    return await knowledge.add_document(
        database, principal, workspace_id, body, settings.knowledge_chunk_words
    )


@router.get("/api/workspaces/{workspace_id}/knowledge/search")
async def search_knowledge(
    workspace_id: uuid.UUID,
    database: Database,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> RetrievedChunks:
    return await knowledge.search(database, principal, workspace_id, q, limit)


@router.get("/api/knowledge/{document_id}")
async def get_document(
    document_id: str, database: Database, principal: CurrentPrincipal
) -> KnowledgeDocument:
    return await knowledge.DOCUMENTS.get(database, principal, document_id)


@router.put("/api/knowledge/{document_id}")
async def replace_document(
    document_id: str,
    body: KnowledgeDocumentIn,
    database: Database,
    settings: Settings,
    principal: CurrentPrincipal,
) -> KnowledgeDocument:
    return await knowledge.replace_document(
        database, principal, document_id, body, settings.knowledge_chunk_words
    )


@router.delete("/api/knowledge/{document_id}", status_code=204)
async def delete_document(
    document_id: str, database: Database, principal: CurrentPrincipal
) -> Response:
    await knowledge.DOCUMENTS.delete(database, principal, document_id)
    return Response(status_code=204)
