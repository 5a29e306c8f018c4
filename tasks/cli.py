"""`hawk tasks list|show`."""

from __future__ import annotations

import argparse


def _not_yet(args: argparse.Namespace) -> int:
    raise SystemExit("hawk tasks: the task catalogue is not available in this build yet")


def add_tasks_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="list and show operator tasks")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.add_parser("list", help="list tasks").set_defaults(handler=_not_yet)
    show = verbs.add_parser("show", help="show one task")
    show.add_argument("name")
    show.set_defaults(handler=_not_yet)
