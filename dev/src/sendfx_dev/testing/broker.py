"""A broker of a test's own behind a TCP proxy the test can cut."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from sendfx_dev import servers
from sendfx_dev.ports import free_port, wait_until
from sendfx_dev.testing.infra import TestInfra
from sendfx_dev.testing.proxy import TcpProxy


@dataclass
class ProxiedBroker:
    bootstrap: str
    proxy: TcpProxy


@pytest.fixture
async def proxied_broker(sendfx_infra: TestInfra) -> AsyncIterator[ProxiedBroker]:
    """A broker of its own that advertises the proxy's address, so that every
    client connection (bootstrap and partition leader alike) goes through the
    proxy, and ``proxy.cut()`` is a real broker outage for its clients."""
    broker_port, proxy_port = free_port(), free_port()
    log = sendfx_infra.state_dir / "log" / f"tansu-proxied-{broker_port}.log"
    pid = servers.spawn(
        servers.tansu_argv(broker_port, advertised_port=proxy_port), log, env={"RUST_LOG": "warn"}
    )
    proxy = TcpProxy("127.0.0.1", broker_port, proxy_port)
    await proxy.start()
    bootstrap = f"127.0.0.1:{proxy_port}"
    try:
        answered = await asyncio.to_thread(
            wait_until, lambda: servers.kafka_bootstrap_answers(bootstrap), 30, 0.3
        )
        assert answered, f"the proxied broker did not start; see {log}"
        yield ProxiedBroker(bootstrap, proxy)
    finally:
        await proxy.stop()
        servers.stop_pid(pid)
