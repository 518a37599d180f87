"""One component of the local stack: how it starts (or is reused), whether it
is healthy, how it stops, and the environment it runs with.

Each kind is a small subclass (``server_components``, ``process_components``,
``gateway_component``); the ordered table of them is ``registry``; ``Stack``
(``runner``) drives them.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from sendfx_dev.servers import Server
from sendfx_dev.stack.records import Result, RunRecord

if TYPE_CHECKING:
    from sendfx_dev.stack.config import StackConfig
    from sendfx_dev.stack.runner import Stack


def http_healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


class Component:
    name: str

    def ensure(self, stack: "Stack") -> Result:
        """Start it, or reuse what already runs; the line ``up`` prints."""
        raise NotImplementedError

    def running(self, record: RunRecord) -> Server:
        """The process a run record names, as an object that can stop itself."""
        assert record.pid is not None
        return Server(record.component, record.pid, record.port, record.url, Path(record.log))

    def own_env(self, config: "StackConfig") -> dict[str, str]:
        """The variables ``up`` sets for it (its own store's, never another's)."""
        return {}
