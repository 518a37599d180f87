"""A model call's reply and its usage event commit together or not at all."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from feature_api.context import AppContext
from feature_api.openai_client import ModelReply, OpenAIClient
from feature_api.services.model_calls import call_model
from feature_api.store import Session, Store, open_store


@pytest.fixture
async def context(feature_settings: Any) -> AsyncIterator[AppContext]:
    store = open_store(feature_settings.mongo_url, feature_settings.mongo_database)
    openai = OpenAIClient(feature_settings)
    yield AppContext(settings=feature_settings, store=store, openai=openai)
    await openai.close()
    await store.close()


class CrashInsideTheTransaction(Exception):
    pass


async def test_a_failure_after_the_reply_is_written_leaves_neither(
    context: AppContext, workspace: Any
) -> None:
    store: Store = context.store
    marker = f"crash-{workspace.id}"

    async def persist(session: Session, reply: ModelReply) -> None:
        await store.db["agent_runs"].insert_one(
            {"_id": marker, "workspace_id": str(workspace.id), "output": reply.content},
            session=session,
        )
        raise CrashInsideTheTransaction

    with pytest.raises(CrashInsideTheTransaction):
        await call_model(
            context,
            workspace_id=str(workspace.id),
            user_id=workspace.owner.user_id,
            service="ai_agent",
            messages=[{"role": "user", "content": "hello"}],
            persist=persist,
        )
    assert await store.db["agent_runs"].find_one({"_id": marker}) is None
    queued = await store.db["outbox"].count_documents(
        {"topic": "openai.call.completed", "key": str(workspace.id)}
    )
    assert queued == 0


async def test_a_committed_call_queues_exactly_one_usage_event(
    context: AppContext, workspace: Any
) -> None:
    async def persist(session: Session, reply: ModelReply) -> str:
        return reply.content

    content = await call_model(
        context,
        workspace_id=str(workspace.id),
        user_id=workspace.owner.user_id,
        service="assistant",
        messages=[{"role": "user", "content": "count me once"}],
        persist=persist,
    )
    assert content == "Echo: count me once"
    queued = (
        await context.store.db["outbox"]
        .find({"topic": "openai.call.completed", "key": str(workspace.id)})
        .to_list()
    )
    assert len(queued) == 1
