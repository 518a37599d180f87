"""What the routes are given: the running ingestor (its pool and consumers)."""

from typing import Annotated

from fastapi import Depends, Request

from usage_ingestor.runtime import Ingestor as RunningIngestor


def _ingestor(request: Request) -> RunningIngestor:
    ingestor: RunningIngestor = request.app.state.ingestor
    return ingestor


Ingestor = Annotated[RunningIngestor, Depends(_ingestor)]
