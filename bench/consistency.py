"""bench-consistency: "create a workspace → the first feature-api call succeeds".

Brings the whole platform up on free ports (the same code as `make up`, its
state in a temporary folder), signs in, then N times: create a workspace
through the gateway and at once create a conversation in it, timing from the
create to the conversation's 201. A 404 would be a read-your-writes failure
and is counted (the call is then retried until it succeeds, to time it). The
same is done against core-api with the publish wait switched off
(``CORE_API_PUBLISH_WAIT_SECONDS=0``) in the same run, for the ratio.

    .venv/bin/python bench/consistency.py [--rounds 100]
"""

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import httpx

from sendfx_dev.stack import Stack, StackConfig, find_root


def _config(state: Path) -> StackConfig:
    return StackConfig.on_free_ports(find_root(Path(__file__).parent), state)


Measured = tuple[list[float], list[float], int]


def _measure(gw: httpx.Client, headers: dict[str, str], rounds: int) -> Measured:
    """Per round: create → first call (ms), the create alone (ms); and the 404s."""
    times: list[float] = []
    creates: list[float] = []
    misses = 0
    for n in range(rounds):
        started = time.perf_counter()
        created = gw.post("/api/workspaces", json={"name": f"bench {n}"}, headers=headers)
        created.raise_for_status()
        creates.append((time.perf_counter() - started) * 1000)
        url = f"/api/workspaces/{created.json()['id']}/conversations"
        while True:
            answer = gw.post(url, json={"title": "first"}, headers=headers)
            if answer.status_code == 201:
                break
            assert answer.status_code == 404, answer.text
            misses += 1
        times.append((time.perf_counter() - started) * 1000)
    return times, creates, misses


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100, help="workspaces per setting (100)")
    args = parser.parse_args()
    rows: list[tuple[str, Measured]] = []
    for label, wait in (("read-your-writes (default)", "2"), ("publish wait off", "0")):
        os.environ["CORE_API_PUBLISH_WAIT_SECONDS"] = wait
        with tempfile.TemporaryDirectory(prefix="sendfx-bench-ryw-") as state:
            stack = Stack(_config(Path(state)), say=lambda _: None, tied_to_caller=True)
            try:
                stack.up()
                config = stack.config
                with httpx.Client(base_url=config.gateway_url, timeout=30) as gw:
                    login = gw.post(
                        "/api/auth/login",
                        json={"email": "admin@sendfx.ai", "password": config.admin_password},
                    )
                    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                    rows.append((label, _measure(gw, headers, args.rounds)))
            finally:
                stack.down()
    print(
        f"{'setting':<28} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f" {'create p50':>10} {'404s':>5}"
    )
    for label, (times, creates, misses) in rows:
        print(
            f"{label:<28} {len(times):>4} {statistics.median(times):>8.1f}"
            f" {_percentile(times, 0.99):>8.1f} {max(times):>8.1f}"
            f" {statistics.median(creates):>10.1f} {misses:>5}"
        )


if __name__ == "__main__":
    main()
