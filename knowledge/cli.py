"""`hawk kb ...`: inspect and maintain the knowledge store."""

from __future__ import annotations

import argparse


def _not_yet(args: argparse.Namespace) -> int:
    raise SystemExit(f"hawk kb {args.verb}: the knowledge store is not available in this build yet")


def add_kb_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kb", help="inspect and maintain the knowledge store")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    for name, helptext, params in (
        ("list", "list entries", []), ("show", "show one entry", ["id"]), ("search", "2-D retrieval", ["query"]),
        ("stats", "store statistics", []), ("export", "export as JSONL", ["file"]),
        ("import", "import JSONL", ["file"]), ("distill", "prune and merge now", []),
    ):
        v = verbs.add_parser(name, help=helptext)
        for param in params:
            v.add_argument(param)
        v.set_defaults(handler=_not_yet)
