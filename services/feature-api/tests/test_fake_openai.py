"""The fake OpenAI server, exercised through the real ``openai`` client."""

import httpx
import openai
import pytest
from openai import AsyncOpenAI

from sendfx_dev.fake_openai import ThreadedFakeOpenAI


@pytest.fixture
def client(fake_openai: ThreadedFakeOpenAI) -> AsyncOpenAI:
    return AsyncOpenAI(api_key="sk-test", base_url=fake_openai.base_url, max_retries=0)


async def test_reply_reports_usage_with_cached_and_reasoning_tokens(client: AsyncOpenAI) -> None:
    reply = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello there friend [[cached:5]] [[reasoning:7]]"},
        ],
    )
    assert reply.choices[0].message.content == "Echo: hello there friend"
    assert reply.model == "gpt-4o-mini-2024-07-18"
    usage = reply.usage
    assert usage is not None
    # 2 words + 4, 5 words + 4, priming 3
    assert usage.prompt_tokens == 18
    assert usage.completion_tokens == 4 + 7
    assert usage.total_tokens == 18 + 11
    assert usage.prompt_tokens_details and usage.prompt_tokens_details.cached_tokens == 5
    assert usage.completion_tokens_details
    assert usage.completion_tokens_details.reasoning_tokens == 7


async def test_stream_ends_with_a_usage_chunk(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "one two three four five"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage = "", None
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage is not None:
            usage = chunk.usage
    assert text == "Echo: one two three four five"
    assert usage is not None and usage.completion_tokens == 6 and usage.prompt_tokens == 12


async def test_cut_stream_breaks_before_usage(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "a b c d e f g [[fault:cut-stream]]"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    seen: list[str] = []
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        async for chunk in stream:
            assert chunk.usage is None
            if chunk.choices and chunk.choices[0].delta.content:
                seen.append(chunk.choices[0].delta.content)
    assert len(seen) == 3


async def test_tool_call_when_the_prompt_names_a_tool(client: AsyncOpenAI) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup_order",
                "description": "find an order",
                "parameters": {
                    "type": "object",
                    "properties": {"order_id": {"type": "string"}, "limit": {"type": "integer"}},
                    "required": ["order_id", "limit"],
                },
            },
        }
    ]
    reply = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "please lookup_order 42"}],
        tools=tools,  # type: ignore[arg-type]
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.function.name == "lookup_order"  # type: ignore[union-attr]
    assert '"limit": 1' in call.function.arguments  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("error-500", openai.InternalServerError),
        ("error-429", openai.RateLimitError),
        ("error-400", openai.BadRequestError),
    ],
)
async def test_faults_become_openai_errors(
    client: AsyncOpenAI, fault: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-fake-fault": fault},
        )


async def test_slow_answer_times_out(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi [[fault:slow:3]]"}],
            timeout=0.5,
        )


async def test_flaky_fault_fails_once_then_succeeds(fake_openai: ThreadedFakeOpenAI) -> None:
    retrying = AsyncOpenAI(api_key="sk-test", base_url=fake_openai.base_url, max_retries=1)
    reply = await retrying.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi [[fault:flaky-500]] unique-7d1"}],
    )
    assert reply.choices[0].message.content == "Echo: hi unique-7d1"


async def test_usage_details_and_a_served_tier_other_than_the_requested_one(
    client: AsyncOpenAI,
) -> None:
    text = (
        "hi [[cached:2]] [[cache_write:3]] [[audio_in:10]] [[audio_out:20]] [[served_tier:default]]"
    )
    reply = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}], service_tier="flex"
    )
    usage = reply.usage
    assert reply.service_tier == "default"  # asked for flex, served at default
    assert usage is not None and usage.prompt_tokens_details and usage.completion_tokens_details
    assert usage.prompt_tokens == 6 + 4 + 3 + 10
    assert usage.prompt_tokens_details.cached_tokens == 2
    assert getattr(usage.prompt_tokens_details, "cache_write_tokens", None) == 3
    assert usage.prompt_tokens_details.audio_tokens == 10
    assert usage.completion_tokens_details.audio_tokens == 20
    assert usage.completion_tokens == 2 + 20

    asked = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], service_tier="priority"
    )
    unasked = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert (asked.service_tier, unasked.service_tier) == ("priority", "default")
