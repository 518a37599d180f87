"""HTTP bodies of knowledge documents and retrieval."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, strip_whitespace=True)]


class KnowledgeDocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=200_000)
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class KnowledgeDocument(KnowledgeDocumentIn):
    model_config = ConfigDict(extra="ignore")

    id: str
    workspace_id: uuid.UUID
    chunk_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class RetrievedChunk(BaseModel):
    document_id: str
    title: str
    ordinal: int
    text: str
    score: float


class RetrievedChunks(BaseModel):
    items: list[RetrievedChunk]
