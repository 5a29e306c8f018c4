"""The `hawk` command line. Each verb group lives beside the code it drives and registers itself here.

Group modules import their heavy dependencies (Ray, grpc, numpy) inside their handlers, so `hawk --help`
stays fast and `hawk agent serve` on an NPU host never imports Ray or the OpenAI client.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence

from npu_agent import __version__


class _Parser(argparse.ArgumentParser):
    """argparse that names the whole command in its errors and exits with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _groups() -> list[Callable[[argparse._SubParsersAction], None]]:
    from controller.campaign_cli import add_campaign_commands, add_demo_command
    from knowledge.cli import add_kb_commands
    from npu_agent.cli import add_agent_commands
    from npu_agent.simnpu.cli import add_sim_commands
    from tasks.cli import add_tasks_commands

    return [add_demo_command, add_agent_commands, add_campaign_commands, add_kb_commands, add_sim_commands,
            add_tasks_commands]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hawk", description="Hawk Farm: distributed NPU kernel search with hardware-aware knowledge.")
    parser.add_argument("--version", action="version", version=f"hawk-farm {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for add in _groups():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler = getattr(args, "handler", None)
    if handler is None:  # a group given without its verb, e.g. `hawk campaign`: show its verbs, fail
        with contextlib.suppress(SystemExit):
            parser.parse_args([args.command, "--help"])
        print(f"hawk {args.command}: a verb is required", file=sys.stderr)
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as e:
        # Bad input that reached a handler (a path that is not there, an unknown profile, a malformed file):
        # one line naming the problem; -v shows the traceback for bug reports.
        if args.verbose:
            raise
        what = " ".join(str(x) for x in (args.command, getattr(args, "verb", None)) if x)
        detail = f"{e.strerror}: {e.filename}" if isinstance(e, OSError) and e.filename else str(e)
        print(f"hawk {what}: error: {detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
