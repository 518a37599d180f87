"""HTTP bodies of the AI routes: AI reply, agent runs and the assistant."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from feature_api.models.conversations import Message
from feature_api.models.knowledge import RetrievedChunk


class UsageOut(BaseModel):
    model: str
    request_id: str | None = None
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    total_tokens: int
    usage_missing: bool
    latency_ms: int


class AiReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stream: bool = Field(default=False, description="ask the model for a streamed answer")


class AiReplyOut(BaseModel):
    message: Message
    usage: UsageOut
    sources: list[RetrievedChunk] = Field(default_factory=list)


class AgentTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str = Field(default="", max_length=1000)
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class AgentNodeConfig(BaseModel):
    """What an agent node of a flow declares in its ``data``."""

    model_config = ConfigDict(extra="ignore")

    instructions: str = Field(default="You are a helpful agent.", max_length=20_000)
    tools: list[AgentTool] = Field(default_factory=list, max_length=64)
    model: str | None = Field(default=None, max_length=128)


class AgentRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow_id: str = Field(min_length=1, max_length=100)
    node_id: str = Field(min_length=1, max_length=100)
    input: str = Field(min_length=1, max_length=20_000)
    stream: bool = False


class AgentToolCall(BaseModel):
    id: str
    name: str
    arguments: dict[str, Any]


class AgentRunOut(BaseModel):
    id: str
    workspace_id: uuid.UUID
    flow_id: str
    node_id: str
    output: str
    tool_calls: list[AgentToolCall]
    usage: UsageOut
    created_at: datetime


class AssistantConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Assistant", min_length=1, max_length=100)
    instructions: str = Field(default="You are a helpful assistant.", max_length=20_000)
    model: str | None = Field(default=None, max_length=128)
    use_knowledge: bool = True


class AssistantConfig(AssistantConfigIn):
    model_config = ConfigDict(extra="ignore")

    workspace_id: uuid.UUID
    updated_at: datetime | None = None


class ChatTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=20_000)


class AssistantChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[ChatTurn] = Field(min_length=1, max_length=50)
    stream: bool = False


class AssistantReply(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class AssistantChatOut(BaseModel):
    id: str
    message: AssistantReply
    usage: UsageOut
    sources: list[RetrievedChunk] = Field(default_factory=list)
