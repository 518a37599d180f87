"""The services' OpenAPI documents as the admin console checks them in.

admin-console/openapi/<service>.json are snapshots of each service's
/openapi.json; the console's TypeScript types are generated from them at build
time (admin-console/scripts/gen-types.mjs). ``sendfx-dev openapi-snapshots``
(``make console-types``) rewrites them from running services, and the e2e test
compares them with the test platform's live documents; both write the layout
of :func:`snapshot_text`, so a file copied from the test's artifacts makes the
same diff as the command.
"""

import json
from pathlib import Path
from typing import Any

import httpx

from sendfx_dev.stack import StackConfig

SERVICES = ("core-api", "feature-api", "usage-ingestor")


def snapshot_folder(root: Path) -> Path:
    return root / "admin-console" / "openapi"


def base_urls(config: StackConfig) -> dict[str, str]:
    """Each service's base URL on the stack ``config`` describes."""
    ports = {
        "core-api": config.core_api_port,
        "feature-api": config.feature_api_port,
        "usage-ingestor": config.usage_ingestor_port,
    }
    return {service: f"http://127.0.0.1:{ports[service]}" for service in SERVICES}


def snapshot_text(document: Any) -> str:
    """Indented (reviewable diffs), keys in the order the service serves them."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def fetch_documents(base_urls: dict[str, str], timeout: float = 60) -> dict[str, Any]:
    """Each service's /openapi.json, by service name, from its base URL."""
    documents: dict[str, Any] = {}
    with httpx.Client(timeout=timeout) as client:
        for service, base in base_urls.items():
            response = client.get(f"{base.rstrip('/')}/openapi.json")
            response.raise_for_status()
            documents[service] = response.json()
    return documents


def stale_snapshots(documents: dict[str, Any], folder: Path) -> list[str]:
    """The services whose snapshot is missing or differs from ``documents``
    (compared as parsed JSON: key order and layout are no difference)."""
    stale = []
    for service, document in documents.items():
        path = folder / f"{service}.json"
        if not path.exists() or json.loads(path.read_text()) != document:
            stale.append(service)
    return stale


def write_snapshots(documents: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for service, document in documents.items():
        path = folder / f"{service}.json"
        path.write_text(snapshot_text(document))
        written.append(path)
    return written
