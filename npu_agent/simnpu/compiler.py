"""Candidate compilation: one C++ source to one sandboxed binary, cached by content hash.

The candidate is compiled as-is (`kernel.cpp`) through a generated `launch.cpp` that includes it and names the
task's kernel entry, so the compiler's diagnostics already carry the candidate's own line numbers. The
precompiled kernel_operator.h is force-included; the twin runtime object is linked in.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hawk.v1 import result_pb2
from npu_agent.sandbox import Limits, Sandbox
from npu_agent.simnpu.build import CANDIDATE_FLAGS, LINK_FLAGS, TwinBuild
from npu_agent.simnpu.elfcheck import pre_lockdown_code

KERNEL_FILE = "kernel.cpp"
LAUNCH_FILE = "launch.cpp"
BINARY_FILE = "kernel.bin"
_ENTRY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DIAG_RE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<sev>fatal error|error|warning|note):"
                      r"\s*(?P<msg>.*)$")
_FROM_RE = re.compile(r"^(?:In file included from |\s+from )?(?P<file>[^:\s]+):(?P<line>\d+)(?::(?P<col>\d+))?[:,]"
                      r"\s*(?P<rest>.*)$")
COMPILE_LIMITS = Limits(cpu_seconds=120, address_space_bytes=4 << 30, file_size_bytes=256 << 20, processes=32,
                        open_files=256)


@dataclass
class CompileResult:
    status: int                           # result_pb2 Status: OK, COMPILE_ERROR, TIMEOUT, SANDBOX_VIOLATION, REJECTED
    binary: Path | None = None
    message: str = ""
    diagnostics: list[result_pb2.CompilerDiagnostic] = field(default_factory=list)
    cached: bool = False
    seconds: float = 0.0
    log_tail: str = ""
    key: str = ""

    @property
    def ok(self) -> bool:
        return self.status == result_pb2.OK


def cache_key(source: str, entry: str, twin: TwinBuild) -> str:
    h = hashlib.sha256()
    for part in (twin.version, " ".join(CANDIDATE_FLAGS + LINK_FLAGS), entry, source):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _c_library_symbol(name: str) -> bool:
    """Whether `name` is a function of the C library or libm (`sqrt`, `exp`, `floor`, `abs`, ...)."""
    libs = [ctypes.CDLL(None)]
    libm = ctypes.util.find_library("m")
    if libm:
        libs.append(ctypes.CDLL(libm))
    return any(hasattr(lib, name) for lib in libs)


def launch_source(entry: str) -> str:
    """The generated launch.cpp. A kernel entry named like a C library function (public ops are named `sqrt`,
    `exp`, ...) would clash with the C declaration the standard headers make and, being extern "C", replace the
    library's symbol in the binary; the kernel text alone is compiled with the name mapped to `hawk_kernel_<entry>`.
    """
    if _c_library_symbol(entry):
        return (f'#define {entry} hawk_kernel_{entry}\n#include "{KERNEL_FILE}"\n#undef {entry}\n'
                f'#include "hawk/launch.h"\nHAWK_LAUNCH(hawk_kernel_{entry})\n')
    return f'#include "{KERNEL_FILE}"\n#include "hawk/launch.h"\nHAWK_LAUNCH({entry})\n'


def parse_diagnostics(stderr: str, entry: str) -> list[result_pb2.CompilerDiagnostic]:
    """GCC's messages mapped to candidate lines.

    A message in the candidate file keeps its line. A message inside the twin's headers is attributed to the
    last candidate line GCC names in its include/instantiation context ("required from here"), so an error
    that a template reports deep in hawk/vector.h points at the kernel's own call.
    """
    out: list[result_pb2.CompilerDiagnostic] = []
    context_line = 0
    for raw in stderr.splitlines():
        m = _DIAG_RE.match(raw)
        if m is None:
            f = _FROM_RE.match(raw)
            if f and Path(f.group("file")).name == KERNEL_FILE:
                context_line = int(f.group("line"))
            continue
        fname = Path(m.group("file")).name
        sev = "error" if m.group("sev") == "fatal error" else m.group("sev")
        msg = m.group("msg").strip()
        if fname == KERNEL_FILE:
            line, col = int(m.group("line")), int(m.group("col") or 0)
            if sev == "note" and "required from" in msg:
                context_line = line
                continue
            context_line = line if sev != "note" else context_line
        elif fname == LAUNCH_FILE:
            line, col = 0, 0
            if re.search(rf"'{re.escape(entry)}' was not declared", msg) or "not declared in this scope" in msg:
                msg = (f"the kernel entry '{entry}' named by the task is not defined in the source (it must be an "
                       f"extern \"C\" __global__ __aicore__ function; docs/kernel-contract.md)")
            elif "static assertion failed" in msg or "every parameter" in msg:
                msg = f"kernel entry '{entry}': {msg}"
        elif fname in ("ld", "collect2") or "ld returned" in raw:
            line, col = 0, 0
        else:
            if sev == "note":
                continue
            line, col = context_line, 0
            msg = f"{msg} [in twin header {fname}:{m.group('line')}]"
        if sev == "note" and out and out[-1].severity == "note" and len(out) > 50:
            continue
        out.append(result_pb2.CompilerDiagnostic(severity=sev, line=line, column=col, message=msg))
    for raw in stderr.splitlines():  # linker errors have no file:line prefix
        if "undefined reference to" in raw or "multiple definition of" in raw:
            out.append(result_pb2.CompilerDiagnostic(severity="error", line=0, column=0,
                                                     message=raw.split(": ", 1)[-1].strip()))
    return out


def _summary(diags: list[result_pb2.CompilerDiagnostic]) -> str:
    errors = [d for d in diags if d.severity == "error"]
    if not errors:
        return "the compiler failed without a diagnostic"
    first = errors[0]
    where = f"line {first.line}: " if first.line else ""
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}{first.message}{more}"


class CandidateCompiler:
    """Compiles candidates for one twin build into a content-addressed cache directory."""

    def __init__(self, twin: TwinBuild, cache_dir: Path, sandbox: Sandbox, *, max_entries: int = 2000,
                 use_pch: bool = True) -> None:
        self.twin = twin
        self.use_pch = use_pch  # False only to measure what the precompiled header saves (benchmarks)
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.cache_dir.chmod(0o755)
        self.sandbox = sandbox
        self.max_entries = max_entries
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _load(self, key: str) -> CompileResult | None:
        meta = self.cache_dir / key / "meta.json"
        if not meta.exists():
            return None
        try:
            m = json.loads(meta.read_text())
        except ValueError:
            return None
        diags = [result_pb2.CompilerDiagnostic(**d) for d in m.get("diagnostics", [])]
        binary = self.cache_dir / key / BINARY_FILE
        if m["status"] == result_pb2.OK and not binary.exists():
            return None
        return CompileResult(status=m["status"], binary=binary if m["status"] == result_pb2.OK else None,
                             message=m.get("message", ""), diagnostics=diags, cached=True,
                             log_tail=m.get("log_tail", ""), key=key)

    def _store(self, key: str, result: CompileResult, built: Path | None) -> None:
        final = self.cache_dir / key
        tmp = self.cache_dir / f".{key}.tmp{os.getpid()}.{threading.get_ident()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if built is not None:
            shutil.copy2(built, tmp / BINARY_FILE)
            (tmp / BINARY_FILE).chmod(0o755)
        meta = {"status": result.status, "message": result.message, "log_tail": result.log_tail,
                "diagnostics": [{"severity": d.severity, "line": d.line, "column": d.column, "message": d.message}
                                for d in result.diagnostics]}
        (tmp / "meta.json").write_text(json.dumps(meta))
        tmp.chmod(0o755)
        try:
            os.replace(tmp, final)
        except OSError:  # another process stored the same key first
            shutil.rmtree(tmp, ignore_errors=True)
        self._evict()

    def _evict(self) -> None:
        entries = [p for p in self.cache_dir.iterdir() if not p.name.startswith(".")]
        if len(entries) <= self.max_entries:
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for p in entries[: len(entries) - self.max_entries]:
            shutil.rmtree(p, ignore_errors=True)

    def compile(self, source: str, entry: str, *, timeout_s: float = 120.0,
                cancel: threading.Event | None = None) -> CompileResult:
        start = time.monotonic()
        if not _ENTRY_RE.match(entry or ""):
            return CompileResult(status=result_pb2.REJECTED, message=f"the task's kernel entry {entry!r} is not a C "
                                 "identifier")
        if "\0" in source:
            return CompileResult(status=result_pb2.REJECTED, message="the source contains a NUL byte")
        key = cache_key(source + ("" if self.use_pch else "\0nopch"), entry, self.twin)
        with self._lock_for(key):
            hit = self._load(key)
            if hit is not None:
                (self.cache_dir / key).touch()
                hit.seconds = time.monotonic() - start
                return hit
            work = self.sandbox.make_workdir("compile")
            try:
                (work / KERNEL_FILE).write_text(source)
                (work / LAUNCH_FILE).write_text(launch_source(entry))
                argv = self.twin.compile_argv(LAUNCH_FILE, BINARY_FILE, use_pch=self.use_pch)
                r = self.sandbox.run(argv, cwd=work, limits=COMPILE_LIMITS, timeout_s=timeout_s, cancel=cancel)
                stderr = r.stderr.decode("utf-8", errors="replace")
                log = stderr[-8000:]
                if r.cancelled:
                    return CompileResult(status=result_pb2.CANCELLED, message="compile cancelled",
                                         seconds=time.monotonic() - start, log_tail=log)
                if r.timed_out:
                    return CompileResult(status=result_pb2.TIMEOUT, message=f"compile exceeded {timeout_s:g} s",
                                         seconds=time.monotonic() - start, log_tail=log)
                why = r.violation()
                if why is not None:
                    return CompileResult(status=result_pb2.SANDBOX_VIOLATION, message=f"compiler stopped: {why}",
                                         seconds=time.monotonic() - start, log_tail=log)
                diags = parse_diagnostics(stderr, entry)
                early = pre_lockdown_code(work / BINARY_FILE) if r.returncode == 0 and (
                    work / BINARY_FILE).exists() else None
                if early is not None:
                    result = CompileResult(status=result_pb2.SANDBOX_VIOLATION, diagnostics=diags, log_tail=log,
                                           key=key, message=early)
                    self._store(key, result, None)
                elif r.returncode == 0 and (work / BINARY_FILE).exists():
                    result = CompileResult(status=result_pb2.OK, diagnostics=diags, log_tail=log, key=key,
                                           message="compiled")
                    self._store(key, result, work / BINARY_FILE)
                    result.binary = self.cache_dir / key / BINARY_FILE
                else:
                    if "error" not in stderr:  # the compiler never ran: not the candidate's fault, not cached
                        return CompileResult(status=result_pb2.INTERNAL, seconds=time.monotonic() - start,
                                             message=f"the compiler did not run: {stderr.strip()[-500:]}",
                                             log_tail=log)
                    if not any(d.severity == "error" for d in diags):
                        diags.append(result_pb2.CompilerDiagnostic(severity="error", line=0, column=0,
                                                                   message=(stderr.strip().splitlines() or
                                                                            ["the compiler failed"])[-1]))
                    result = CompileResult(status=result_pb2.COMPILE_ERROR, diagnostics=diags, log_tail=log,
                                           key=key, message=_summary(diags))
                    self._store(key, result, None)
                result.seconds = time.monotonic() - start
                return result
            finally:
                self.sandbox.remove_workdir(work)
