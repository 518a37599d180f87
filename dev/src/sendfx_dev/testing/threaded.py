"""An ASGI app served by uvicorn from a daemon thread of the test process."""

import threading
import time
from typing import Any, Self

import uvicorn


class ThreadedServer:
    """``with ThreadedServer(app, port, name="x") as served:`` answers at
    ``served.url`` until the block ends."""

    def __init__(
        self,
        app: Any,
        port: int,
        *,
        name: str,
        host: str = "127.0.0.1",
        log_level: str = "warning",
        start_timeout: float = 60,
        stop_timeout: float = 20,
    ) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, host=host, port=port, log_level=log_level)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=name, daemon=True)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=self.stop_timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
