"""What the AI services keep: agent runs, assistant chats and configuration."""

from pymongo.asynchronous.database import AsyncDatabase

from feature_api.store import AGENT_RUNS, ASSISTANT_CHATS, ASSISTANTS, Document, Session


async def insert_agent_run(db: AsyncDatabase[Document], run: Document, session: Session) -> None:
    await db[AGENT_RUNS].insert_one(run, session=session)


async def insert_assistant_chat(
    db: AsyncDatabase[Document], chat: Document, session: Session
) -> None:
    await db[ASSISTANT_CHATS].insert_one(chat, session=session)


async def assistant_config(db: AsyncDatabase[Document], workspace_id: str) -> Document | None:
    return await db[ASSISTANTS].find_one({"_id": workspace_id})


async def put_assistant_config(
    db: AsyncDatabase[Document], workspace_id: str, values: Document
) -> None:
    await db[ASSISTANTS].update_one({"_id": workspace_id}, {"$set": values}, upsert=True)
