"""``usage-ingestor``: the console script."""

from sendfx_shared.serve import serve
from usage_ingestor.app import build_app
from usage_ingestor.settings import PROCESS_NAME, load_settings


def run() -> None:
    settings = load_settings()
    serve(PROCESS_NAME, settings, settings.port, lambda: build_app(settings), lifespan="on")


if __name__ == "__main__":
    run()
