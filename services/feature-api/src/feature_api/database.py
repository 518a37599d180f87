"""The feature database: the client, the collections and their indexes, ids
and the clock. ``FeatureDatabase.db`` is the handle reads go through;
``FeatureDatabase.units()`` hands out the units of work writes go through
(``unit_of_work.py``)."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.unit_of_work import Document, UnitOfWork, attempts
from sendfx_shared.outbox.mongo import ensure_outbox_indexes

M = TypeVar("M", bound=BaseModel)

FLOWS: Final = "flows"
FLOW_TEMPLATES: Final = "flow_templates"
FLOW_TEMPLATE_VERSIONS: Final = "flow_template_versions"
FLOW_DRAFTS: Final = "flow_drafts"
CONVERSATIONS: Final = "conversations"
MESSAGES: Final = "messages"
KNOWLEDGE_DOCUMENTS: Final = "knowledge_documents"
KNOWLEDGE_CHUNKS: Final = "knowledge_chunks"
UI_SETTINGS: Final = "uisettings"
LOG_SETTINGS: Final = "adminlogsettings"
ASSISTANTS: Final = "assistants"
ASSISTANT_CHATS: Final = "assistant_chats"
AGENT_RUNS: Final = "agent_runs"
RM_WORKSPACES: Final = "rm_workspaces"
RM_MEMBERS: Final = "rm_members"
RM_QUOTAS: Final = "rm_quotas"
RM_PROCESSED: Final = "rm_processed_events"
# Per user: active, role and auth version, so a revoked token stops here too.
RM_USERS: Final = "rm_users"
# Each workspace's AI tokens per month, reserved and settled (services/spend.py).
AI_SPEND: Final = "ai_spend"
# Request and AI call rate windows (sendfx_shared.throttle), expired by TTL.
RATE_WINDOWS: Final = "rate_windows"
PROCESSED_EVENTS_KEPT_SECONDS: Final = 30 * 24 * 3600


def new_id() -> str:
    return str(uuid.uuid4())


def new_record(model: type[M], /, *, id: str | None = None, **values: Any) -> M:
    """A new ``model`` with its id and both timestamps set to now."""
    moment = now()
    return model.model_validate(
        {**values, "id": id or new_id(), "created_at": moment, "updated_at": moment}
    )


def now() -> datetime:
    """Now, at the millisecond precision BSON stores (so cursors round-trip)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class FeatureDatabase:
    client: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    # run after every commit: the outbox relay's wake-up, so events leave at once
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def units(self) -> AsyncIterator[UnitOfWork]:
        """Attempts at one transaction: ``async for uow in database.units():
        async with uow: ...`` (a transient conflict runs the block again)."""
        return attempts(self.client, self.db, self.after_commit)

    async def close(self) -> None:
        await self.client.close()


def open_database(mongo_url: str, database: str, **options: Any) -> FeatureDatabase:
    """``options``: PyMongo's, e.g. ``sendfx_shared.mongo.client_options``."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_url, tz_aware=True, uuidRepresentation="standard", **options
    )
    return FeatureDatabase(client=client, db=client[database])


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await ensure_outbox_indexes(db)
    # Lists page on (created_at, _id) within a workspace: with _id in the
    # index a real MongoDB walks it in order and never sorts in memory.
    by_workspace = [("workspace_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]
    for listed in (FLOWS, FLOW_DRAFTS, FLOW_TEMPLATES, CONVERSATIONS, KNOWLEDGE_DOCUMENTS):
        await db[listed].create_index(by_workspace, name="workspace_pages")
    # One template per draft, whatever races: the key behind "publish twice,
    # one template".
    await db[FLOW_TEMPLATES].create_index(
        [("origin_draft_id", ASCENDING)], unique=True, name="one_template_per_draft"
    )
    await db[FLOW_TEMPLATE_VERSIONS].create_index(
        [("template_id", ASCENDING), ("version", ASCENDING)], unique=True
    )
    await db[MESSAGES].create_index(
        [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True
    )
    await db[KNOWLEDGE_CHUNKS].create_index([("workspace_id", ASCENDING), ("terms", ASCENDING)])
    await db[KNOWLEDGE_CHUNKS].create_index([("document_id", ASCENDING)])
    await db[ASSISTANT_CHATS].create_index(
        [("workspace_id", ASCENDING), ("created_at", DESCENDING)]
    )
    await db[AGENT_RUNS].create_index([("workspace_id", ASCENDING), ("created_at", DESCENDING)])
    await db[RATE_WINDOWS].create_index("expires_at", expireAfterSeconds=0)
    # Event ids only need remembering through any redelivery; past that the
    # per-aggregate versions keep a replay from having an effect.
    await db[RM_PROCESSED].create_index(
        [("at", ASCENDING)], expireAfterSeconds=PROCESSED_EVENTS_KEPT_SECONDS
    )
