"""Observability every process shares: Prometheus metrics (``catalog``,
``metrics``), OpenTelemetry traces (``tracing``) and JSON logs (``logs``).

A service calls ``setup_process`` first thing in its console script (logs,
then tracing) and ``instrument_app`` in its app factory (``/metrics``, the
HTTP metrics middleware and, when tracing is on, the FastAPI
instrumentation).
"""

from fastapi import FastAPI

from sendfx_shared.observability.logs import setup_logging
from sendfx_shared.observability.metrics import install_metrics
from sendfx_shared.observability.tracing import disabled_instrumentations, setup_tracing

__all__ = ["instrument_app", "setup_process"]

_UNTRACED = "/metrics,/healthz"


def setup_process(service: str, log_level: str = "info") -> None:
    setup_logging(service, log_level)
    setup_tracing(service)


def instrument_app(app: FastAPI, service: str) -> None:
    """Call it after the app's own middlewares: added last, the HTTP metrics
    are outermost and time what the client waits (a read-your-writes wait too)."""
    install_metrics(app)
    if setup_tracing(service) and "fastapi" not in disabled_instrumentations():
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # One server span per request; no span per ASGI send/receive message.
        FastAPIInstrumentor.instrument_app(
            app, excluded_urls=_UNTRACED, exclude_spans=["receive", "send"]
        )
