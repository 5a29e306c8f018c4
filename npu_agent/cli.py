"""`hawk agent serve`: run an NPU agent."""

from __future__ import annotations

import argparse


def _not_yet(args: argparse.Namespace) -> int:
    raise SystemExit("hawk agent serve: not available in this build yet")


def add_agent_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agent", help="run an NPU agent")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    serve = verbs.add_parser("serve", help="serve the NpuAgent gRPC service")
    serve.add_argument("--port", type=int, required=True)
    serve.set_defaults(handler=_not_yet)
