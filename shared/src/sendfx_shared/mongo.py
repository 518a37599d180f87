"""MongoDB client options of a process: its credentials and the refusal report.

Only the processes that own MongoDB data import this (it imports PyMongo).
"""

from typing import Any, Final

from pymongo import monitoring

from sendfx_shared.refusals import report_refusal
from sendfx_shared.settings import MongoSettings

_UNAUTHORIZED: Final = frozenset({13})


class MongoRefusalListener(monitoring.CommandListener):
    """Reports every command the server refused this process for lack of a role."""

    def __init__(self, process: str, user: str) -> None:
        self._process = process
        self._user = user

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        return None

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        failure = event.failure or {}
        if failure.get("code") not in _UNAUTHORIZED:
            return
        report_refusal(
            process=self._process,
            store="mongodb",
            principal=self._user,
            operation=str(event.command_name),
            target=f"database {event.database_name}",
        )


def client_options(settings: MongoSettings, process: str, url: str | None = None) -> dict[str, Any]:
    """What ``AsyncMongoClient`` takes besides the URL (default ``settings.mongo_url``)."""
    options = settings.mongo_credentials(url)
    user = options.get("username") or settings.mongo_user_of(url) or "?"
    return {**options, "event_listeners": [MongoRefusalListener(process, user)]}
