"""The billing provider's webhook: a paid tier move becomes active when the
provider says the subscription was paid.

The provider signs each delivery with the shared secret
(``CORE_API_BILLING_WEBHOOK_SECRET``), Stripe-style: the header
``X-Sendfx-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``.
A delivery older than five minutes, or badly signed, is refused (401), so a
captured one cannot be replayed later; a repeated delivery is harmless (409:
nothing pending any more)."""

import hashlib
import hmac
import time
import uuid
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from core_api.routes.deps import DbPool, Settings
from core_api.schemas import SubscriptionOut
from core_api.services import subscriptions
from sendfx_shared.problems import NotFound, ProblemError, Unauthorized, field_errors

router = APIRouter(tags=["billing"])
SIGNATURE_HEADER = "X-Sendfx-Signature"
TOLERANCE_SECONDS = 300


class BillingEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["subscription.paid"]
    subscription_id: uuid.UUID


def signature_of(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _verified(secret: str, header: str | None, body: bytes, now: float) -> bool:
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature_of(secret, timestamp, body), parts.get("v1", ""))


@router.post("/api/billing/webhook")
async def billing_webhook(request: Request, pool: DbPool, settings: Settings) -> SubscriptionOut:
    """``{"type": "subscription.paid", "subscription_id": …}``, signed: activates
    the subscription's pending paid tier. 404 while no secret is configured."""
    if not settings.billing_webhook_secret:
        raise NotFound("billing webhook")
    body = await request.body()
    if not _verified(
        settings.billing_webhook_secret, request.headers.get(SIGNATURE_HEADER), body, time.time()
    ):
        raise Unauthorized("the webhook signature is missing, wrong or too old")
    try:
        event = BillingEvent.model_validate_json(body)
    except ValidationError as exc:
        raise ProblemError(
            422, "not a billing event this platform handles", errors=field_errors(exc.errors())
        ) from exc
    return await subscriptions.activate_pending(pool, event.subscription_id)
