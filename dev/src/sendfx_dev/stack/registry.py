"""The components of the local stack, in start order, and how they stop.

Adding a component: a small ``Component`` subclass (a service: a ``Service``),
a line in ``REGISTRY`` and one in ``STOP_TIERS``.
"""

from sendfx_dev.stack.component import Component
from sendfx_dev.stack.gateway_component import Gateway
from sendfx_dev.stack.process_components import CORE_API, FEATURE_API, USAGE_INGESTOR, FakeOpenAI
from sendfx_dev.stack.prometheus_component import Prometheus
from sendfx_dev.stack.server_components import Kafka, MongoDB, Postgres

REGISTRY: tuple[Component, ...] = (
    Postgres(),
    Kafka(),
    MongoDB(),
    FakeOpenAI(),
    CORE_API,
    USAGE_INGESTOR,
    FEATURE_API,
    Prometheus(),
    Gateway(),
)
COMPONENTS = tuple(component.name for component in REGISTRY)
_BY_NAME = {component.name: component for component in REGISTRY}

# `down` stops each tier after the one that depends on it, a tier's members
# side by side. Together they are COMPONENTS, in start order.
STOP_TIERS = (
    ("postgres", "kafka", "mongodb"),
    ("fake-openai", "core-api", "usage-ingestor", "feature-api", "prometheus"),
    ("gateway",),
)
assert [c for tier in STOP_TIERS for c in tier] == list(COMPONENTS)


def component_named(name: str) -> Component:
    return _BY_NAME[name]
