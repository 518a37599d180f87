"""Fixtures of the core-api tests: the app on the session's real PostgreSQL and
broker, a client, users with tokens, a session-long reader of ``core.events``,
a TCP proxy the tests can cut, and core-api as a real subprocess. They live in
``support/``, by subject; importing them here puts them in every test's scope."""

from .support.app import (
    actor_of,
    add_member,
    admin,
    client,
    core_app,
    core_settings,
    log_in,
    new_user,
    new_workspace,
    tier,
)
from .support.broker import proxied_broker
from .support.databases import empty_database, fresh_database
from .support.events import core_events, topic_tools
from .support.process import core_server, spawn_core

__all__ = [
    "actor_of",
    "add_member",
    "admin",
    "client",
    "core_app",
    "core_events",
    "core_server",
    "core_settings",
    "empty_database",
    "fresh_database",
    "log_in",
    "new_user",
    "new_workspace",
    "proxied_broker",
    "spawn_core",
    "tier",
    "topic_tools",
]
