"""What ``up`` writes down about each component and what it reports back.

``<state>/run/<component>.json`` (a ``RunRecord``) is what ``down`` needs to
stop a component and what ``status`` shows; a ``Result`` is one line of ``up``.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel


class RunRecord(BaseModel):
    """``<state>/run/<component>.json``: what ``down`` needs to stop a component."""

    component: str
    pid: int | None
    port: int
    url: str
    started_by_us: bool
    log: str
    started_at: str
    data_dir: str | None = None


Outcome = Literal["started", "reused", "reloaded", "external", "skipped"]


@dataclass
class Result:
    component: str
    outcome: Outcome
    url: str
    note: str = ""


@dataclass(frozen=True)
class RunRecords:
    """The run records of one state folder, one file a component."""

    run_dir: Path

    def path(self, component: str) -> Path:
        return self.run_dir / f"{component}.json"

    def read(self, component: str) -> RunRecord | None:
        path = self.path(component)
        if not path.exists():
            return None
        try:
            return RunRecord.model_validate_json(path.read_text())
        except ValueError:
            return None

    def write(self, record: RunRecord) -> None:
        path = self.path(record.component)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record.model_dump_json(indent=2) + "\n")

    def forget(self, component: str) -> None:
        self.path(component).unlink(missing_ok=True)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
