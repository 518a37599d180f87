"""The ``core.events`` projection: feature-api's read model of workspaces,
members, subscriptions and quota blocks.

Idempotent twice over: an event whose (source, id) was already applied is
skipped, and every write is guarded by the aggregate's ``version`` (then the
event time), so replays and out-of-order deliveries never move state back.
A message that is not a valid event goes to ``core.events.dlq`` and the
consumer carries on.
"""

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.repositories import read_model
from feature_api.settings import FeatureSettings
from feature_api.store import Document
from sendfx_shared import topics
from sendfx_shared.events.core import (
    SUBSCRIPTION_CANCELED,
    SUBSCRIPTION_CHANGED,
    SUBSCRIPTION_CREATED,
    USAGE_THRESHOLD_CROSSED,
    WORKSPACE_CREATED,
    WORKSPACE_DELETED,
    WORKSPACE_MEMBER_ADDED,
    WORKSPACE_MEMBER_REMOVED,
    WORKSPACE_MEMBER_ROLE_CHANGED,
    WORKSPACE_UPDATED,
    SubscriptionChanged,
    UsageThresholdCrossed,
    WorkspaceChanged,
    WorkspaceMemberChanged,
)
from sendfx_shared.events.envelope import CloudEvent
from sendfx_shared.kafka import make_producer, publish_to_dlq

log = logging.getLogger(__name__)

RawEvent = CloudEvent[dict[str, Any]]
KEPT_TYPES = frozenset(
    {
        WORKSPACE_CREATED,
        WORKSPACE_UPDATED,
        WORKSPACE_DELETED,
        WORKSPACE_MEMBER_ADDED,
        WORKSPACE_MEMBER_ROLE_CHANGED,
        WORKSPACE_MEMBER_REMOVED,
        SUBSCRIPTION_CREATED,
        SUBSCRIPTION_CHANGED,
        SUBSCRIPTION_CANCELED,
        USAGE_THRESHOLD_CROSSED,
    }
)


async def apply_core_event(db: AsyncDatabase[Document], event: RawEvent) -> bool:
    """Apply one event to the read model; False when it had no effect
    (already seen, stale, or of a type feature-api does not keep)."""
    if event.type not in KEPT_TYPES:
        return False
    key = f"{event.source}|{event.id}"
    if await read_model.already_processed(db, key):
        return False
    changed = await _apply(db, event)
    await read_model.mark_processed(db, key, event.time)
    return changed


async def _apply(db: AsyncDatabase[Document], event: RawEvent) -> bool:
    kind, at = event.type, event.time
    if kind in (WORKSPACE_CREATED, WORKSPACE_UPDATED, WORKSPACE_DELETED):
        ws = WorkspaceChanged.model_validate(event.data)
        wid = str(ws.workspace_id)
        changed = await read_model.put_workspace(
            db,
            wid,
            ws.version,
            at,
            {
                "name": ws.name,
                "slug": ws.slug,
                "owner_id": str(ws.owner_id) if ws.owner_id else None,
                "tier_code": ws.tier_code,
                "limits": ws.limits.model_dump(),
                "deleted": kind == WORKSPACE_DELETED,
            },
        )
        if kind == WORKSPACE_CREATED and ws.owner_id is not None:
            await read_model.add_owner_if_unknown(db, wid, str(ws.owner_id))
        return changed
    if kind in (WORKSPACE_MEMBER_ADDED, WORKSPACE_MEMBER_ROLE_CHANGED, WORKSPACE_MEMBER_REMOVED):
        member = WorkspaceMemberChanged.model_validate(event.data)
        return await read_model.put_member(
            db,
            str(member.workspace_id),
            str(member.user_id),
            member.version,
            at,
            {"role": member.role, "active": kind != WORKSPACE_MEMBER_REMOVED},
        )
    if kind in (SUBSCRIPTION_CREATED, SUBSCRIPTION_CHANGED, SUBSCRIPTION_CANCELED):
        sub = SubscriptionChanged.model_validate(event.data)
        wid = str(sub.workspace_id)
        changed = await read_model.put_subscription(
            db,
            wid,
            str(sub.subscription_id),
            sub.version,
            at,
            {
                "tier_code": sub.tier_code,
                "status": sub.status,
                "limits": sub.limits.model_dump(),
                "current_period_start": sub.current_period_start,
                "current_period_end": sub.current_period_end,
            },
        )
        if changed:
            # A new tier lifts a block reached under the old one.
            await read_model.lift_block_unless_tier(db, wid, sub.tier_code)
        return changed
    if kind == USAGE_THRESHOLD_CROSSED:
        crossed = UsageThresholdCrossed.model_validate(event.data)
        return await _apply_threshold(db, crossed, event)
    return False


async def _apply_threshold(
    db: AsyncDatabase[Document], crossed: UsageThresholdCrossed, event: RawEvent
) -> bool:
    wid = str(crossed.workspace_id)
    detail = {
        "period": crossed.period,
        "limit": crossed.limit,
        "tokens_used": crossed.tokens_used,
        "tier_code": crossed.tier_code,
        "event_id": event.id,
    }
    if crossed.threshold_percent < 100:
        await read_model.put_warning(db, wid, detail)
        return True
    current = await read_model.quota(db, wid)
    current_tier = (current or {}).get("tier_code")
    if crossed.tier_code and current_tier and current_tier != crossed.tier_code:
        return False  # reached under a tier the workspace has already left
    # The block holds until the tier changes: remember which tier that is.
    detail["tier_code"] = crossed.tier_code or current_tier
    return await read_model.put_block(db, wid, detail)


class CoreEventsProjection:
    """The long-lived consumer of ``core.events`` inside feature-api."""

    def __init__(self, db: AsyncDatabase[Document], settings: FeatureSettings) -> None:
        self._db = db
        self._settings = settings
        self._topic = settings.topic(topics.CORE_EVENTS)
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self.applied_total = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="core-events-projection")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a broker outage must not end the projection
                log.warning("core.events projection: %s; reconnecting in 2s", exc)
                await asyncio.sleep(2)
            finally:
                await self._close()

    async def _consume(self) -> None:
        self._consumer = AIOKafkaConsumer(
            self._topic,
            **self._settings.kafka_client_options(),
            group_id=self._settings.projection_group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await self._consumer.start()
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000, max_records=500)
            for records in batches.values():
                for record in records:
                    await self._handle(record)
            if batches:
                await self._consumer.commit()

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            event = CloudEvent[dict[str, Any]].model_validate_json(record.value or b"")
            if await apply_core_event(self._db, event):
                self.applied_total += 1
        except ValidationError as exc:
            await self._reject(record, f"invalid event: {exc.errors(include_url=False)}")

    async def _reject(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        log.warning("core.events projection: rejected offset %s: %s", record.offset, reason[:300])
        if self._producer is None:
            self._producer = make_producer(self._settings)
            await self._producer.start()
        await publish_to_dlq(
            self._producer,
            self._topic,
            key=record.key,
            value=record.value,
            headers=list(record.headers),
            reason=reason,
        )

    async def _close(self) -> None:
        consumer, self._consumer = self._consumer, None
        producer, self._producer = self._producer, None
        for client in (consumer, producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
