"""Login throttling: failed logins slow down per (account, address), per
address and per account, with delays that double past a free allowance.

Why three keys: the pair stops one address guessing one password, with the
smallest allowance; the address stops one source spraying many accounts; the
account limit, much higher, stops a distributed guess at one account. A
success from an address clears only that pair, and the pair's delay never
touches the victim's other addresses, so an attacker cannot lock a user out
from everywhere without exceeding the high account limit. The counts are in
PostgreSQL, so they hold across core-api instances.
"""

from dataclasses import dataclass

import asyncpg

from core_api.db import reading, transaction
from core_api.repositories import login_failures
from core_api.settings import CoreApiSettings
from sendfx_shared.events.envelope import utc_now
from sendfx_shared.problems import TooManyRequests


@dataclass(frozen=True)
class LoginAttempt:
    email: str
    address: str

    def throttle_keys(self) -> list[tuple[str, str]]:
        account = self.email.strip().lower()
        return [
            ("pair", f"{account}|{self.address}"),
            ("address", self.address),
            ("account", account),
        ]


def _free(settings: CoreApiSettings, scope: str) -> int:
    return {
        "pair": settings.login_pair_free_failures,
        "address": settings.login_address_free_failures,
        "account": settings.login_account_free_failures,
    }[scope]


async def refuse_if_blocked(pool: asyncpg.Pool, attempt: LoginAttempt) -> None:
    """429 with Retry-After while any of the attempt's keys waits out a delay;
    checked before the password, so a right guess during a delay tells nothing."""
    async with reading(pool) as db:
        until = await login_failures.blocked_until(db, attempt.throttle_keys())
    if until is not None:
        raise TooManyRequests(
            "too many failed logins; try again later", (until - utc_now()).total_seconds()
        )


async def failed(pool: asyncpg.Pool, attempt: LoginAttempt, settings: CoreApiSettings) -> None:
    async with transaction(pool) as db:
        for scope, key in attempt.throttle_keys():
            await login_failures.record_failure(
                db,
                scope,
                key,
                free=_free(settings, scope),
                base_seconds=settings.login_base_delay_seconds,
                max_seconds=settings.login_max_delay_seconds,
                window_seconds=settings.login_failure_window_seconds,
            )
        await login_failures.prune(db, settings.login_failure_window_seconds)


async def succeeded(pool: asyncpg.Pool, attempt: LoginAttempt) -> None:
    scope, key = attempt.throttle_keys()[0]
    async with transaction(pool) as db:
        await login_failures.forget(db, scope, key)
