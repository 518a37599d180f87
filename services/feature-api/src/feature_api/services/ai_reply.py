"""AI reply: answer the last message of a conversation with the workspace's
knowledge, and append the answer to the conversation."""

from feature_api.context import AppContext
from feature_api.models.ai import AiReplyOut
from feature_api.models.knowledge import RetrievedChunk
from feature_api.openai_client import Messages, OnDelta
from feature_api.repositories import conversations as conversations_repo
from feature_api.services.conversations import CONVERSATIONS, append
from feature_api.services.model_calls import call_model
from feature_api.services.retrieval import retrieve_knowledge
from sendfx_shared.auth import Principal
from sendfx_shared.problems import ProblemError

SYSTEM_PROMPT = (
    "You answer questions in a customer conversation for this workspace. "
    "Be concise. Prefer the knowledge excerpts below when they are relevant."
)


def knowledge_prompt(base: str, sources: list[RetrievedChunk]) -> str:
    if not sources:
        return base
    excerpts = "\n\n".join(f"[{s.title}]\n{s.text}" for s in sources)
    return f"{base}\n\nKnowledge excerpts:\n{excerpts}"


async def ai_reply(
    ctx: AppContext,
    principal: Principal,
    conversation_id: str,
    *,
    stream: bool,
    on_delta: OnDelta | None = None,
) -> AiReplyOut:
    db = ctx.database.db
    conversation = await CONVERSATIONS.accessible(ctx.database, principal, conversation_id)
    wid = str(conversation.workspace_id)
    history = await conversations_repo.recent_messages(
        db, conversation_id, ctx.settings.ai_history_messages
    )
    question = next((m for m in reversed(history) if m.role == "user"), None)
    if question is None:
        # Answered many times over (regenerated): the question is further back.
        question = await conversations_repo.last_message_by(db, conversation_id, "user")
        if question is None:
            raise ProblemError(
                409, "the conversation has no user message to answer", kind="nothing-to-answer"
            )
        history = [question, *history]
    sources = await retrieve_knowledge(
        db, wid, question.content, ctx.settings.knowledge_context_chunks
    )
    messages: Messages = [{"role": "system", "content": knowledge_prompt(SYSTEM_PROMPT, sources)}]
    messages += [{"role": m.role, "content": m.content} for m in history]
    call = await call_model(
        ctx,
        workspace_id=wid,
        user_id=principal.user_id,
        service="ai_reply",
        messages=messages,
        stream=stream,
        on_delta=on_delta,
    )
    usage = call.usage
    async for uow in ctx.database.units():
        async with uow:
            saved = await append(
                uow,
                conversation,
                role="assistant",
                content=call.reply.content,
                author_id=None,
                usage=usage.model_dump(),
            )
            call.record_usage(uow)
    return AiReplyOut(message=saved, usage=usage, sources=sources)
