"""Helpers of the usage-ingestor tests (the shared ones, a TCP proxy and
``eventually``, are ``sendfx_dev.testing``'s).

    events.py      usage events as feature-api publishes them; publishing
    workspaces.py  a workspace with a quota, as core.events would announce it
"""

from .events import FEATURE_API, binary_mode, publish, publish_binary, publish_raw, usage_event
from .workspaces import create_workspace

__all__ = [
    "FEATURE_API",
    "binary_mode",
    "create_workspace",
    "publish",
    "publish_binary",
    "publish_raw",
    "usage_event",
]
