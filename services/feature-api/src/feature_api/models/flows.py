"""HTTP bodies of flows."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from feature_api.models.graph import MAX_EDGES, MAX_NODES, FlowEdge, FlowNode


class FlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    nodes: list[FlowNode] = Field(default_factory=list, max_length=MAX_NODES)
    edges: list[FlowEdge] = Field(default_factory=list, max_length=MAX_EDGES)


class Flow(FlowIn):
    model_config = ConfigDict(extra="ignore")

    id: str
    workspace_id: uuid.UUID
    version: int
    created_by: uuid.UUID | None = None
    created_at: datetime
    updated_at: datetime
