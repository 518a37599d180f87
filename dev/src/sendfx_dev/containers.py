"""The test servers on the real images, where a Docker engine answers.

``SENDFX_TEST_INFRA=containers`` makes the pytest plugin use these instead of
the local servers: ``postgres:18``, ``mongo:8`` as the one-node replica set
``secantus`` (transactions and change streams need one) and ``apache/kafka``
in KRaft mode. testcontainers' own KafkaContainer drives the Confluent image's
scripts and its MongoDbContainer starts no replica set, so both are built
here from a generic container.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sendfx_dev.ports import free_port

POSTGRES_IMAGE = "postgres:18"
MONGO_IMAGE = "mongo:8"
KAFKA_IMAGE = "apache/kafka:3.9.1"


@dataclass
class Containers:
    postgres_admin_url: str
    kafka_bootstrap_servers: str
    mongo_url: str
    running: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for container in reversed(self.running):
            container.stop()


def _until(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(1)
    raise TimeoutError(f"{what} not ready within {timeout:.0f} s")


def start_postgres() -> tuple[str, Any]:
    from testcontainers.postgres import PostgresContainer

    # The image's POSTGRES_USER is a superuser: the plugin creates databases.
    container = PostgresContainer(POSTGRES_IMAGE, driver=None).start()
    return container.get_connection_url(), container


def start_mongo() -> tuple[str, Any]:
    from testcontainers.core.container import DockerContainer

    container = (
        DockerContainer(MONGO_IMAGE)
        .with_command("--replSet secantus --bind_ip_all")
        .with_exposed_ports(27017)
        .start()
    )

    def mongosh(script: str) -> str:
        code, output = container.exec(["mongosh", "--quiet", "--eval", script])
        return output.decode().strip() if code == 0 else ""

    _until(lambda: mongosh("db.runCommand({ping: 1}).ok") == "1", "mongo to answer")
    mongosh("rs.initiate({_id: 'secantus', members: [{_id: 0, host: 'localhost:27017'}]})")
    _until(lambda: mongosh("db.hello().isWritablePrimary") == "true", "mongo to be primary")
    host = container.get_container_host_ip()
    port = container.get_exposed_port(27017)
    # The member calls itself localhost:27017 inside the container: connect
    # to it directly rather than through replica-set discovery.
    return f"mongodb://{host}:{port}/?directConnection=true", container


def start_kafka() -> tuple[str, Any]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.docker_client import DockerClient

    host = DockerClient().host()
    # The broker must advertise the address clients reach, so the host port
    # is chosen before the container starts.
    port = free_port()
    container = (
        DockerContainer(KAFKA_IMAGE)
        .with_bind_ports(9092, port)
        .with_envs(
            KAFKA_NODE_ID="1",
            KAFKA_PROCESS_ROLES="broker,controller",
            KAFKA_LISTENERS="PLAINTEXT://:9092,CONTROLLER://:9093",
            KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://{host}:{port}",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
            KAFKA_NUM_PARTITIONS="3",
        )
        .start()
    )
    bootstrap = f"{host}:{port}"
    from sendfx_dev.servers import kafka_bootstrap_answers

    _until(lambda: kafka_bootstrap_answers(bootstrap), "kafka to answer")
    return bootstrap, container


def start_all() -> Containers:
    running: list[Any] = []
    try:
        pg_url, pg = start_postgres()
        running.append(pg)
        kafka, broker = start_kafka()
        running.append(broker)
        mongo, mongod = start_mongo()
        running.append(mongod)
    except BaseException:
        for container in reversed(running):
            container.stop()
        raise
    return Containers(pg_url, kafka, mongo, running)
