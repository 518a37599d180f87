"""Helpers of the usage-ingestor tests (the shared ones, a TCP proxy and
``eventually``, are ``sendfx_dev.testing``'s).

    events.py      usage events as feature-api publishes them; publishing
    workspaces.py  a workspace with a quota, as core.events would announce it
    http.py        the HTTP app over the module's ingestor; access tokens
    ingest.py      calls written through the batch write at round prices
"""

from .events import FEATURE_API, binary_mode, publish, publish_binary, publish_raw, usage_event
from .http import bearer, http_client
from .ingest import BOOK, ingest
from .workspaces import create_workspace

__all__ = [
    "BOOK",
    "FEATURE_API",
    "bearer",
    "binary_mode",
    "create_workspace",
    "http_client",
    "ingest",
    "publish",
    "publish_binary",
    "publish_raw",
    "usage_event",
]
