"""The fake as a console script (``fake-openai``) and from a thread of a test."""

import argparse

import uvicorn

from sendfx_dev.fake_openai.app import create_app
from sendfx_dev.testing.threaded import ThreadedServer


class ThreadedFakeOpenAI(ThreadedServer):
    """The fake served from a background thread of the calling process (tests)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        super().__init__(
            create_app(),
            port,
            name="fake-openai",
            host=host,
            log_level="critical",
            start_timeout=20,
            stop_timeout=10,
        )
        self.base_url = f"{self.url}/v1"


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="fake-openai", description="A local fake of OpenAI's Chat Completions API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level=args.log_level)
