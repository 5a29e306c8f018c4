"""`hawk campaign ...` and `hawk demo`."""

from __future__ import annotations

import argparse


def _not_yet(args: argparse.Namespace) -> int:
    raise SystemExit(f"hawk campaign {args.verb}: campaigns are not available in this build yet "
                     "(controller issue); use `hawk sim run` or `hawk demo`")


def add_campaign_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="run and inspect search campaigns")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    run = verbs.add_parser("run", help="run a campaign from a TOML spec")
    run.add_argument("spec")
    run.add_argument("--ray-address", default=None, help="an existing Ray cluster (default: start a local one)")
    resume = verbs.add_parser("resume", help="resume an interrupted campaign")
    resume.add_argument("id")
    status = verbs.add_parser("status", help="show campaign progress")
    status.add_argument("id", nargs="?")
    report = verbs.add_parser("report", help="print or render a campaign report")
    report.add_argument("id")
    report.add_argument("--html", metavar="FILE")
    for v in (run, resume, status, report):
        v.set_defaults(handler=_not_yet)


def add_demo_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the end-to-end demo on this machine")
    p.add_argument("--work-dir", default=None, help="where agents keep their caches (default: a temp dir)")

    def _run(args: argparse.Namespace) -> int:
        from controller.demo import run_demo

        return run_demo(args)

    p.set_defaults(handler=_run)
