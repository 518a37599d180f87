"""A run's figures as Prometheus metrics: printed at the end of the run, and
written as a node-exporter textfile (``--metrics-textfile``) for a collector
that scrapes finished batch jobs.

One gauge family per figure, labelled by the command (``extract``, ``load``,
``replay``) and, for records, by their fate (a fixed list): never by record
or collection id.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest, write_to_textfile


@dataclass
class RunFigures:
    command: str
    started: float = field(default_factory=time.monotonic)
    records: int = 0
    rejects: int = 0
    merges: int = 0
    fates: Mapping[str, int] = field(default_factory=dict)

    def registry(self) -> CollectorRegistry:
        seconds = max(time.monotonic() - self.started, 1e-9)
        registry = CollectorRegistry()
        labels = ["command"]

        def gauge(name: str, text: str, value: float) -> None:
            Gauge(name, text, labels, registry=registry).labels(self.command).set(value)

        gauge("sendfx_migrator_records", "Records the run handled", self.records)
        gauge("sendfx_migrator_records_per_second", "Records per second", self.records / seconds)
        gauge("sendfx_migrator_rejects", "Records rejected (with the reason)", self.rejects)
        gauge("sendfx_migrator_merges", "Legacy records merged into a row", self.merges)
        gauge("sendfx_migrator_run_seconds", "How long the run took", seconds)
        gauge("sendfx_migrator_last_run_timestamp_seconds", "When the run ended", time.time())
        fates = Gauge(
            "sendfx_migrator_record_fates",
            "Records by what became of them",
            ["command", "fate"],
            registry=registry,
        )
        for fate, count in self.fates.items():
            fates.labels(self.command, fate.replace(" ", "_")).set(count)
        return registry

    def publish(self, textfile: Path | None) -> str:
        """The exposition text (to print); also written to ``textfile`` when given
        (atomically: node-exporter never reads half a file)."""
        registry = self.registry()
        if textfile is not None:
            write_to_textfile(str(textfile), registry)
        return generate_latest(registry).decode()
