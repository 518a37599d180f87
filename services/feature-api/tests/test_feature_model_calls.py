"""A model call's reply and its usage event, in one unit of work, commit together or not."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from feature_api.context import AppContext
from feature_api.database import FeatureDatabase, open_database
from feature_api.openai_client import OpenAIClient
from feature_api.services.model_calls import call_model
from sendfx_shared.events.openai_usage import OpenAICallCompleted


@pytest.fixture
async def context(feature_settings: Any) -> AsyncIterator[AppContext]:
    database = open_database(feature_settings.mongo_url, feature_settings.mongo_database)
    openai = OpenAIClient(feature_settings)
    yield AppContext(settings=feature_settings, database=database, openai=openai)
    await openai.close()
    await database.close()


class CrashInsideTheTransaction(Exception):
    pass


async def test_a_failure_after_the_reply_is_written_leaves_neither(
    context: AppContext, workspace: Any
) -> None:
    database: FeatureDatabase = context.database
    marker = f"crash-{workspace.id}"

    call = await call_model(
        context,
        workspace_id=str(workspace.id),
        user_id=workspace.owner.user_id,
        service="ai_agent",
        messages=[{"role": "user", "content": "hello"}],
    )
    with pytest.raises(CrashInsideTheTransaction):
        async for uow in database.units():
            async with uow:
                await uow.db["agent_runs"].insert_one(
                    {
                        "_id": marker,
                        "workspace_id": str(workspace.id),
                        "output": call.reply.content,
                    },
                    session=uow.session,
                )
                call.record_usage(uow)
                raise CrashInsideTheTransaction
    assert await database.db["agent_runs"].find_one({"_id": marker}) is None
    queued = await database.db["outbox"].count_documents(
        {"topic": "openai.call.completed", "key": str(workspace.id)}
    )
    assert queued == 0


async def test_a_committed_call_queues_exactly_one_usage_event(
    context: AppContext, workspace: Any
) -> None:
    call = await call_model(
        context,
        workspace_id=str(workspace.id),
        user_id=workspace.owner.user_id,
        service="assistant",
        messages=[{"role": "user", "content": "count me once"}],
    )
    async for uow in context.database.units():
        async with uow:
            call.record_usage(uow)
    content = call.reply.content
    assert content == "Echo: count me once"
    queued = (
        await context.database.db["outbox"]
        .find({"topic": "openai.call.completed", "key": str(workspace.id)})
        .to_list()
    )
    assert len(queued) == 1


@pytest.mark.parametrize("stream", [False, True])
async def test_the_usage_event_says_what_the_response_said(
    context: AppContext, workspace: Any, stream: bool
) -> None:
    """The served tier (not the requested one) and the cache-write and audio
    counts of the response's usage details reach openai.call.completed."""
    text = (
        "bill me right [[cached:2]] [[cache_write:3]] [[audio_in:10]] [[audio_out:20]]"
        " [[served_tier:priority]]"
    )
    call = await call_model(
        context,
        workspace_id=str(workspace.id),
        user_id=workspace.owner.user_id,
        service="assistant",
        messages=[{"role": "user", "content": text}],
        stream=stream,
    )
    async for uow in context.database.units():
        async with uow:
            call.record_usage(uow)
    (queued,) = (
        await context.database.db["outbox"]
        .find({"topic": "openai.call.completed", "key": str(workspace.id)})
        .to_list()
    )
    data = OpenAICallCompleted.model_validate(json.loads(queued["event"])["data"])
    assert (data.service_tier, data.batch) == ("priority", False)
    assert (data.cached_tokens, data.cache_write_tokens, data.audio_prompt_tokens) == (2, 3, 10)
    assert data.audio_completion_tokens == 20
    assert data.prompt_tokens == 8 + 4 + 3 + 10
    assert data.completion_tokens == 4 + 20  # "Echo: bill me right" and the audio
