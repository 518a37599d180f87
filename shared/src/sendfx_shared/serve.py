"""How every HTTP service process starts: logs and tracing set up first (the
app's own start-up logs through them), then the app built, the collector
told to run less often (``collection``), and the app served by uvicorn,
whose loggers go through the same JSON handler."""

from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from sendfx_shared.collection import collect_less
from sendfx_shared.observability import setup_process
from sendfx_shared.settings import ProcessSettings


def serve(
    process_name: str,
    settings: ProcessSettings,
    port: int,
    build: Callable[[], FastAPI],
    **uvicorn_options: Any,
) -> None:
    setup_process(process_name, settings.log_level)
    app = build()
    collect_less()
    uvicorn.run(
        app,
        host=settings.host,
        port=port,
        log_level=settings.log_level,
        log_config=None,
        **uvicorn_options,
    )
