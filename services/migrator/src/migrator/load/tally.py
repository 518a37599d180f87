"""What became of every record a load or replay read: the summary's accounting.

Each message read falls in exactly one fate, so the fates add up to the
records the topic held in the range read; a run that reads nothing, or less
than the range holds, cannot pass for a complete one. A record is counted
where it ended in this run: one that waited for its parent and found it in a
later batch counts as applied, not as waiting. (A row displaced later by an
older rival keeps the fate it had when it was read; the rejects list says
what became of it.) A record written and then displaced by an older rival
later in the same run counts once, where it ended: rejected (a tier: merged).
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from migrator.load.position import LastApplied

Key = tuple[str, str]
Fate = Literal[
    "applied",  # the row was written (new or changed)
    "already applied",  # the row was there already, identical: nothing written
    "merged",  # merged into an older record's row (email, code) or a platform row
    "kept",  # the platform changed the row after it was migrated: left as it is
    "rejected",  # in migrator.migration_rejects with the reason
    "waiting",  # its parent is missing (reported as rejected at the end of a load)
    "malformed",  # not a core record at all: to the DLQ
    "superseded",  # a later version of the same record came in the same batch
    "not selected",  # a replay's --since / --collections left it out
    "unaccounted",  # none of the above: a bug, shown rather than hidden
]
FATES: Final[tuple[Fate, ...]] = (
    "applied",
    "already applied",
    "merged",
    "kept",
    "rejected",
    "waiting",
    "malformed",
    "superseded",
    "not selected",
    "unaccounted",
)


@dataclass
class BatchOutcome:
    migrated: Counter[str] = field(default_factory=Counter)
    waiting: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    normalised: Counter[str] = field(default_factory=Counter)
    # The fate of each record of the batch, and of each earlier one retried.
    arrived: dict[Key, Fate] = field(default_factory=dict)
    retried: dict[Key, Fate] = field(default_factory=dict)
    superseded: int = 0
    # Records of earlier batches whose rows an older rival took in this one,
    # and their fate now (rejected, or merged for a tier).
    displaced: dict[Key, Fate] = field(default_factory=dict)

    def add(self, other: "BatchOutcome") -> None:
        self.migrated.update(other.migrated)
        self.waiting.update(other.waiting)
        self.rejected.update(other.rejected)
        self.normalised.update(other.normalised)


@dataclass(frozen=True)
class Seen:
    """What one batch's upserts found, per record key."""

    migrated: set[Key]
    changed: set[Key]  # rows the upsert wrote (by the legacy id the row holds)
    held_by_other: set[Key]  # users whose row another (older) account holds
    merged: set[Key]  # tiers merged into an older tier's row (also rejected), platform merges
    kept: set[Key]  # rows the platform changed after they were migrated
    rejected: set[Key]
    waiting: set[Key]

    def fate(self, key: Key) -> Fate:
        # The first set holding the key decides: a merge or a reject outranks
        # what the rows alone would say.
        ranked: tuple[tuple[set[Key], Fate], ...] = (
            (self.merged, "merged"),
            (self.rejected, "rejected"),
            (self.waiting, "waiting"),
            (self.held_by_other, "merged"),
            (self.kept, "kept"),
            (self.changed, "applied"),
            (self.migrated, "already applied"),
        )
        return next((fate for keys, fate in ranked if key in keys), "unaccounted")


@dataclass
class Tally:
    fates: Counter[Fate] = field(default_factory=Counter)
    # partition → [first offset of the range read, offset after its last record]
    spans: dict[int, list[int]] = field(default_factory=dict)
    # Records on the topic before the position the run started from.
    before: int = 0
    # partition → the offset after its last record, when the run started.
    ends: dict[int, int] = field(default_factory=dict)
    # The fate of the last message of each record read in this run, so that a
    # later batch can move it (a waiting record finding its parent, a written
    # one displaced).
    _last: dict[Key, Fate] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return sum(self.fates.values())

    @property
    def held(self) -> int:
        """Records the topic held in the range read (offsets, so gaps would show)."""
        return sum(end - start for start, end in self.spans.values())

    @property
    def after(self) -> int:
        """Records the topic held at the start that the run did not reach."""
        return sum(max(0, end - self.spans.get(p, [0, 0])[1]) for p, end in self.ends.items())

    def start(
        self, begins: Mapping[int, int], positions: Mapping[int, int], ends: Mapping[int, int]
    ) -> None:
        self.spans = {p: [positions[p], positions[p]] for p in positions}
        self.before = sum(max(0, positions[p] - begins.get(p, 0)) for p in positions)
        self.ends = dict(ends)

    def count(
        self,
        outcome: BatchOutcome,
        last: Mapping[int, LastApplied],
        *,
        malformed: int,
        not_selected: int,
    ) -> None:
        for partition, applied in last.items():
            span = self.spans.setdefault(partition, [applied.offset, applied.offset])
            span[1] = max(span[1], applied.offset + 1)
        self.fates["malformed"] += malformed
        self.fates["not selected"] += not_selected
        self.fates["superseded"] += outcome.superseded
        for key, fate in outcome.arrived.items():
            if self._last.get(key) == "waiting":
                # An earlier message of this run waited: this one supersedes it.
                self._moved(key, "superseded")
            self.fates[fate] += 1
            self._last[key] = fate
        for key, fate in outcome.retried.items():
            # Only records read earlier in this run are this run's to count.
            if self._last.get(key) == "waiting" and fate != "waiting":
                self._moved(key, fate)
        for key, fate in outcome.displaced.items():
            # Written earlier in this run, then displaced by an older rival:
            # counted once, where it ended.
            if self._last.get(key) in ("applied", "already applied"):
                self._moved(key, fate)

    def _moved(self, key: Key, fate: Fate) -> None:
        self.fates[self._last[key]] -= 1
        self.fates[fate] += 1
        self._last[key] = fate


@dataclass
class LoadSummary:
    topic: str
    consumed: int = 0
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    malformed: int = 0
    # (collection, legacy id, reason) of every record rejected so far.
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    # (merged legacy id, surviving legacy id, email) of every email merge.
    merges: list[tuple[str, str, str]] = field(default_factory=list)
    # (collection, legacy id, when) of rows the platform changed after they
    # were migrated, left as they are; and of platform rows records merged into.
    kept: list[tuple[str, str, str]] = field(default_factory=list)
    platform_merges: list[tuple[str, str, str]] = field(default_factory=list)
    # Per collection: records still waiting for a parent (also among the rejects).
    waiting: dict[str, int] = field(default_factory=dict)
    # What became of load's stored position, for the operator.
    notes: list[str] = field(default_factory=list)
    # What became of each record read, and the range of the topic read.
    tally: Tally = field(default_factory=Tally)

    @property
    def warnings(self) -> list[str]:
        """What the operator must not miss: records the run did not read."""
        found = []
        if not self.tally.read and self.tally.before:
            found.append(
                f"this run read no records, but the topic holds {self.tally.before} before "
                "the position it started from. They were applied by earlier loads (the "
                "record at the stored position is the one they applied); if not, "
                "`migrator replay --from-beginning` re-applies them."
            )
        if self.tally.after:
            found.append(
                f"{self.tally.after} records the topic held when this run started were "
                "not read (it was stopped first); the next load reads them."
            )
        return found
