"""HTTP bodies of knowledge documents and retrieval, and the chunks behind it."""

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


class KnowledgeChunk(BaseModel):
    """A piece of a document as retrieval indexes it (stored, never shown)."""

    id: str
    document_id: str
    workspace_id: str
    ordinal: int
    title: str
    text: str
    # terms drive the index lookup (and are not read back); tf the score
    terms: list[str] = Field(default_factory=list)
    tf: dict[str, int] = Field(default_factory=dict)
    heading_terms: list[str] = Field(default_factory=list)


class RetrievedChunk(BaseModel):
    document_id: str
    title: str
    ordinal: int
    text: str
    score: float


class RetrievedChunks(BaseModel):
    items: list[RetrievedChunk]
