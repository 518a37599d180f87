"""HTTP bodies of conversations and their messages."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=200)


class Conversation(BaseModel):
    id: str
    workspace_id: uuid.UUID
    title: str
    created_by: uuid.UUID | None = None
    message_count: int
    created_at: datetime
    updated_at: datetime


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=20_000)


class Message(BaseModel):
    id: str
    conversation_id: str
    workspace_id: uuid.UUID
    seq: int
    role: Literal["user", "assistant", "system"]
    content: str
    author_id: uuid.UUID | None = None
    usage: dict[str, Any] | None = None
    created_at: datetime
