"""Announcing changes: every event goes through the Mongo outbox, in the
transaction of the change it announces."""

from typing import Any

from pydantic import BaseModel

from feature_api.settings import EVENT_SOURCE
from feature_api.store import Session, Store
from sendfx_shared import topics
from sendfx_shared.events.envelope import CloudEvent, new_event
from sendfx_shared.outbox.mongo import enqueue


async def announce(
    store: Store,
    session: Session,
    *,
    type: str,
    key: str,
    data: BaseModel,
    topic: str = topics.FEATURE_EVENTS,
    subject: str | None = None,
) -> CloudEvent[Any]:
    event = new_event(
        source=EVENT_SOURCE,
        type=type,
        data=data.model_dump(mode="json"),
        subject=subject or key,
    )
    await enqueue(store.db, session, topic=topic, key=key, event=event)
    return event
