"""The console's API types (admin-console/src/api/generated/) are what the
services' live OpenAPI documents generate: a route or field that changed in a
service shows up here, not as a blank page in the browser."""

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sendfx_dev.stack import find_root

pytestmark = pytest.mark.e2e

CONSOLE = find_root(Path(__file__).parent) / "admin-console"
GENERATED = CONSOLE / "src" / "api" / "generated"
ARTIFACTS = Path(os.environ.get("SENDFX_TEST_ARTIFACTS", CONSOLE.parent / "var" / "test-artifacts"))


def test_the_checked_in_api_types_match_the_live_documents(platform: Any, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (CONSOLE / "node_modules" / "openapi-typescript").exists():
        pytest.skip("node and the console's packages are installed by make install")
    config = platform.config
    ports = {
        "core-api": config.core_api_port,
        "feature-api": config.feature_api_port,
        "usage-ingestor": config.usage_ingestor_port,
    }
    argv = [node, str(CONSOLE / "scripts" / "gen-types.mjs"), "--out", str(tmp_path)]
    for service, port in ports.items():
        argv += [f"--{service}", f"http://127.0.0.1:{port}"]
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120)
    stale = [
        name
        for name in (*ports, "contract")
        if (tmp_path / f"{name}.ts").read_text() != (GENERATED / f"{name}.ts").read_text()
    ]
    if stale:
        # What the live documents generate, for the one who updates the files.
        fresh = ARTIFACTS / "console-types"
        shutil.copytree(tmp_path, fresh, dirs_exist_ok=True)
        pytest.fail(
            f"stale console types for {stale}: run `make console-types` with the stack up,"
            f" or copy {fresh}/*.ts into {GENERATED}"
        )
