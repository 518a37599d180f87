"""Fixtures and helpers of the core-api tests, by subject; ``conftest.py``
puts the fixtures in scope.

    app.py        the app in-process, a client, users, workspaces, a tier
    events.py     core.events read for the whole session, topic tools
    broker.py     a broker of its own behind a TCP proxy the tests can cut
    databases.py  a database of a test's own, empty or migrated
    process.py    core-api as a real subprocess
"""
