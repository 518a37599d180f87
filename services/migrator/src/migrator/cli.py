"""The ``migrator`` command: extract, load, replay, verify, reset-factory.

Each command reads its settings from the environment (see ``settings.py``)
and refuses to start when given a store it must not reach.
"""

import asyncio
import signal
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from migrator.mapping.ejson import Unmappable, timestamp
from migrator.metrics import RunFigures
from migrator.settings import extract_settings, load_settings, operator_settings
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER, LegacyCollection
from sendfx_shared.ownership import ForeignStoreConfigured
from sendfx_shared.secrets import DevelopmentSecretRefused

app = typer.Typer(
    name="migrator",
    help="Backfill legacy MongoDB core data into PostgreSQL through a replayable topic.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
T = TypeVar("T")

CollectionsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--collections",
        "-c",
        help="Only these legacy collections (repeat, or comma-separate): "
        + ", ".join(LEGACY_COLLECTIONS_IN_ORDER),
    ),
]


MetricsOption = Annotated[
    Path | None,
    typer.Option(
        "--metrics-textfile",
        help="Also write the run's metrics to this file (node-exporter textfile format).",
    ),
]


def _print_metrics(figures: RunFigures, textfile: Path | None) -> None:
    console.print("[dim]metrics:[/dim]")
    for line in figures.publish(textfile).splitlines():
        if not line.startswith("#"):
            console.print(f"[dim]{escape(line)}[/dim]")


class _Bars:
    """The work's progress as rich bars, one per task."""

    def __init__(self, bars: RichProgress) -> None:
        self._bars = bars
        self._tasks: dict[str, TaskID] = {}

    def start(self, task: str, total: int | None) -> None:
        self._tasks[task] = self._bars.add_task(task, total=total)

    def advance(self, task: str, amount: int) -> None:
        self._bars.advance(self._tasks[task], amount)

    def finish(self, task: str) -> None:
        current = self._bars.tasks[self._tasks[task]]
        self._bars.update(self._tasks[task], total=current.completed)


def _bars() -> RichProgress:
    return RichProgress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(make())
    except (ForeignStoreConfigured, DevelopmentSecretRefused) as exc:
        console.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(2) from exc


def _settings(factory: Callable[[], T]) -> T:
    try:
        return factory()
    except (ForeignStoreConfigured, DevelopmentSecretRefused) as exc:
        console.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(2) from exc


def _collections(values: list[str] | None) -> list[LegacyCollection] | None:
    if not values:
        return None
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    unknown = [n for n in names if n not in LEGACY_COLLECTIONS_IN_ORDER]
    if unknown:
        raise typer.BadParameter(
            f"unknown collection(s) {', '.join(unknown)}; "
            f"known: {', '.join(LEGACY_COLLECTIONS_IN_ORDER)}",
            param_hint="--collections",
        )
    return [cast(LegacyCollection, n) for n in names]


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return timestamp(value, option)
    except Unmappable as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


@app.command()
def extract(
    collections: CollectionsOption = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only documents updated (else created) at or after this date/time."),
    ] = None,
    restart: Annotated[
        bool, typer.Option(help="Ignore the checkpoints of an unfinished run and start over.")
    ] = False,
    metrics_textfile: MetricsOption = None,
) -> None:
    """Publish every legacy core document to migrator.core-records, parents first.

    Needs MongoDB (LEGACY_MONGO_URL, else MONGO_URL) and Kafka only. Resumes an
    unfinished run from its checkpoints (collection migrator_checkpoints).
    """
    from migrator.extract import run_extract

    settings = _settings(extract_settings)
    chosen = _collections(collections)
    since_moment = _moment(since, "--since")
    figures = RunFigures("extract")
    with _bars() as bars:
        summary = _run(
            lambda: run_extract(
                settings,
                collections=chosen,
                since=since_moment,
                restart=restart,
                progress=_Bars(bars),
            )
        )
    table = Table(title=f"extract → {summary.topic}" + (" (resumed)" if summary.resumed else ""))
    for column in ("collection", "published", "skipped (--since)", "invalid _id", "note"):
        table.add_column(column, justify="left" if column in ("collection", "note") else "right")
    for c in summary.collections:
        note = "done earlier" if c.already_done else ("resumed" if c.resumed else "")
        table.add_row(
            c.collection, str(c.published), str(c.skipped_since), str(len(c.invalid)), note
        )
    table.add_row("total", str(summary.published), "", "", "", style="bold")
    console.print(table)
    for c in summary.collections:
        for problem in c.invalid:
            console.print(f"[yellow]{c.collection}[/yellow] sent to the DLQ: {problem}")
    figures.records = summary.published
    figures.rejects = sum(len(c.invalid) for c in summary.collections)
    _print_metrics(figures, metrics_textfile)


ShowOption = Annotated[int, typer.Option(help="List at most this many merges and rejects.")]


