"""The real servers behind local runs and tests: PostgreSQL, Tansu, SecantusDB.

Each ``start_*`` function launches one server as a detached process with its
data and log under a state folder, waits until it answers, and returns a
``Server`` that knows how to stop itself; ``LocalServers`` starts the ones a
test session or a benchmark needs and stops them together. Nothing here is
imported by a service.
"""

from sendfx_dev.servers.local import LocalServers
from sendfx_dev.servers.postgres import (
    POSTGRES_SUPERUSER,
    PostgresServer,
    postgres_admin_url,
    postgres_answers,
    start_postgres,
    stop_postgres,
    stop_postgres_after,
)
from sendfx_dev.servers.process import ComponentFailed, Server, pid_alive, spawn, stop_pid
from sendfx_dev.servers.secantus import (
    MONGO_ROOT_USER,
    mongo_admin_url,
    mongo_answers,
    mongo_url_answers,
    secantus_binary,
    start_secantus,
)
from sendfx_dev.servers.tansu import (
    kafka_answers,
    kafka_bootstrap_answers,
    start_tansu,
    tansu_argv,
    tansu_binary,
)

__all__ = [
    "MONGO_ROOT_USER",
    "POSTGRES_SUPERUSER",
    "ComponentFailed",
    "LocalServers",
    "PostgresServer",
    "Server",
    "kafka_answers",
    "kafka_bootstrap_answers",
    "mongo_admin_url",
    "mongo_answers",
    "mongo_url_answers",
    "pid_alive",
    "postgres_admin_url",
    "postgres_answers",
    "secantus_binary",
    "spawn",
    "start_postgres",
    "start_secantus",
    "start_tansu",
    "stop_pid",
    "stop_postgres",
    "stop_postgres_after",
    "tansu_argv",
    "tansu_binary",
]
