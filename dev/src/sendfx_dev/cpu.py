"""CPU time of server processes, for the benchmarks' per-record arithmetic."""

import os
from pathlib import Path


def process_cpu_seconds(root_pids: list[int]) -> float:
    """CPU time (user + system) of these processes, of their direct children
    (PostgreSQL's backends) and of the children they have already reaped (a
    backend whose connection closed), from /proc; 0 where /proc is missing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid in root_pids:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid in root_pids:
            total += int(fields[11]) + int(fields[12])
    return total / ticks