@app.command()
def load(
    follow: Annotated[
        bool, typer.Option(help="Keep consuming until SIGTERM/SIGINT; else stop at the end.")
    ] = False,
    reset_offsets: Annotated[
        bool,
        typer.Option(
            "--reset-offsets",
            help="Forget the stored position and load the topic from its beginning "
            "(for a topic re-created since the last load).",
        ),
    ] = False,
    show: ShowOption = 20,
    metrics_textfile: MetricsOption = None,
) -> None:
    """Upsert the records of migrator.core-records into the core tables.

    Needs PostgreSQL (POSTGRES_URL) and Kafka only. Continues from the position
    of the last load (kept in PostgreSQL); by default stops at the end of the
    topic as seen at the start. Refuses (exit 3, nothing read) a stored position
    that does not belong to the topic, e.g. one re-created since.
    """
    from migrator.load import NotThisTopic, run_load
    from migrator.report import load_report

    settings = _settings(lambda: load_settings("load"))

    async def main() -> Any:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        with _bars() as bars:
            return await run_load(
                settings,
                follow=follow,
                stop=stop,
                progress=_Bars(bars),
                reset_offsets=reset_offsets,
            )

    figures = RunFigures("load")
    try:
        summary = _run(main)
    except NotThisTopic as exc:
        console.print(f"[red]refusing to load:[/red] {escape(str(exc))}")
        raise typer.Exit(3) from exc
    load_report(console, summary, f"load ← {summary.topic}", show)
    _print_metrics(_load_figures(figures, summary), metrics_textfile)


@app.command()
def replay(
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Re-apply the whole topic (the default).")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only records published at or after this timestamp."),
    ] = None,
    collections: CollectionsOption = None,
    show: ShowOption = 20,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what it would change; write nothing.")
    ] = False,
    metrics_textfile: MetricsOption = None,
) -> None:
    """Re-consume migrator.core-records and re-apply it; the rows come out the same.

    Needs PostgreSQL and Kafka only. Does not move the position of `load`,
    unless that does not belong to the topic and the replay reads all of it
    (no --since, no --collections): then the next load continues after it.
    Rows the platform changed after they were migrated are kept as they are.
    Asks for confirmation unless --yes (--dry-run only counts).
    """
    from migrator.load import run_replay
    from migrator.report import load_report

    if from_beginning and since:
        raise typer.BadParameter("give either --from-beginning or --since", param_hint="--since")
    settings = _settings(lambda: load_settings("replay"))
    since_moment = _moment(since, "--since")
    chosen = _collections(collections)
    if not (yes or dry_run):
        # Interactive, or refused: a replay rewrites every migrated row that
        # differs from its record (see --dry-run for how many).
        typer.confirm(
            "Replay re-applies the topic to the core rows (rows changed in the platform "
            "are kept). Continue?",
            abort=True,
        )
    figures = RunFigures("replay")
    with _bars() as bars:
        summary = _run(
            lambda: run_replay(
                settings,
                since=since_moment,
                collections=chosen,
                progress=_Bars(bars),
                dry_run=dry_run,
            )
        )
    title = f"replay ← {summary.topic}" + (" (dry run: nothing was written)" if dry_run else "")
    load_report(console, summary, title, show)
    _print_metrics(_load_figures(figures, summary), metrics_textfile)


def _load_figures(figures: RunFigures, summary: Any) -> RunFigures:
    """A load's or replay's figures from its summary (``LoadSummary``)."""
    fates = summary.tally.fates
    figures.records = summary.tally.read
    figures.rejects = len(summary.rejects)
    figures.merges = fates["merged"]
    figures.fates = dict(fates)
    return figures


@app.command()
def verify(
    collections: CollectionsOption = None,
    show: Annotated[int, typer.Option(help="List at most this many ids per kind of drift.")] = 20,
) -> None:
    """Compare the legacy collections with the core tables; exit 1 on drift.

    An operator command: needs both MongoDB (the legacy data) and PostgreSQL.
    """
    from migrator.report import verify_report
    from migrator.verify import run_verify

    settings = _settings(operator_settings)
    report = _run(lambda: run_verify(settings, _collections(collections)))
    verify_report(console, report, show)
    if report.has_drift:
        console.print("[red]drift found[/red]")
        raise typer.Exit(1)
    console.print("[green]no drift[/green]")


@app.command("reset-factory")
def reset_factory(
    yes_i_know: Annotated[
        bool, typer.Option("--yes-i-know", help="Really delete; else only show what would go.")
    ] = False,
) -> None:
    """Delete all core rows, feature data and migrator state, keeping admin@sendfx.ai.

    The migrator's state is its aliases, pending records, rejects, load's stored
    offsets and extract's checkpoints: afterwards extract and load start a fresh
    migration. An operator command: needs PostgreSQL (POSTGRES_URL) and MongoDB
    (MONGO_URL; LEGACY_MONGO_URL for the checkpoints, if elsewhere).
    """
    from migrator.reset import run_reset

    settings = _settings(operator_settings)
    plan = _run(lambda: run_reset(settings, confirmed=yes_i_know))
    table = Table(title="reset-factory: deleted" if plan.done else "reset-factory would delete")
    table.add_column("where")
    table.add_column("rows / documents", justify="right")
    for where, count in plan.counts.items():
        table.add_row(where, str(count))
    table.add_row("total", str(plan.total), style="bold")
    console.print(table)
    console.print("kept: user admin@sendfx.ai, collection adminlogsettings, core.model_prices")
    if not plan.done:
        console.print("nothing deleted; run again with --yes-i-know to delete")
