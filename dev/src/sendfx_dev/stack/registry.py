"""The components of the local stack, in start order, and how they stop.

Adding a component: a small ``Component`` subclass (a service: a ``Service``),
a line in ``REGISTRY`` and one in ``STOP_TIERS``. A service runs as
``StackConfig.replicas`` instances (``components``): ``core-api``,
``core-api-2``, …
"""

import re
from typing import TYPE_CHECKING

from sendfx_dev.stack.component import Component
from sendfx_dev.stack.gateway_component import Gateway
from sendfx_dev.stack.process_components import (
    CORE_API,
    FEATURE_API,
    USAGE_INGESTOR,
    FakeOpenAI,
    Service,
)
from sendfx_dev.stack.prometheus_component import Prometheus
from sendfx_dev.stack.server_components import Kafka, MongoDB, Postgres

if TYPE_CHECKING:
    from sendfx_dev.stack.config import StackConfig

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


_INSTANCE = re.compile(r"^(?P<service>.+)-(?P<number>[2-9])$")


def components(config: "StackConfig") -> list[Component]:
    """The registry with each service as its configured number of instances."""
    expanded: list[Component] = []
    for component in REGISTRY:
        if isinstance(component, Service):
            expanded += component.instances(config.replicas)
        else:
            expanded.append(component)
    return expanded


def component_named(name: str) -> Component:
    """A component by name; ``core-api-2`` is the second instance of core-api."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    match = _INSTANCE.match(name)
    service = _BY_NAME.get(match["service"]) if match else None
    if match is None or not isinstance(service, Service):
        raise KeyError(name)
    return service.instances(int(match["number"]))[-1]


def service_of(name: str) -> str:
    """The component an instance belongs to (``core-api-2`` → ``core-api``)."""
    match = _INSTANCE.match(name)
    return match["service"] if match and match["service"] in _BY_NAME else name


def instance_names(service: str, recorded: list[str]) -> list[str]:
    """Of the ``recorded`` component names, the further instances of ``service``."""
    return sorted(n for n in recorded if n != service and service_of(n) == service)
