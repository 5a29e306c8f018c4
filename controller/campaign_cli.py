"""`hawk campaign run|resume|status|report` and `hawk demo`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from pathlib import Path


def _guarded(handler):
    """Bad input below a verb (a corrupt or foreign store, an invalid spec or task, an unknown campaign) is one
    line and exit 2, never a traceback (docs/cli.md)."""
    def run(args: argparse.Namespace) -> int:
        import sqlite3

        from controller.spec import SpecError
        from controller.store import StoreError
        from npu_agent.taskspec import TaskError

        try:
            return handler(args)
        except (StoreError, SpecError, TaskError) as e:
            raise SystemExit(f"hawk campaign {args.verb}: {e}") from None
        except sqlite3.DatabaseError as e:
            where = args.store or "the results database"
            raise SystemExit(f"hawk campaign {args.verb}: {where} is not a usable hawk results database: {e}") from None

    return run


def _register_secrets(spec) -> None:
    """The controller's own secrets (the LLM key the spec names, secret-looking environment variables) are
    scrubbed from everything it stores; the farm token and TLS key register themselves when read."""
    import os

    from npu_agent import secrets

    secrets.register_environment()
    secrets.register(os.environ.get(spec.llm.api_key_env, ""))


def _store(args: argparse.Namespace, must_exist: bool = False):
    from controller.farm import default_store_path
    from controller.store import ResultsStore

    path = Path(args.store) if args.store else default_store_path()
    if must_exist and not path.exists():
        raise SystemExit(f"hawk campaign {args.verb}: no results database at {path} (no campaign has run with "
                         "this --store or HAWK_HOME)")
    return ResultsStore(path)


def _finish(store, cid: str, spec) -> int:
    from controller.report import summary_text, write_html

    print(summary_text(store, cid))
    out = Path(spec.output_dir)
    out = out if out.is_absolute() else spec.base_dir / out
    html = write_html(store, cid, out / f"{cid}.html")
    print(f"report: {html}")
    row = store.campaign(cid)
    if row["state"] == "finished":
        return 0
    print(f"hawk campaign: campaign {cid} {row['state']}: {row['reason']}", file=sys.stderr)
    return 1


def _progress(args: argparse.Namespace):
    """The live view of a run (controller/progress.py), or None with --quiet."""
    from controller.progress import CampaignProgress

    return contextlib.nullcontext() if args.quiet else CampaignProgress(interval_s=args.progress_interval)


def _run(args: argparse.Namespace) -> int:
    from controller.farm import run_campaign
    from controller.spec import SpecError, load_spec
    from npu_agent.taskspec import TaskError

    try:
        spec = load_spec(args.spec)
    except SpecError as e:
        raise SystemExit(f"hawk campaign run: {e}") from None
    _register_secrets(spec)
    store = _store(args)
    try:
        with _progress(args) as progress:
            cid = asyncio.run(run_campaign(spec, store, ray_address=args.ray_address, on_update=progress,
                                           metrics_port=args.metrics_port,
                                           scheduler_metrics_port=args.scheduler_metrics_port,
                                           metrics_host=args.metrics_host))
    except (TaskError, SpecError) as e:
        raise SystemExit(f"hawk campaign run: {e}") from None
    return _finish(store, cid, spec)


def _resume(args: argparse.Namespace) -> int:
    from controller.farm import run_campaign
    from controller.spec import SpecError, parse_spec
    from controller.store import StoreError
    from npu_agent.taskspec import TaskError

    store = _store(args, must_exist=True)
    try:
        row = store.campaign(args.id)
        base = Path(args.spec_dir) if args.spec_dir else Path(row["base_dir"] or Path.cwd())
        spec = parse_spec(row["spec"], base_dir=base, where=f"the spec of campaign {args.id}")
        _register_secrets(spec)
        if row["state"] == "finished":
            print(f"campaign {args.id} is already finished")
            return _finish(store, args.id, spec)
        with _progress(args) as progress:
            asyncio.run(run_campaign(spec, store, ray_address=args.ray_address, campaign_id=args.id,
                                     on_update=progress, metrics_port=args.metrics_port,
                                     scheduler_metrics_port=args.scheduler_metrics_port,
                                     metrics_host=args.metrics_host))
    except (StoreError, SpecError, TaskError) as e:
        raise SystemExit(f"hawk campaign resume: {e}") from None
    return _finish(store, args.id, spec)


def _status(args: argparse.Namespace) -> int:
    from controller.farm import default_store_path
    from controller.report import summary_text
    from controller.store import StoreError

    if args.id is None and not args.store and not default_store_path().exists():  # nothing ran here yet
        print("[]" if args.json else "no campaigns yet")  # and a status query creates no database
        return 0
    store = _store(args, must_exist=True)
    if args.id is None:
        rows = store.campaigns()
        if args.json:
            print(json.dumps([{k: r[k] for k in ("id", "name", "team", "state", "reason")} for r in rows], indent=2))
        else:
            for r in rows:
                counts = store.counts(r["id"])
                done = sum(v for k, v in counts.items() if k != "pending")
                print(f"{r['id']:48s} {r['state']:9s} {r['team']:10s} evaluated {done:5d} pending {counts['pending']}")
            if not rows:
                print("no campaigns yet")
        return 0
    try:
        if args.json:
            print(json.dumps(_status_json(store, args.id), indent=2, default=str))
        else:
            print(summary_text(store, args.id))
    except StoreError as e:
        raise SystemExit(f"hawk campaign status: {e}") from None
    return 0


def _status_json(store, cid: str) -> dict:
    """One campaign as `hawk campaign status ID --json` prints it: its row, counts and per-task results."""
    from controller.report import collect

    row = store.campaign(cid)
    tasks = [{"task": r.task, "evaluations": r.evaluations, "passed": r.passed, "baseline_us": r.baseline_us,
              "best_us": r.best_us, "best_speedup": r.best_speedup, "best_floor": r.best_floor,
              "statuses": dict(r.statuses), "bottlenecks": dict(r.bottlenecks)}
             for r in collect(store, cid).values()]
    return {**{k: row[k] for k in ("id", "name", "team", "state", "reason")}, "counts": store.counts(cid),
            "tasks": tasks}


def _report(args: argparse.Namespace) -> int:
    from controller.report import summary_text, write_html
    from controller.store import StoreError

    store = _store(args, must_exist=True)
    try:
        print(summary_text(store, args.id))
    except StoreError as e:
        raise SystemExit(f"hawk campaign report: {e}") from None
    if args.html:
        print(f"report: {write_html(store, args.id, args.html)}")
    return 0


def add_campaign_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="run and inspect search campaigns")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")

    def common(v: argparse.ArgumentParser) -> None:
        v.add_argument("--store", default=None, help="results database (default: $HAWK_HOME/results.sqlite)")

    from npu_agent.cli import host_arg, port_arg, seconds_arg

    def progress_interval(v: argparse.ArgumentParser) -> None:
        v.add_argument("--progress-interval", type=seconds_arg(0, 86400), default=10.0, metavar="SECONDS",
                       help="off a terminal, print a progress line at most this often (default 10; on a "
                       "terminal the bars redraw in place)")

    def serving(v: argparse.ArgumentParser) -> None:
        v.add_argument("--metrics-port", type=port_arg, default=None,
                       help="serve hawk_campaign_*/hawk_llm_*/hawk_knowledge_* metrics on this port")
        v.add_argument("--scheduler-metrics-port", type=port_arg, default=None,
                       help="serve the scheduler actor's hawk_scheduler_* metrics on this port")
        v.add_argument("--metrics-host", type=host_arg, default="127.0.0.1",
                       help="address the metrics ports bind (default 127.0.0.1, loopback only; give 0.0.0.0 or "
                       "an interface address explicitly for a Prometheus on another host)")

    run = verbs.add_parser("run", help="run a campaign from a TOML spec (docs/campaign-example.toml)")
    run.add_argument("spec")
    run.add_argument("--ray-address", default=None, help="an existing Ray cluster (default: start a local one)")
    run.add_argument("--quiet", action="store_true", help="no live progress view")
    progress_interval(run)
    common(run)
    serving(run)
    run.set_defaults(handler=_guarded(_run))
    resume = verbs.add_parser("resume", help="resume an interrupted campaign")
    resume.add_argument("id")
    resume.add_argument("--ray-address", default=None)
    resume.add_argument("--spec-dir", default=None,
                        help="folder the spec's relative paths refer to (default: where the spec was when it ran)")
    resume.add_argument("--quiet", action="store_true", help="no live progress view")
    progress_interval(resume)
    common(resume)
    serving(resume)
    resume.set_defaults(handler=_guarded(_resume))
    status = verbs.add_parser("status", help="list campaigns, or show one")
    status.add_argument("id", nargs="?")
    status.add_argument("--json", action="store_true", help="machine-readable output (JSON only on stdout)")
    common(status)
    status.set_defaults(handler=_guarded(_status))
    report = verbs.add_parser("report", help="print a campaign's summary; --html writes the full report")
    report.add_argument("id")
    report.add_argument("--html", metavar="FILE")
    common(report)
    report.set_defaults(handler=_guarded(_report))


def add_demo_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the end-to-end demo on this machine")
    p.add_argument("--work-dir", default=None, help="where the demo keeps agents' caches and reports")

    def _demo(args: argparse.Namespace) -> int:
        from controller.demo import run_demo

        return run_demo(args)

    p.set_defaults(handler=_demo)

