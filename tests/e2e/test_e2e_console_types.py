"""The console's API types are generated (at build, lint and test time) from
the OpenAPI snapshots checked in under admin-console/openapi/; those snapshots
must be what the services serve now: a route or field that changed in a
service shows up here, not as a blank page in the browser."""

import os
from pathlib import Path
from typing import Any

import pytest

from sendfx_dev import openapi_snapshots as snapshots
from sendfx_dev.stack import find_root

pytestmark = pytest.mark.e2e

ROOT = find_root(Path(__file__).parent)
SNAPSHOTS = snapshots.snapshot_folder(ROOT)
ARTIFACTS = Path(os.environ.get("SENDFX_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))


def test_the_checked_in_openapi_snapshots_match_the_live_documents(platform: Any) -> None:
    live = snapshots.fetch_documents(snapshots.base_urls(platform.config))
    assert set(live) == {"core-api", "feature-api", "usage-ingestor"}
    assert all(document.get("paths") for document in live.values()), "a service serves no paths"
    stale = snapshots.stale_snapshots(live, SNAPSHOTS)
    if stale:
        # What the services serve, in the command's layout, for the one who
        # updates the snapshots.
        fresh = ARTIFACTS / "console-types"
        snapshots.write_snapshots({service: live[service] for service in stale}, fresh)
        pytest.fail(
            f"stale OpenAPI snapshots for {stale}: run `make console-types` with the stack up,"
            f" or copy {fresh}/*.json into {SNAPSHOTS}"
        )
