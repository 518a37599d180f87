"""The whole local platform as one ordered registry of components.

``Stack.up`` starts, health-checks and records each component in order —
PostgreSQL, Kafka (Tansu), MongoDB (SecantusDB), the fake OpenAI server,
core-api, usage-ingestor, feature-api and the nginx gateway — reusing what is
already running and healthy. ``Stack.down`` stops only what a ``up`` started,
as recorded in ``<state>/run/<component>.json``. The CLI (``sendfx-dev``) and
the end-to-end tests both drive this class; the tests simply point it at the
test session's servers and at free ports.

    config.py               StackConfig: where everything lives, read from the environment
    registry.py             the components in start order, and the stop tiers
    component.py            what a component is: ensure, its running server, its env
    server_components.py    postgres, kafka, mongodb
    process_components.py   fake-openai, core-api, usage-ingestor, feature-api
    gateway_component.py    the nginx gateway
    runner.py               Stack: up, down, status over the registry
    records.py              var/run/<component>.json
    report.py               what the CLI prints
"""

from sendfx_dev.stack.config import (
    ADMIN_EMAIL,
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_MONGO_URL,
    DEFAULT_POSTGRES_URL,
    FAKE_OPENAI_KEY,
    StackConfig,
    find_root,
)
from sendfx_dev.stack.records import Result, RunRecord
from sendfx_dev.stack.registry import COMPONENTS
from sendfx_dev.stack.report import as_json, dump_status, redacted, summary
from sendfx_dev.stack.runner import Stack

__all__ = [
    "ADMIN_EMAIL",
    "COMPONENTS",
    "DEFAULT_ADMIN_PASSWORD",
    "DEFAULT_MONGO_URL",
    "DEFAULT_POSTGRES_URL",
    "FAKE_OPENAI_KEY",
    "Result",
    "RunRecord",
    "Stack",
    "StackConfig",
    "as_json",
    "dump_status",
    "find_root",
    "redacted",
    "summary",
]
