"""Knowledge documents: chunked on write, retrieved by keyword score."""

from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from feature_api.services.retrieval import chunk_text, terms_of


@given(
    words=st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=6), max_size=400),
    size=st.integers(min_value=21, max_value=150),
)
def test_chunks_cover_every_word_and_stay_small(words: list[str], size: int) -> None:
    chunks = chunk_text(" ".join(words), size)
    assert all(len(c.split()) <= size for c in chunks)
    covered = [w for c in chunks for w in c.split()]
    assert set(covered) == set(words)
    if words:
        assert chunks[0].split()[0] == words[0] and chunks[-1].split()[-1] == words[-1]


def test_terms_drop_stopwords_and_case() -> None:
    assert terms_of("How do I reset THE Password?") == ["reset", "password"]


async def test_documents_are_chunked_and_retrieved_best_first(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    base = f"/api/workspaces/{workspace.id}/knowledge"
    h = workspace.owner.headers
    long_text = " ".join(f"filler{n}" for n in range(300)) + " the password reset link expires"
    docs = [
        {
            "title": "Password reset",
            "text": "To reset a password open the reset link we email.",
            "tags": ["account"],
        },
        {"title": "Shipping", "text": "Parcels ship within two days.", "tags": ["orders"]},
        {"title": "Long guide", "text": long_text, "tags": []},
    ]
    made = []
    for doc in docs:
        response = await http.post(base, json=doc, headers=h)
        assert response.status_code == 201, response.text
        made.append(response.json())
    assert made[2]["chunk_count"] > 1 and made[0]["chunk_count"] == 1

    found = await http.get(f"{base}/search", params={"q": "how to reset my password"}, headers=h)
    titles = [c["title"] for c in found.json()["items"]]
    assert titles[0] == "Password reset"
    assert "Shipping" not in titles
    assert "Long guide" in titles

    listed = await http.get(base, headers=h)
    assert [d["title"] for d in listed.json()["items"]] == [d["title"] for d in docs]

    replaced = await http.put(
        f"/api/knowledge/{made[1]['id']}",
        json={"title": "Shipping", "text": "Parcels and password tips.", "tags": []},
        headers=h,
    )
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    found = await http.get(f"{base}/search", params={"q": "parcels"}, headers=h)
    assert [c["text"] for c in found.json()["items"]] == ["Parcels and password tips."]

    assert (await http.delete(f"/api/knowledge/{made[1]['id']}", headers=h)).status_code == 204
    found = await http.get(f"{base}/search", params={"q": "parcels"}, headers=h)
    assert found.json()["items"] == []


async def test_knowledge_is_private_to_its_workspace(
    http: httpx.AsyncClient, workspace: Any, make_workspace: Any
) -> None:
    h = workspace.owner.headers
    doc = await http.post(
        f"/api/workspaces/{workspace.id}/knowledge",
        json={"title": "Secret", "text": "the vault code is hidden"},
        headers=h,
    )
    doc_id = doc.json()["id"]
    other = await make_workspace()
    o = other.owner.headers
    theirs = await http.get(
        f"/api/workspaces/{other.id}/knowledge/search", params={"q": "vault"}, headers=o
    )
    assert theirs.json()["items"] == []
    mine = f"/api/workspaces/{workspace.id}/knowledge"
    assert (await http.get(mine, headers=o)).status_code == 404
    assert (await http.post(mine, json={"title": "x", "text": "y"}, headers=o)).status_code == 404
    assert (await http.get(f"{mine}/search", params={"q": "vault"}, headers=o)).status_code == 404
    assert (await http.get(f"/api/knowledge/{doc_id}", headers=o)).status_code == 404
    assert (
        await http.put(f"/api/knowledge/{doc_id}", json={"title": "x", "text": "y"}, headers=o)
    ).status_code == 404
    assert (await http.delete(f"/api/knowledge/{doc_id}", headers=o)).status_code == 404


async def test_invalid_documents_are_refused(http: httpx.AsyncClient, workspace: Any) -> None:
    response = await http.post(
        f"/api/workspaces/{workspace.id}/knowledge",
        json={"title": "", "text": "x", "tags": ["a" * 80]},
        headers=workspace.owner.headers,
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"title", "tags.0"}
