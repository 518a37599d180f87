"""The unit of work: one MongoDB transaction holding the writes of one
operation and the events that announce them.

Repositories write with ``uow`` (its session); the service queues each event
with ``uow.emit``. The events go into the outbox (``sendfx_shared.outbox.mongo``)
just before the commit, in the same transaction, so a change and its events
commit or vanish together.

MongoDB aborts a transaction that collides with another one: the write
that lost fails with ``TransientTransactionError``. Like
``session.with_transaction``, the operation then runs again, so a unit of
work is one attempt, and the block is the loop's body::

    async for uow in database.units():
        async with uow:
            await flows_repo.insert(uow, flow)
            uow.emit(fe.FLOW_CREATED, key=flow.id, data=...)
    return flow

A commit whose outcome is unknown is asked again, as ``with_transaction``
does; unlike it, a commit that fails outright is raised rather than run
again (see ``_commit``).
"""

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal

from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from sendfx_shared import topics
from sendfx_shared.events.envelope import CloudEvent, new_event
from sendfx_shared.events.feature import FEATURE_API_SOURCE
from sendfx_shared.outbox.mongo import enqueue

Document = dict[str, Any]
Session = AsyncClientSession

# with_transaction's bounds: retry for up to two minutes, backing off a little
RETRY_SECONDS: Final = 120.0
_BACKOFF_FIRST, _BACKOFF_MAX = 0.005, 0.5
# its own generator: jitter draws nothing from the process-wide one
_jitter = random.Random()


@dataclass(frozen=True)
class _Queued:
    topic: str
    key: str
    event: CloudEvent[Any]


def _labelled(error: BaseException | None, label: str) -> bool:
    return isinstance(error, PyMongoError) and error.has_error_label(label)


class UnitOfWork:
    """One attempt at one transaction; see the module's docstring."""

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        db: AsyncDatabase[Document],
        after_commit: list[Callable[[], None]],
        deadline: float,
    ) -> None:
        self.db = db
        self._client = client
        self._after_commit = after_commit
        self._deadline = deadline
        self._session: Session | None = None
        self._events: list[_Queued] = []
        self.outcome: Literal["open", "committed", "retry", "failed"] = "open"

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("a unit of work is used inside its `async with` only")
        return self._session

    def emit(
        self,
        event_type: str,
        *,
        key: str,
        data: BaseModel,
        topic: str = topics.FEATURE_EVENTS,
        subject: str | None = None,
    ) -> CloudEvent[Any]:
        """Queue an event, keyed by its aggregate id; it is written at commit."""
        event = new_event(
            source=FEATURE_API_SOURCE,
            type=event_type,
            data=data.model_dump(mode="json"),
            subject=subject or key,
        )
        self._events.append(_Queued(topic, key, event))
        return event

    async def __aenter__(self) -> "UnitOfWork":
        self._session = self._client.start_session()
        await self._session.start_transaction()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        session = self.session
        try:
            if exc is None:
                await self._commit(session)
                self.outcome = "committed"
                for hook in self._after_commit:
                    hook()
                return False
            if session.in_transaction:
                await session.abort_transaction()
            if _labelled(exc, "TransientTransactionError") and time.monotonic() < self._deadline:
                self.outcome = "retry"
                return True
            self.outcome = "failed"
            return False
        finally:
            await session.end_session()

    async def _commit(self, session: Session) -> None:
        """Write the events and commit. A failure here is raised, even a
        transient one: the block may have ``return``-ed already, so running
        it again is no longer possible (write conflicts, the usual transient
        failures, surface at the writes inside the block and are retried)."""
        try:
            for queued in self._events:
                await enqueue(
                    self.db, session, topic=queued.topic, key=queued.key, event=queued.event
                )
            while True:
                try:
                    await session.commit_transaction()
                    return
                except PyMongoError as error:
                    # The commit may have happened: asking again is safe.
                    unknown = _labelled(error, "UnknownTransactionCommitResult")
                    if not unknown or time.monotonic() >= self._deadline:
                        raise
        except BaseException:
            self.outcome = "failed"
            raise


async def attempts(
    client: AsyncMongoClient[Document],
    db: AsyncDatabase[Document],
    after_commit: list[Callable[[], None]],
) -> AsyncIterator[UnitOfWork]:
    """Units of work until one commits (or its block raises)."""
    deadline = time.monotonic() + RETRY_SECONDS
    tried = 0
    while True:
        if tried:
            await asyncio.sleep(_jitter.random() * min(_BACKOFF_FIRST * 1.5**tried, _BACKOFF_MAX))
        tried += 1
        uow = UnitOfWork(client, db, after_commit, deadline)
        yield uow
        if uow.outcome != "retry":
            if uow.outcome == "open":
                raise RuntimeError("a unit of work was handed out but never entered")
            return
