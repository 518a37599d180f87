"""HTTP bodies of the flow builder: drafts and templates.

The admin flow builder's frontend already speaks camelCase here
(``templateId``, see CONTRACT.md), so these models answer in camelCase and
accept either spelling.
"""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from feature_api.models.graph import MAX_EDGES, MAX_NODES, FlowEdge, FlowNode


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class FlowDraftIn(CamelModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    nodes: list[FlowNode] = Field(default_factory=list, max_length=MAX_NODES)
    edges: list[FlowEdge] = Field(default_factory=list, max_length=MAX_EDGES)
    template_id: str | None = Field(default=None, max_length=100)


class FlowDraft(FlowDraftIn):
    model_config = ConfigDict(extra="ignore")

    id: str
    workspace_id: uuid.UUID | None = None
    version: int
    published_at: datetime | None = None
    published_version: int | None = None
    created_at: datetime
    updated_at: datetime


class FlowTemplate(CamelModel):
    id: str
    workspace_id: uuid.UUID | None = None
    name: str
    description: str = ""
    nodes: list[FlowNode]
    edges: list[FlowEdge]
    version: int
    origin_draft_id: str | None = None
    created_at: datetime
    updated_at: datetime


class PublishResult(CamelModel):
    template: FlowTemplate
    draft: FlowDraft
    created_template: bool
