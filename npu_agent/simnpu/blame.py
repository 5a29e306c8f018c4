"""Who is to blame for a failed compile: the candidate (COMPILE_ERROR) or our infrastructure (INTERNAL).

The controller retries INTERNAL elsewhere and counts it toward an agent's quarantine, and the caches never keep
it; a candidate status is final and cached. So a compiler bomb or an asm typo blamed on the agent quarantines
healthy agents, and a fork failure caused by another tenant blamed on the candidate poisons the cache. The
decision is made here, from the evidence of the failed compile only, in one ordered table (`classify`).

Text the candidate controls (its own diagnostics, `#error` messages, the assembler quoting its instructions)
is removed before looking for infrastructure messages (`_driver_text`), so a source cannot print "No space
left on device" to have itself retried on every agent.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from hawk.v1 import result_pb2

# A diagnostic that GCC or the assembler attributes to a source position: candidate-controlled text.
_POSITIONED = re.compile(r"^[^:\n]+:\d+(?::\d+)?:")
# A message of the toolchain itself (the driver, cc1plus, collect2, ld, as): "g++: fatal error: ...".
_DRIVER = re.compile(r"^(?:\S*/)?(?:[\w.+-]*-)?(?:g\+\+|gcc|c\+\+|cc|cc1plus|cc1|collect2|ld(?:\.bfd|\.gold)?|as|"
                     r"lto-wrapper|hawk-sandbox)(?:-\d+)?: ")
_ASM_ERROR = re.compile(r"^\S+\.s:\d+: (?:Error|Fatal error): |^\{standard input\}:\d+: (?:Error|Fatal error): "
                        r"|Assembler messages:", re.M)
_FORK = re.compile(r"cannot fork|vfork|\bfork\b.*(?:Resource temporarily unavailable|Cannot allocate)|"
                   r"posix_spawn|EAGAIN|Resource temporarily unavailable", re.I)
_NO_SPACE = re.compile(r"No space left on device|Disk quota exceeded|ENOSPC|EDQUOT")
_MISSING = re.compile(r"cannot execute|execvp|No such file or directory|not found", re.I)
_OUT_OF_MEMORY = re.compile(r"out of memory allocating|virtual memory exhausted|Cannot allocate memory|"
                            r"std::bad_alloc|Killed signal terminated program|memory exhausted", re.I)
COMPILER_ERRORS = "the compiler reported errors"
_ICE = re.compile(r"internal compiler error", re.I)


@dataclass(frozen=True)
class Evidence:
    """What a failed compile left behind (npu_agent.sandbox.SandboxResult, reduced to what blame needs)."""

    returncode: int | None
    signal: int | None = None
    timed_out: bool = False
    cancelled: bool = False
    stderr: str = ""
    setup_failed: str | None = None     # the sandbox says it could not start (its own words)
    timeout_s: float = 0.0
    cpu_seconds: int = 0
    memory_bytes: int = 0
    file_size_bytes: int = 0


@dataclass(frozen=True)
class Verdict:
    status: int          # result_pb2 Status: COMPILE_ERROR, INTERNAL or CANCELLED
    reason: str          # one line, for Result.message

    @property
    def candidate(self) -> bool:
        """The candidate caused it: a property of the source, cacheable, never the agent's fault."""
        return self.status == result_pb2.COMPILE_ERROR


def _driver_text(stderr: str) -> str:
    """The toolchain's own messages ("g++: fatal error: ...", "hawk-sandbox: ..."), without any line that
    quotes the candidate (positioned diagnostics, the assembler's "Error:" lines, #error text)."""
    keep = []
    for line in stderr.splitlines():
        if _POSITIONED.match(line) or "Error:" in line or "Warning:" in line or "#error" in line:
            continue
        if _DRIVER.match(line):
            keep.append(line)
    return "\n".join(keep)


def _last(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB"


def classify(e: Evidence) -> Verdict:
    """The status and one-line reason of a compile that did not produce a binary. First matching row wins."""
    driver = _driver_text(e.stderr)
    launcher_failed = e.setup_failed or (e.returncode == 125 and "hawk-sandbox:" in driver)
    table: list[tuple[bool, int, str]] = [
        # -- ours: the compile never got a fair chance
        (bool(launcher_failed), result_pb2.INTERNAL,
         f"the sandbox could not start the compiler: {e.setup_failed or _last(e.stderr)}"),
        (e.cancelled, result_pb2.CANCELLED, "compile cancelled"),
        (bool(_FORK.search(driver)), result_pb2.INTERNAL,
         f"the compiler could not start a process (the agent's process limit, not the candidate): {_last(driver)}"),
        (bool(_NO_SPACE.search(driver)), result_pb2.INTERNAL,
         f"the agent's disk is full (not the candidate): {_last(driver)}"),
        (e.returncode == 127 or (bool(_MISSING.search(driver)) and "cannot execute" in driver), result_pb2.INTERNAL,
         f"the compiler is missing on this agent: {_last(driver) or 'exit status 127'}"),
        # -- the candidate's: a deadline or a limit reached because of what the source asks the compiler to do
        (e.timed_out, result_pb2.COMPILE_ERROR,
         f"the compile of this source exceeded its {e.timeout_s:g} s deadline (e.g. an endless #include or a "
         "macro bomb)"),
        (e.signal == signal.SIGXCPU, result_pb2.COMPILE_ERROR,
         f"the compile of this source exceeded its CPU time limit of {e.cpu_seconds} s (e.g. a template explosion)"),
        (e.signal == signal.SIGXFSZ or "File size limit exceeded" in e.stderr, result_pb2.COMPILE_ERROR,
         f"the compile of this source exceeded its output size limit of {_mib(e.file_size_bytes)} (e.g. a huge "
         ".incbin or generated table)"),
        (bool(_OUT_OF_MEMORY.search(e.stderr)) or (e.signal == signal.SIGABRT and "bad_alloc" in e.stderr),
         result_pb2.COMPILE_ERROR,
         f"the compile of this source exceeded its memory limit of {_mib(e.memory_bytes)} (e.g. #include of an "
         "endless file, a macro bomb or a template explosion)"),
        (bool(_ICE.search(e.stderr)), result_pb2.COMPILE_ERROR,
         f"the compiler crashed on this source: {_last(e.stderr)}"),
        (bool(_ASM_ERROR.search(e.stderr)), result_pb2.COMPILE_ERROR,
         "the assembler refused this source's inline assembly or directives (e.g. an asm typo or an .incbin of a "
         "missing file)"),
        ("error" in e.stderr.lower(), result_pb2.COMPILE_ERROR, COMPILER_ERRORS),
        # -- killed from outside with nothing said: not something a source does to a sandboxed compiler
        (e.signal is not None, result_pb2.INTERNAL,
         f"the compiler was killed by signal {e.signal} without a diagnostic"),
        (not e.stderr.strip(), result_pb2.INTERNAL,
         f"the compiler failed with exit status {e.returncode} and no message"),
    ]
    for matched, status, reason in table:
        if matched:
            return Verdict(status, reason)
    return Verdict(result_pb2.COMPILE_ERROR, f"the compiler failed: {_last(e.stderr)}")
