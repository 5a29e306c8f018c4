"""Exit codes of every `hawk` command and the one top-level handler that maps errors to them.

Scripts and CI branch on the exit code, so it must say what kind of failure happened, and a user must never
see a traceback for bad input: known error types become one line on stderr and a documented code
(docs/cli.md); anything else is an internal error, one line plus how to get the traceback.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable

EXIT_OK = 0            # the command did what it was asked; a candidate was OK
EXIT_FAILED = 1        # it ran, and the answer is negative: candidate not OK, campaign not finished
EXIT_USAGE = 2         # bad usage or bad input: flags, values, files, specs, task files, TLS material, stores
EXIT_UNREACHABLE = 3   # cannot reach or authenticate to an agent, registry, Ray cluster or port
EXIT_INTERNAL = 4      # an unexpected error of ours (a bug): rerun with --debug or HAWK_DEBUG=1
EXIT_INTERRUPTED = 130  # Ctrl-C

DEBUG_HINT = "run with --debug (or HAWK_DEBUG=1) for the traceback"


class CliError(Exception):
    """An error meant for the user: its message is the whole story, `code` the exit code."""

    code = EXIT_USAGE

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class UsageError(CliError):
    """Bad input: a value out of range, an unreadable or malformed file."""

    code = EXIT_USAGE


class UnreachableError(CliError):
    """A peer (agent, registry, cluster) cannot be reached or refused our credentials, or a port is taken."""

    code = EXIT_UNREACHABLE


def debug_enabled() -> bool:
    return os.environ.get("HAWK_DEBUG", "") not in ("", "0")


def _one_line(text: str) -> str:
    lines = [x.strip() for x in str(text).strip().splitlines() if x.strip()]
    return "; ".join(lines) if lines else "(no message)"


def classify(e: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for an exception that reached the top of a command."""
    if isinstance(e, CliError):
        return e.code, _one_line(str(e))
    if isinstance(e, sqlite3.DatabaseError):  # corrupt or foreign file given as a store
        return EXIT_USAGE, f"not a usable database: {_one_line(str(e))}"
    if isinstance(e, ConnectionError | TimeoutError) and not getattr(e, "filename", None):
        return EXIT_UNREACHABLE, _one_line(str(e) or type(e).__name__)  # a peer or cluster we cannot reach
    if isinstance(e, OSError):
        if e.filename:
            return EXIT_USAGE, f"{e.strerror or _one_line(str(e))}: {e.filename}"
        return EXIT_USAGE, _one_line(str(e) or type(e).__name__)
    if isinstance(e, UnicodeDecodeError):
        return EXIT_USAGE, f"not UTF-8 text: {_one_line(str(e))}"
    if isinstance(e, KeyError) and type(e) is not KeyError:  # a named lookup error (EntryNotFound, ...)
        return EXIT_USAGE, _one_line(str(e.args[0]) if e.args else type(e).__name__)
    if isinstance(e, ValueError | OverflowError):  # SpecError, TaskError, CandidateError, UnknownHardwareProfile
        return EXIT_USAGE, _one_line(str(e))
    try:  # grpc is optional for the handler itself
        import grpc

        if isinstance(e, grpc.RpcError) and e.code() in (grpc.StatusCode.UNAVAILABLE,
                                                        grpc.StatusCode.UNAUTHENTICATED,
                                                        grpc.StatusCode.PERMISSION_DENIED,
                                                        grpc.StatusCode.DEADLINE_EXCEEDED):
            return EXIT_UNREACHABLE, f"{e.code().name}: {_one_line(e.details() or '')}"
    except ImportError:  # pragma: no cover
        pass
    code = getattr(e, "code", None)  # npu_agent.client.AgentError carries a grpc.StatusCode
    if code is not None and getattr(code, "name", "") in ("UNAVAILABLE", "UNAUTHENTICATED", "PERMISSION_DENIED",
                                                          "DEADLINE_EXCEEDED"):
        return EXIT_UNREACHABLE, _one_line(str(e))
    return EXIT_INTERNAL, f"internal error: {type(e).__name__}: {_one_line(str(e))} ({DEBUG_HINT})"


def run_guarded(prog: str, fn: Callable[[], int | None], *, debug: bool = False) -> int:
    """Run one command: its return value is the exit code; errors become one line on stderr and a code.

    `SystemExit("text")` (how handlers refuse bad input) exits EXIT_USAGE with the text as is; an integer
    SystemExit passes through. With `debug` (or HAWK_DEBUG=1) unexpected errors propagate with their traceback.
    """
    debug = debug or debug_enabled()
    try:
        return int(fn() or 0)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return int(e.code or 0)
        text = _one_line(str(e.code))
        print(text if text.startswith("hawk") else f"{prog}: error: {text}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:
        code, message = classify(e)
        if debug and code == EXIT_INTERNAL:
            raise
        print(f"{prog}: error: {message}", file=sys.stderr)
        if debug:
            import traceback

            traceback.print_exc()
        return code
