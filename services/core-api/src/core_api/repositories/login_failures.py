"""Failed-login counts (``core.login_failures``), shared by every core-api
instance: one row per (scope, key), where scope is ``pair`` (account and
address), ``address`` or ``account``."""

from datetime import datetime

from core_api.db import Db

# The count after this failure: a count older than the window starts again.
_COUNT = (
    "(CASE WHEN f.last_failure_at < now() - make_interval(secs => $6::float8)"
    " THEN 1 ELSE f.failures + 1 END)"
)


async def blocked_until(db: Db, keys: list[tuple[str, str]]) -> datetime | None:
    """The latest time any of ``keys`` is blocked until, if still in the future."""
    until: datetime | None = await db.fetchval(
        """SELECT max(blocked_until) FROM core.login_failures
            WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
              AND blocked_until > now()""",
        [scope for scope, _ in keys],
        [key for _, key in keys],
    )
    return until


async def record_failure(
    db: Db,
    scope: str,
    key: str,
    *,
    free: int,
    base_seconds: float,
    max_seconds: float,
    window_seconds: int,
) -> None:
    """Count one failure (a count older than the window starts again at 1);
    past ``free`` failures the key waits ``base * 2^(failures - free - 1)``
    seconds, at most ``max_seconds``."""
    await db.execute(
        f"""INSERT INTO core.login_failures AS f
                (scope, key, failures, last_failure_at, blocked_until)
            VALUES ($1, $2, 1, now(), now())
            ON CONFLICT (scope, key) DO UPDATE SET
                failures = {_COUNT},
                last_failure_at = now(),
                blocked_until = CASE WHEN {_COUNT} > $3::int
                    THEN now() + make_interval(secs => least(
                        $5::float8, $4::float8 * power(2, {_COUNT} - $3::int - 1)))
                    ELSE f.blocked_until END""",
        scope,
        key,
        free,
        base_seconds,
        max_seconds,
        float(window_seconds),
    )


async def forget(db: Db, scope: str, key: str) -> None:
    await db.execute("DELETE FROM core.login_failures WHERE scope = $1 AND key = $2", scope, key)


async def prune(db: Db, window_seconds: int, at_most: int = 100) -> None:
    """Drop counts whose window has passed and whose delay is over (keys of
    accounts that do not exist would otherwise pile up)."""
    await db.execute(
        """DELETE FROM core.login_failures WHERE ctid IN (
               SELECT ctid FROM core.login_failures
                WHERE last_failure_at < now() - make_interval(secs => $1::float8)
                  AND blocked_until < now()
                LIMIT $2)""",
        float(window_seconds),
        at_most,
    )
