"""Admission control on real servers: AI calls reserve what they may use
before they start, so a tiny tier is never overrun, not by back-to-back calls
and not by a burst of concurrent ones; the tier's model list and the prompt
cap refuse a call before anything is spent."""

import asyncio
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import now
from feature_api.services.quota import period_of

Document = dict[str, Any]


def _chat(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


async def _ledger(db: AsyncDatabase[Document], workspace: Any) -> Document:
    found = await db["ai_spend"].find_one({"_id": f"{workspace.id}:{period_of(now())}"})
    assert found is not None
    return found


async def _on_tier(make_workspace: Any, limit: int) -> tuple[Any, str]:
    workspace = await make_workspace(tier_code="tiny", ai_tokens_monthly=limit)
    return workspace, f"/api/workspaces/{workspace.id}/assistant/chat"


async def test_twelve_concurrent_calls_on_a_tiny_tier_stay_within_its_limit(
    http: httpx.AsyncClient, db: AsyncDatabase[Document], make_workspace: Any
) -> None:
    limit = 300
    workspace, url = await _on_tier(make_workspace, limit)
    text = "please answer with a long reply about " + "spend " * 40
    answers = await asyncio.gather(
        *(http.post(url, json=_chat(text), headers=workspace.owner.headers) for _ in range(12))
    )
    statuses = sorted(a.status_code for a in answers)
    admitted = [a.json() for a in answers if a.status_code == 201]
    refused = [a.json() for a in answers if a.status_code == 402]
    assert admitted and refused and len(admitted) + len(refused) == 12, statuses
    assert all(p["type"].endswith("/ai-quota-exhausted") for p in refused)
    spent = sum(a["usage"]["total_tokens"] for a in admitted)
    assert spent <= limit
    ledger = await _ledger(db, workspace)
    # Settled with the real usage: nothing stays reserved, nothing is lost.
    assert ledger["used"] == spent and ledger["reserved"] == 0 and ledger["committed"] == spent


async def test_back_to_back_calls_stop_at_the_limit_not_after_it(
    http: httpx.AsyncClient, db: AsyncDatabase[Document], make_workspace: Any
) -> None:
    limit = 500
    workspace, url = await _on_tier(make_workspace, limit)
    spent, answers = 0, 0
    for _ in range(40):
        answer = await http.post(
            url, json=_chat("tell me more " * 10), headers=workspace.owner.headers
        )
        if answer.status_code == 402:
            break
        assert answer.status_code == 201, answer.text
        spent += answer.json()["usage"]["total_tokens"]
        answers += 1
    else:
        raise AssertionError("40 calls on a 500-token tier were all admitted")
    assert answers >= 2 and spent <= limit
    problem = answer.json()
    assert problem["limit"] == limit and problem["remaining"] == limit - spent
    assert (await _ledger(db, workspace))["used"] == spent


async def test_the_answer_is_capped_by_the_budget_left(
    http: httpx.AsyncClient, make_workspace: Any
) -> None:
    # The prompt is estimated at about 150 tokens: some 40 are left for the answer.
    workspace = await make_workspace(tier_code="tiny", ai_tokens_monthly=190)
    text = "word " * 60  # the fake echoes it: 61 completion tokens uncapped
    answer = await http.post(
        f"/api/workspaces/{workspace.id}/assistant/chat",
        json=_chat(text),
        headers=workspace.owner.headers,
    )
    assert answer.status_code == 201, answer.text
    usage = answer.json()["usage"]
    assert usage["total_tokens"] <= 190 and usage["completion_tokens"] < 61


async def test_a_model_the_tier_does_not_list_is_refused_before_any_call(
    http: httpx.AsyncClient, db: AsyncDatabase[Document], make_workspace: Any
) -> None:
    workspace = await make_workspace(models=["gpt-4o-mini"])
    base = f"/api/workspaces/{workspace.id}/assistant"
    put = await http.put(base, json={"model": "gpt-4o"}, headers=workspace.owner.headers)
    assert put.status_code == 200, put.text
    refused = await http.post(f"{base}/chat", json=_chat("hi"), headers=workspace.owner.headers)
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["type"].endswith("/model-not-allowed")
    assert problem["allowed_models"] == ["gpt-4o-mini"] and "gpt-4o" in problem["detail"]
    await http.put(base, json={"model": "gpt-4o-mini"}, headers=workspace.owner.headers)
    allowed = await http.post(f"{base}/chat", json=_chat("hi"), headers=workspace.owner.headers)
    assert allowed.status_code == 201
    assert allowed.json()["usage"]["model"].startswith("gpt-4o-mini")


async def test_a_prompt_over_the_cap_gets_a_clear_problem(
    http: httpx.AsyncClient, db: AsyncDatabase[Document], make_workspace: Any
) -> None:
    workspace = await make_workspace()
    turns = [{"role": "user", "content": "many words here " * 1200} for _ in range(4)]
    answer = await http.post(
        f"/api/workspaces/{workspace.id}/assistant/chat",
        json={"messages": turns},
        headers=workspace.owner.headers,
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"].endswith("/prompt-too-large")
    assert problem["prompt_tokens"] > problem["max_prompt_tokens"]
    found = await db["ai_spend"].find_one({"_id": f"{workspace.id}:{period_of(now())}"})
    assert found is None  # nothing reserved, nothing spent


async def test_a_failed_call_settles_its_reservation(
    http: httpx.AsyncClient, db: AsyncDatabase[Document], make_workspace: Any
) -> None:
    workspace = await make_workspace(tier_code="tiny", ai_tokens_monthly=5000)
    url = f"/api/workspaces/{workspace.id}/assistant/chat"
    refused = await http.post(
        url,
        json=_chat("one two three four five six [[fault:error-500]]"),
        headers=workspace.owner.headers,
    )
    assert refused.status_code == 502
    after_error = await _ledger(db, workspace)
    # Nothing was spent: the whole reservation is given back.
    assert after_error["reserved"] == 0 and after_error["used"] == 0
    cut = await http.post(
        url,
        json={**_chat("one two three four five six [[fault:cut-stream]]"), "stream": True},
        headers=workspace.owner.headers,
    )
    assert cut.status_code == 502
    after_cut = await _ledger(db, workspace)
    # A cut stream spent tokens: counted (prompt estimate plus what streamed).
    assert after_cut["reserved"] == 0 and 0 < after_cut["used"] < 5000
