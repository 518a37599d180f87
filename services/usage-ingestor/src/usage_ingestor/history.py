"""The usage history's upkeep: monthly partitions of ``core.openai_usage`` made
ahead of need and, with a retention set, the old months dropped (the hourly
rollups and the counters keep their totals). The ingestor runs it at start and
every ``USAGE_INGESTOR_PARTITION_CHECK_SECONDS``; ``usage-ingestor-history``
runs it once, or lists the partitions, for operators.
"""

import argparse
import asyncio
import logging
from dataclasses import dataclass

import asyncpg

from sendfx_shared.postgres import connect
from usage_ingestor.db import Connection
from usage_ingestor.repositories.partitions import (
    drop_partitions,
    ensure_partitions,
    list_partitions,
)
from usage_ingestor.settings import PROCESS_NAME, IngestorSettings, load_settings

log = logging.getLogger("usage_ingestor.history")


@dataclass(frozen=True, slots=True)
class Upkeep:
    made: list[str]
    dropped: list[str]


async def upkeep(conn: Connection, settings: IngestorSettings) -> Upkeep:
    """One pass: partitions ahead, then retention (0 months: keep everything)."""
    async with conn.transaction():
        made = await ensure_partitions(conn, settings.partitions_ahead)
    dropped: list[str] = []
    if settings.retention_months:
        async with conn.transaction():
            dropped = await drop_partitions(conn, settings.retention_months)
    if made or dropped:
        log.info("usage history: made %s, dropped %s", made or "none", dropped or "none")
    return Upkeep(made, dropped)


class HistoryKeeper:
    """The periodic pass inside the ingestor; a failed pass is retried next period
    (an event of a month with no partition still lands in the default one)."""

    def __init__(self, pool: asyncpg.Pool, settings: IngestorSettings) -> None:
        self._pool = pool
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> Upkeep:
        async with self._pool.acquire() as conn:
            return await upkeep(conn, self._settings)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="usage history upkeep")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.partition_check_seconds)
            try:
                await self.run_once()
            except (asyncpg.PostgresError, OSError) as error:
                log.warning("usage history upkeep failed, retried next period: %s", error)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # Its CancelledError is the outcome asked for, not a failure.
            await asyncio.gather(task, return_exceptions=True)


async def _command(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.keep_months is not None:
        settings = settings.model_copy(update={"retention_months": args.keep_months})
    conn = await connect(settings.postgres_url, application_name=PROCESS_NAME)
    try:
        if not args.list:
            done = await upkeep(conn, settings)
            print(f"made: {', '.join(done.made) or 'none'}")
            print(f"dropped: {', '.join(done.dropped) or 'none'}")
        for name, bound, rows in await list_partitions(conn):
            print(f"{name}\t{bound}\t~{max(rows, 0)} rows")
    finally:
        await conn.close()
    return 0


def run() -> None:
    parser = argparse.ArgumentParser(
        prog="usage-ingestor-history",
        description="Make core.openai_usage's monthly partitions ahead of need"
        " (USAGE_INGESTOR_PARTITIONS_AHEAD) and drop those past the retention"
        " (USAGE_INGESTOR_RETENTION_MONTHS, 0 keeps all), then list the partitions."
        " The ingestor does the same at start and periodically.",
    )
    parser.add_argument(
        "--keep-months",
        type=int,
        help="retention for this run: drop months before the last N whole ones",
    )
    parser.add_argument("--list", action="store_true", help="only list the partitions")
    raise SystemExit(asyncio.run(_command(parser.parse_args())))
