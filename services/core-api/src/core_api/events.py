"""How core-api announces a change: ``emit`` writes the event to core-api's own
outbox in the caller's transaction. Every type and payload it publishes is in
``sendfx_shared.events.core``."""

import uuid
from typing import Final

from pydantic import BaseModel

from core_api.db import Db
from core_api.published import record_emitted
from sendfx_shared.events.core import CORE_API_SOURCE
from sendfx_shared.events.envelope import new_event
from sendfx_shared.outbox.postgres import PostgresOutbox, enqueue
from sendfx_shared.topics import CORE_EVENTS

# core-api's own outbox (0001_core_schema.sql), relayed by core-api only.
CORE_API_OUTBOX: Final = PostgresOutbox(
    table="core.outbox", dead_table="core.outbox_dead", channel="core_outbox", lock_key=0x4F555442
)


async def emit(connection: Db, event_type: str, key: uuid.UUID, data: BaseModel) -> None:
    """Write the event to the outbox, in the caller's transaction; keyed by the
    aggregate id (the workspace for anything scoped to one)."""
    event = new_event(source=CORE_API_SOURCE, type=event_type, data=data, subject=str(key))
    row_id = await enqueue(
        connection, CORE_API_OUTBOX, topic=CORE_EVENTS, key=str(key), event=event
    )
    record_emitted(row_id)
