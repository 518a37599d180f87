"""bench-ingest --against REV: this checkout's ingest rate against an earlier
commit's, measured in one run (imported by bench/ingest.py).

The commit is exported (``git archive``) to a temporary folder and its own
locked environment installed there (``uv sync --frozen``); then the two
benches run in turns (REV, this, REV, this, ...), each with its own stream,
servers and ingestor code, so that the machine's drift hits both alike. Each
side runs its own ``bench/ingest.py``: the earlier one measures the rate
"today" (before the change), this one the rate with the change (e.g. the
hourly rollup over calls spread across a day). Printed: every round's rate
and the medians' ratio against the 10% bar.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATE_ROW = re.compile(r"^ingestor into PostgreSQL \(events/s\)\s*\|\s*([\d,]+)", re.MULTILINE)
BAR = 0.10
# Options both benches know (an earlier bench.py may lack the newer ones).
COMMON = (
    "events",
    "workspaces",
    "duplicates",
    "poison",
    "partitions",
    "batch_max_records",
    "latency_seconds",
)


def export(rev: str, into: Path) -> Path:
    """REV's tree with its locked environment installed; returns its python."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run([uv, "sync", "--frozen", "--quiet"], cwd=into, env=env, check=True)
    return into / ".venv" / "bin" / "python"


def rate_of(python: Path, tree: Path, argv: list[str]) -> float:
    out = subprocess.run(
        [str(python), str(tree / "bench" / "ingest.py"), *argv],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    found = RATE_ROW.search(out.stdout)
    if out.returncode != 0 or found is None:
        sys.stderr.write(out.stdout[-2000:] + out.stderr[-2000:])
        raise SystemExit(f"the bench in {tree} failed")
    return float(found.group(1).replace(",", ""))


def compare(args: argparse.Namespace) -> None:
    rounds = args.rounds
    common = [f"--{name.replace('_', '-')}={getattr(args, name)}" for name in COMMON]
    here = [*common, f"--spread-hours={args.spread_hours}"]
    rates: dict[str, list[float]] = {"before": [], "now": []}
    with tempfile.TemporaryDirectory(prefix="sendfx-bench-against-") as folder:
        print(f"installing {args.against} in {folder} ...", flush=True)
        before = export(args.against, Path(folder))
        for round_ in range(rounds):
            order = ("before", "now") if round_ % 2 == 0 else ("now", "before")
            for side in order:
                if side == "before":
                    rate = rate_of(before, Path(folder), common)
                else:
                    rate = rate_of(Path(sys.executable), ROOT, here)
                rates[side].append(rate)
                print(f"  round {round_ + 1} {side:<6} {rate:>9,.0f} events/s", flush=True)
    old, new = statistics.median(rates["before"]), statistics.median(rates["now"])
    change = new / old - 1
    verdict = "ok" if -change <= BAR else "OVER"
    print()
    print(f"{'ingest rate (median of ' + str(rounds) + ')':<34} | events/s")
    print("-" * 34 + "-|-" + "-" * 22)
    print(f"{args.against + ' (before)':<34} | {old:,.0f}")
    print(f"{'this checkout':<34} | {new:,.0f}")
    print(f"{'change':<34} | {change:+.1%} (bar -{BAR:.0%}: {verdict})")
