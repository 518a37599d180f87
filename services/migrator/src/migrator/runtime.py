"""Process-level tuning for the bulk commands."""

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from sendfx_shared.collection import fewer_collections

P = ParamSpec("P")
T = TypeVar("T")


def collecting_less(
    run: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """``run`` under :func:`fewer_collections`, for the whole of its await."""

    @functools.wraps(run)
    async def collected_less(*args: P.args, **kwargs: P.kwargs) -> T:
        with fewer_collections():
            return await run(*args, **kwargs)

    return collected_less
