"""Knowledge chunking and retrieval.

``retrieve_knowledge`` is the one entry point the AI services use: today a
keyword score over chunks (no text index exists on the local server), later
a vector or Atlas search behind the same signature.
"""

import math
import re
from collections import Counter

from pymongo.asynchronous.database import AsyncDatabase

from feature_api.models.knowledge import KnowledgeChunk, RetrievedChunk
from feature_api.repositories import knowledge as repo
from feature_api.unit_of_work import Document

CANDIDATE_LIMIT = 500
OVERLAP_WORDS = 20
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORD_TEXT = (
    "a an and are as at be but by can do does for from has have how i in is it its "
    "me my no not of on or our so that the their them then there these they this to "
    "was we were what when where which who why will with you your"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def terms_of(text: str) -> list[str]:
    """Lower-cased words minus stopwords and one-letter tokens, in order."""
    return [
        w for w in (m.lower() for m in _WORD.findall(text)) if len(w) > 1 and w not in _STOPWORDS
    ]


def chunk_text(text: str, words_per_chunk: int) -> list[str]:
    """Consecutive windows of ``words_per_chunk`` words, overlapping a little
    so that a sentence cut at a boundary is whole in one of them."""
    words = text.split()
    if not words:
        return []
    step = max(1, words_per_chunk - OVERLAP_WORDS)
    chunks: list[str] = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + words_per_chunk]))
        if start + words_per_chunk >= len(words):
            break
    return chunks


def chunk_documents(
    document_id: str, workspace_id: str, title: str, tags: list[str], text: str, words: int
) -> list[KnowledgeChunk]:
    heading_terms = terms_of(title) + [t.lower() for t in tags]
    chunks: list[KnowledgeChunk] = []
    for ordinal, piece in enumerate(chunk_text(text, words)):
        counts = Counter(terms_of(piece))
        chunks.append(
            KnowledgeChunk(
                id=f"{document_id}:{ordinal}",
                document_id=document_id,
                workspace_id=workspace_id,
                ordinal=ordinal,
                title=title,
                text=piece,
                terms=sorted(set(counts) | set(heading_terms)),
                tf=dict(counts),
                heading_terms=sorted(set(heading_terms)),
            )
        )
    return chunks


def score_chunk(
    query: list[str], chunk: KnowledgeChunk, document_frequency: Counter[str], total: int
) -> float:
    tf = chunk.tf
    heading = set(chunk.heading_terms)
    score = 0.0
    for term in set(query):
        idf = math.log(1 + total / (1 + document_frequency[term]))
        count = tf.get(term, 0)
        if count:
            score += (1 + math.log(count)) * idf
        if term in heading:
            score += 0.5 * idf
    return score


async def retrieve_knowledge(
    db: AsyncDatabase[Document], workspace_id: str, query: str, limit: int = 4
) -> list[RetrievedChunk]:
    """The workspace's chunks that best match ``query``, best first."""
    wanted = list(dict.fromkeys(terms_of(query)))[:32]
    if not wanted:
        return []
    candidates = await repo.chunks_with_any_term(db, workspace_id, wanted, CANDIDATE_LIMIT)
    frequency: Counter[str] = Counter()
    for chunk in candidates:
        present = set(chunk.tf) | set(chunk.heading_terms)
        frequency.update(t for t in wanted if t in present)
    scored = [
        (score_chunk(wanted, chunk, frequency, len(candidates)), chunk) for chunk in candidates
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1].document_id, pair[1].ordinal))
    return [
        RetrievedChunk(
            document_id=chunk.document_id,
            title=chunk.title,
            ordinal=chunk.ordinal,
            text=chunk.text,
            score=round(score, 4),
        )
        for score, chunk in scored[:limit]
        if score > 0
    ]
