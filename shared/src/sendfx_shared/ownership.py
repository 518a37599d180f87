"""The "one store per process" guard.

Each process is started with credentials for its own store only. A process
given the other side's URL refuses to start: the boundary between core data
(PostgreSQL) and feature data (MongoDB) is enforced by configuration, not
by convention.
"""

import os
from collections.abc import Mapping
from typing import Literal

Store = Literal["postgres", "mongo"]

_FOREIGN_VARIABLES: dict[Store, tuple[str, ...]] = {
    "postgres": ("MONGO_URL", "LEGACY_MONGO_URL"),
    "mongo": ("POSTGRES_URL", "DATABASE_URL"),
}


class ForeignStoreConfigured(RuntimeError):
    """A process was given credentials for a store it must not reach."""


def refuse_foreign_store(
    process: str, own_store: Store, environ: Mapping[str, str] | None = None
) -> None:
    env = os.environ if environ is None else environ
    present = [name for name in _FOREIGN_VARIABLES[own_store] if env.get(name)]
    if present:
        other = "MongoDB" if own_store == "postgres" else "PostgreSQL"
        raise ForeignStoreConfigured(
            f"{process} owns {own_store} data only and must not reach {other}; "
            f"unset {', '.join(present)} for this process"
        )
