"""When a store refuses a process: one structured log line and a counter.

The grants are the boundary; this makes a crossing attempt visible. Every
PostgreSQL connection made through ``sendfx_shared.postgres`` for a named
process reports a permission refusal (SQLSTATE 42501) through asyncpg's query
logger, and every MongoDB client made with ``sendfx_shared.mongo.client_options``
reports an "unauthorized" failure (code 13), each naming the process, its principal and
the object it was refused. The counter ``sendfx_store_refusals_total`` has
bounded labels only: the process, the store and the kind of operation.
"""

import logging
import re
from typing import Any, Final

from sendfx_shared.observability.catalog import STORE_REFUSALS

__all__ = ["STORE_REFUSALS", "postgres_query_logger", "report_refusal"]

log = logging.getLogger("sendfx.refusals")

_PG_INSUFFICIENT_PRIVILEGE: Final = "42501"
_PG_OBJECT: Final = re.compile(r"permission denied for (\w+ [\w.\"]+)")


def report_refusal(
    *, process: str, store: str, principal: str, operation: str, target: str
) -> None:
    STORE_REFUSALS.labels(process=process, store=store, operation=operation).inc()
    log.error(
        "store refused: process=%s store=%s role=%s operation=%s object=%s",
        process,
        store,
        principal,
        operation,
        target,
        # prefixed: LogRecord has a "process" attribute of its own (the pid)
        extra={
            "sendfx_process": process,
            "store": store,
            "role": principal,
            "operation": operation,
            "object": target,
        },
    )


def _operation(sql: str) -> str:
    words = sql.lstrip().split(None, 1)
    return words[0].upper()[:16] if words else "?"


def postgres_query_logger(process: str, role: str) -> Any:
    """A callback for ``asyncpg.Connection.add_query_logger``."""

    def logged(query: Any) -> None:
        error = getattr(query, "exception", None)
        if getattr(error, "sqlstate", None) != _PG_INSUFFICIENT_PRIVILEGE:
            return
        found = _PG_OBJECT.search(str(error))
        report_refusal(
            process=process,
            store="postgresql",
            principal=role,
            operation=_operation(str(query.query)),
            target=found.group(1) if found else str(error)[:200],
        )

    return logged
