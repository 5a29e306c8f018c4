"""`hawk sim run`: compile, run and verify one kernel on the twin."""

from __future__ import annotations

import argparse


def _not_yet(args: argparse.Namespace) -> int:
    raise SystemExit("hawk sim run: the Ascend C twin is not available in this build yet")


def add_sim_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="run kernels on the Ascend C twin")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    run = verbs.add_parser("run", help="compile, run and verify one kernel")
    run.add_argument("kernel")
    run.add_argument("--task")
    run.add_argument("--task-file")
    run.add_argument("--hardware", default="ascend910b2")
    run.add_argument("--json", action="store_true")
    run.set_defaults(handler=_not_yet)
