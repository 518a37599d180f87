"""``usage-ingestor``: the console script."""

import logging

import uvicorn

from usage_ingestor.app import build_app
from usage_ingestor.settings import load_settings


def run() -> None:
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
    )


if __name__ == "__main__":
    run()
