"""The summary ``load`` and ``replay`` print: per collection, what became of
every record read (adding up to what the topic held in the range read), the
merges, kept rows and rejects, and what the operator must know about the
position; and the report ``verify`` prints."""

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from migrator.load import LoadSummary
from migrator.load.tally import FATES, Tally
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER

if TYPE_CHECKING:  # verify reads MongoDB: the load's report must not import it
    from migrator.verify import DriftReport

_LABELS = {"waiting": "waiting for a parent"}


def _listing(
    console: Console, title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]
) -> None:
    if not rows:
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def accounting(tally: Tally) -> list[str]:
    """The range read and what became of each record in it, as lines of text."""
    spans = ", ".join(
        f"partition {partition}: {end - start} from offset {start}"
        for partition, (start, end) in sorted(tally.spans.items())
    )
    lines = [
        f"topic: {tally.held} records in the range read ({spans or 'no partitions'}); "
        f"{tally.before} before it, not read by this run"
    ]
    shown = [f for f in FATES if f != "unaccounted" or tally.fates[f]]
    lines.append(
        f"records read: {tally.read} = "
        + " + ".join(f"{tally.fates[fate]} {_LABELS.get(fate, fate)}" for fate in shown)
    )
    if tally.held != tally.read:
        lines.append(f"({tally.held - tally.read} offsets in the range held no record)")
    return lines


def load_report(console: Console, summary: LoadSummary, title: str, show: int) -> None:
    rejected = Counter(collection for collection, _, _ in summary.rejects)
    table = Table(title=title)
    for column in (
        "collection",
        "migrated now",
        "rejected (table)",
        "of which: no parent",
        "normalised",
    ):
        table.add_column(column, justify="left" if column == "collection" else "right")
    outcome = summary.outcome
    for collection in LEGACY_COLLECTIONS_IN_ORDER:
        table.add_row(
            collection,
            str(outcome.migrated[collection]),
            str(rejected[collection]),
            str(summary.waiting.get(collection, 0)),
            str(outcome.normalised[collection]),
        )
    console.print(table)
    for line in accounting(summary.tally):
        console.print(escape(line))
    listings: list[tuple[str, tuple[str, str, str], Sequence[tuple[str, str, str]]]] = [
        (
            f"accounts merged (emails differing only in case): {len(summary.merges)}",
            ("merged legacy id", "into legacy id", "email"),
            summary.merges,
        ),
        (
            f"merged into rows created in the platform: {len(summary.platform_merges)}",
            ("collection", "legacy id", "the row"),
            summary.platform_merges,
        ),
        (
            f"kept: {len(summary.kept)} rows the platform changed after they were migrated",
            ("collection", "legacy id", "platform change"),
            summary.kept,
        ),
        (
            f"rejected records: {len(summary.rejects)} (all in migrator.migration_rejects)",
            ("collection", "legacy id", "reason"),
            summary.rejects,
        ),
    ]
    for title, headers, rows in listings:
        _listing(console, title, headers, rows[:show])
    if max(len(rows) for _, _, rows in listings) > show:
        console.print(f"(first {show} of each listed; --show N for more)")
    for note in summary.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")


def verify_report(console: Console, report: "DriftReport", show: int) -> None:
    """verify's table per collection, then the ids of each kind of drift and
    of the rows kept (the platform's, not drift)."""
    table = Table(title="verify: legacy collections against core tables")
    headers = ("collection", "legacy", "expected rows", "table rows", "rejected", "merged", "kept")
    for column in (*headers, "missing", "extra", "differing", "unreported"):
        table.add_column(column, justify="left" if column == "collection" else "right")
    for c in report.collections:
        table.add_row(
            c.collection,
            *(str(n) for n in (c.legacy, c.expected, c.table, c.rejected, c.merged, len(c.kept))),
            *(
                f"[red]{n}[/red]" if n else "0"
                for n in (len(c.missing), len(c.extra), len(c.differing), len(c.unreported))
            ),
        )
    console.print(table)
    for c in report.collections:
        for kind, ids in (
            ("missing", c.missing),
            ("extra", c.extra),
            ("unreported reject", c.unreported),
        ):
            for legacy_id in ids[:show]:
                console.print(f"{kind}: {c.collection} {legacy_id}")
        for legacy_id, fields in list(c.differing.items())[:show]:
            console.print(f"differing: {c.collection} {legacy_id}: {', '.join(fields)}")
        for legacy_id in c.kept[:show]:
            console.print(f"kept (the platform's row, not drift): {c.collection} {legacy_id}")
        for raw_id in c.invalid_ids[:show]:
            console.print(f"_id is no ObjectId (sent to the DLQ): {c.collection} {raw_id}")
