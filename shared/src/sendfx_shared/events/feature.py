"""Data of the ``feature.events`` topic: what feature-api announces.

Keyed by the aggregate id. Each event carries the ids a consumer needs to
find the aggregate and a little of its state; the aggregate itself stays in
feature-api's store. ``workspace_id`` is ``None`` for global (admin-built)
flow templates and drafts.
"""

import uuid
from typing import Final

from pydantic import Field

from sendfx_shared.events.envelope import EventData

# feature-api publishes feature.events and openai.call.completed under it.
FEATURE_API_SOURCE: Final = "/sendfx/feature-api"

FLOW_CREATED: Final = "flow.created"
FLOW_UPDATED: Final = "flow.updated"
FLOW_DELETED: Final = "flow.deleted"
FLOW_TEMPLATE_CREATED: Final = "flow_template.created"
FLOW_TEMPLATE_VERSION_PUBLISHED: Final = "flow_template.version_published"
FLOW_DRAFT_CREATED: Final = "flow_draft.created"
FLOW_DRAFT_UPDATED: Final = "flow_draft.updated"
FLOW_DRAFT_DELETED: Final = "flow_draft.deleted"
FLOW_DRAFT_PUBLISHED: Final = "flow_draft.published"
CONVERSATION_CREATED: Final = "conversation.created"
CONVERSATION_DELETED: Final = "conversation.deleted"
CONVERSATION_MESSAGE_ADDED: Final = "conversation.message_added"
KNOWLEDGE_DOCUMENT_CREATED: Final = "knowledge.document_created"
KNOWLEDGE_DOCUMENT_UPDATED: Final = "knowledge.document_updated"
KNOWLEDGE_DOCUMENT_DELETED: Final = "knowledge.document_deleted"


class FlowChanged(EventData):
    flow_id: str
    workspace_id: uuid.UUID
    name: str
    node_count: int = Field(ge=0)
    edge_count: int = Field(ge=0)
    version: int = Field(ge=1, description="monotonic per flow; orders replays")


class FlowTemplateChanged(EventData):
    template_id: str
    workspace_id: uuid.UUID | None = None
    name: str
    version: int = Field(ge=1)
    draft_id: str | None = None


class FlowDraftChanged(EventData):
    draft_id: str
    workspace_id: uuid.UUID | None = None
    name: str
    template_id: str | None = None
    version: int = Field(ge=1)


class ConversationChanged(EventData):
    conversation_id: str
    workspace_id: uuid.UUID
    title: str


class ConversationMessageAdded(EventData):
    conversation_id: str
    workspace_id: uuid.UUID
    message_id: str
    seq: int = Field(ge=1)
    role: str


class KnowledgeDocumentChanged(EventData):
    document_id: str
    workspace_id: uuid.UUID
    title: str
    tags: list[str] = []
    chunk_count: int = Field(ge=0)
    version: int = Field(ge=1)
