"""The `hawk` command line. Each verb group lives beside the code it drives and registers itself here.

Group modules import their heavy dependencies (Ray, grpc, numpy) inside their handlers, so `hawk --help`
stays fast and `hawk agent serve` on an NPU host never imports Ray or the OpenAI client.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from controller.noise import quiet_third_party
from npu_agent import __version__
from npu_agent.errors import EXIT_OK, EXIT_USAGE, run_guarded


class _Parser(argparse.ArgumentParser):
    """argparse that names the whole command in its errors and exits with status 2, in one line (the
    full usage is one `--help` away; a screenful of flags would hide the error)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        one = " ".join(message.split())
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one} (usage: {self.prog} --help)\n")


def _groups() -> list[Callable[[argparse._SubParsersAction], None]]:
    from controller.bench_knowledge import add_bench_commands
    from controller.campaign_cli import add_campaign_commands, add_demo_command
    from controller.farm_cli import add_farm_commands
    from knowledge.cli import add_kb_commands
    from npu_agent.cli import add_agent_commands
    from npu_agent.simnpu.cli import add_sim_commands
    from tasks.cli import add_tasks_commands
    from tasks.device_cli import add_twin_vs_device_command

    return [add_demo_command, add_agent_commands, add_campaign_commands, add_kb_commands, add_sim_commands,
            add_tasks_commands, add_bench_commands, add_farm_commands, add_twin_vs_device_command]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hawk", description="Hawk Farm: distributed NPU kernel search with hardware-aware knowledge.")
    parser.add_argument("--version", action="version", version=f"hawk-farm {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more logging, also Ray's and gRPC's own (-vv for debug)")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected error (also HAWK_DEBUG=1; accepted anywhere)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for add in _groups():
        add(sub)
    return parser


def _stdout_gone() -> bool:
    """Whether the reader of stdout went away (`hawk ... | head`); if so stdout becomes /dev/null, so nothing
    (not the interpreter's last flush either) reports the closed pipe. Another broken pipe (a child process's
    stdin) is not ours to hide."""
    import select

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    gone = False
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        gone = True
    except (OSError, ValueError):
        return False
    if not gone and hasattr(select, "poll"):
        poll = select.poll()
        poll.register(fd, select.POLLOUT)
        gone = any(ev & select.POLLERR for _, ev in poll.poll(0))
    if gone:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    return gone


def _pipe_safe(fn: Callable[[], int | None]) -> Callable[[], int | None]:
    """A command whose stdout reader left (`| head`) has done what was asked: exit 0 quietly."""
    def run() -> int | None:
        try:
            return fn()
        except BrokenPipeError:
            if _stdout_gone():
                return EXIT_OK
            raise

    return run


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, then run the verb under the one top-level error handler (exit codes: docs/cli.md)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]  # accepted after the verb too: `hawk sim run K --debug`
    parser = build_parser()
    args = parser.parse_args(argv)
    quiet_third_party(args.verbose)  # before Ray or gRPC start (controller/noise.py)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler = getattr(args, "handler", None)
    if handler is None:  # a group given without its verb, e.g. `hawk campaign`: show its verbs, fail
        with contextlib.suppress(SystemExit):
            parser.parse_args([args.command, "--help"])
        print(f"hawk {args.command}: a verb is required", file=sys.stderr)
        return EXIT_USAGE
    prog = "hawk " + " ".join(str(x) for x in (args.command, getattr(args, "verb", None)) if x)
    code = run_guarded(prog, _pipe_safe(lambda: handler(args)), debug=debug)
    try:
        sys.stdout.flush()  # here, not at interpreter exit, where a closed pipe would print a warning
    except BrokenPipeError:
        _stdout_gone()
    except (OSError, ValueError):
        pass
    return code


if __name__ == "__main__":
    sys.exit(main())
