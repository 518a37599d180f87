"""Test support shared by every package's tests (never imported by a service).

plugin.py    the pytest plugin: the session's real servers and stores
infra.py     TestInfra: the session's databases, users and topic prefix
proxy.py     TcpProxy: cut or stall a connection from outside
topics.py    reading topics: a session-long EventLog, one-off reads
polling.py   eventually(): wait for what another process does
"""
