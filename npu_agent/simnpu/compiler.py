"""Candidate compilation: a candidate (one source, or an op project / direct-launch file set) to one sandboxed
binary, cached by content hash.

The candidate's files are compiled as-is (`kernel.cpp`, or `src/<path>`) through generated translation units
(`launch.cpp` includes the kernel file and names the kernel entry; npu_agent/simnpu/shapes.py plans them), so the
compiler's diagnostics already carry the candidate's own files and lines. The precompiled kernel_operator.h is
force-included; the twin runtime object is linked in. Beside the binary the cache keeps `launch.json` (the block
dim of a constant `<<<>>>` launch), which the runner reads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hawk.v1 import result_pb2
from npu_agent.candidate import Candidate, CandidateError, check_defines
from npu_agent.sandbox import Limits, Sandbox
from npu_agent.simnpu import blame, cpptext, memberspec, percore, shapes
from npu_agent.simnpu.build import CANDIDATE_FLAGS, LINK_FLAGS, TwinBuild
from npu_agent.simnpu.build_cache import BuildCacheLimits, evict_build_cache, touch_entry
from npu_agent.simnpu.cpptext import match_paren, strip_comments
from npu_agent.simnpu.elfcheck import pre_lockdown_code
from npu_agent.simnpu.shapes import (
    HOST_HEADER,
    LAUNCH_JSON,
    TASK_HEADER,
    Plan,
    ShapeError,
    TaskArgs,
    plan,
)

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
    entry: str = ""                       # the kernel entry the binary launches (from the candidate's shape)
    shape: str = ""                       # "single", "op_project" or "direct"

    @property
    def ok(self) -> bool:
        return self.status == result_pb2.OK


# The planner and its source passes decide what the compiler sees (generated files, rewritten launches and
# specializations, the per-core-type build): a change to any of them is a new build.
_PLANNER_VERSION = hashlib.sha256(b"".join(Path(m.__file__).read_bytes()
                                           for m in (shapes, cpptext, memberspec, percore))).hexdigest()[:16]


def cache_key(source: str, entry: str, twin: TwinBuild, *extra: str) -> str:
    h = hashlib.sha256()
    for part in (twin.version, _PLANNER_VERSION, " ".join(CANDIDATE_FLAGS + LINK_FLAGS), entry, source, *extra):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _single_plan(entry: str) -> Plan:
    return Plan(kind="single", entry=entry, single_file=True)


def parse_diagnostics(stderr: str, entry: str, plan: Plan | None = None) -> list[result_pb2.CompilerDiagnostic]:
    """GCC's messages mapped to the candidate's files and lines.

    A message in a candidate file keeps its file and line (`file` is empty for a one-file candidate). A message
    inside the twin's headers is attributed to the last candidate line GCC names in its include/instantiation
    context ("required from here"), so an error that a template reports deep in hawk/vector.h points at the
    kernel's own call; one in a generated file (launch.cpp) is about the kernel entry.
    """
    plan = plan or _single_plan(entry)
    out: list[result_pb2.CompilerDiagnostic] = []
    context: tuple[str, int] = ("", 0)
    for raw in stderr.splitlines():
        m = _DIAG_RE.match(raw)
        if m is None:
            f = _FROM_RE.match(raw)
            if f and plan.display(f.group("file")) is not None:
                context = (plan.display(f.group("file")) or "", int(f.group("line")))
            continue
        shown = plan.display(m.group("file"))
        fname = Path(m.group("file")).name
        sev = "error" if m.group("sev") == "fatal error" else m.group("sev")
        msg = m.group("msg").strip()
        if shown is not None:
            file, line, col = shown, int(m.group("line")), int(m.group("col") or 0)
            if sev == "note" and "required from" in msg:
                context = (file, line)
                continue
            if sev != "note":
                context = (file, line)
        elif fname in (LAUNCH_FILE, TASK_HEADER, HOST_HEADER) or fname.startswith(("host_tu_", "launch_")):
            file, line, col = "", 0, 0
            if re.search(rf"'{re.escape(entry)}' was not declared", msg) or "not declared in this scope" in msg:
                msg = (f"the kernel entry '{entry}' named by the task is not defined in the source (it must be an "
                       f"extern \"C\" __global__ __aicore__ function; docs/kernel-contract.md)")
            elif "static assertion failed" in msg or "every parameter" in msg:
                msg = f"kernel entry '{entry}': {msg}"
            elif "hawk_direct_entry" in msg:
                msg = f"kernel entry '{entry}' as launched by the candidate's <<<>>>: {msg}"
        elif fname in ("ld", "collect2") or "ld returned" in raw:
            file, line, col = "", 0, 0
        else:
            if sev == "note":
                continue
            (file, line), col = context, 0
            msg = f"{msg} [in twin header {fname}:{m.group('line')}]"
        if sev == "note" and out and out[-1].severity == "note" and len(out) > 50:
            continue
        out.append(result_pb2.CompilerDiagnostic(severity=sev, line=line, column=col, message=msg, file=file))
    for raw in stderr.splitlines():  # linker errors have no file:line prefix
        if "undefined reference to" in raw or "multiple definition of" in raw:
            out.append(result_pb2.CompilerDiagnostic(severity="error", line=0, column=0,
                                                     message=raw.split(": ", 1)[-1].strip()))
    return out


_ASM_LINE_RE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?:Error|Fatal error): (?P<msg>.*)$")


def asm_diagnostics(stderr: str, plan: Plan) -> list[result_pb2.CompilerDiagnostic]:
    """The assembler's errors (an inline-asm typo, an .incbin of a missing file), at the candidate's line when
    the assembler names it (GCC's line markers), else without a position."""
    out = []
    for m in map(_ASM_LINE_RE.match, stderr.splitlines()):
        if m is None:
            continue
        shown = plan.display(m["file"])
        out.append(result_pb2.CompilerDiagnostic(severity="error", line=int(m["line"]) if shown is not None else 0,
                                                 column=0, file=shown or "", message=f"assembler: {m['msg'].strip()}"))
    return out


def _summary(diags: list[result_pb2.CompilerDiagnostic]) -> str:
    errors = [d for d in diags if d.severity == "error"]
    if not errors:
        return "the compiler failed without a diagnostic"
    first = errors[0]
    where = f"{first.file}:{first.line}: " if first.file and first.line else f"{first.file}: " if first.file else (
        f"line {first.line}: " if first.line else "")
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}{first.message}{more}"


def _fnv_base(path: str) -> int:
    """hawk::file_key (include/hawk/tiling.h): FNV-1a of the base name."""
    h = 1469598103934665603
    for b in path.rsplit("/", 1)[-1].encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def entry_span(text: str, entry: str) -> tuple[int, int] | None:
    """First and last line of the body of `entry`'s definition in text, or None when it is not defined there."""
    code = strip_comments(text)
    for m in re.finditer(rf"\b{re.escape(entry)}\s*\(", code):
        close = match_paren(code, m.end() - 1)
        brace = re.match(r"[^;{}()]*\{", code[close:]) if close > 0 else None
        if brace is None:
            continue  # a call or a declaration, not the definition
        open_at = close + brace.end() - 1
        end = match_paren(code, open_at, "{", "}")
        if end > 0:
            return code.count("\n", 0, m.start()) + 1, code.count("\n", 0, end) + 1
    return None


def _add_entry_span(files: dict[str, str], entry: str) -> None:
    """Tells the runtime where the entry's body is, so KERNEL_TASK_TYPE_DEFAULT statements of a source's other
    entries do not decide this launch's cores (runtime/kernel.cpp select_kernel_type)."""
    launch = next((n for n, text in files.items() if "HAWK_LAUNCH(" in text), None)
    if launch is None:
        return
    for name, text in files.items():
        if name == launch or not text:
            continue
        span = entry_span(text, entry)
        if span is not None:
            files[launch] += (f'extern "C" const uint64_t* hawk_entry_span() {{\n'
                              f'    static const uint64_t s[3] = {{{_fnv_base(name)}ull, {span[0]}, {span[1]}}};\n'
                              f'    return s;\n}}\n')
            return


class CandidateCompiler:
    """Compiles candidates for one twin build into a content-addressed cache directory."""

    def __init__(self, twin: TwinBuild, cache_dir: Path, sandbox: Sandbox, *, max_entries: int = 2000,
                 use_pch: bool = True, limits: Limits = COMPILE_LIMITS, max_entry_bytes: int | None = None,
                 max_total_bytes: int | None = None) -> None:
        self.twin = twin
        self.limits = limits
        self.use_pch = use_pch  # False only to measure what the precompiled header saves (benchmarks)
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.cache_dir.chmod(0o755)
        self.sandbox = sandbox
        self.max_entries = max_entries
        self.cache_limits = BuildCacheLimits.resolve(max_entry_bytes, max_total_bytes)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._kinds: dict[str, str] = {}  # plan id -> plan kind, so a cache hit skips planning

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
        if m.get("uncached"):  # over the per-entry cap: kept only for the runs of the compile that made it
            return None
        diags = [result_pb2.CompilerDiagnostic(**d) for d in m.get("diagnostics", [])]
        binary = self.cache_dir / key / BINARY_FILE
        if m["status"] == result_pb2.OK and not binary.exists():
            return None
        touch_entry(self.cache_dir / key)  # least recently used goes first
        return CompileResult(status=m["status"], binary=binary if m["status"] == result_pb2.OK else None,
                             message=m.get("message", ""), diagnostics=diags, cached=True,
                             log_tail=m.get("log_tail", ""), key=key, entry=m.get("entry", ""),
                             shape=m.get("shape", ""))

    def _store(self, key: str, result: CompileResult, built: Path | None, launch: dict | None = None) -> None:
        final = self.cache_dir / key
        tmp = self.cache_dir / f".{key}.tmp{os.getpid()}.{threading.get_ident()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        oversized = built is not None and built.stat().st_size > self.cache_limits.max_entry_bytes
        if built is not None:
            shutil.copy2(built, tmp / BINARY_FILE)
            (tmp / BINARY_FILE).chmod(0o755)
            (tmp / LAUNCH_JSON).write_text(json.dumps(launch or {}))
        meta = {"status": result.status, "message": result.message, "log_tail": result.log_tail,
                "entry": result.entry, "shape": result.shape, "uncached": oversized,
                "diagnostics": [{"severity": d.severity, "line": d.line, "column": d.column, "message": d.message,
                                 "file": d.file} for d in result.diagnostics]}
        (tmp / "meta.json").write_text(json.dumps(meta))
        tmp.chmod(0o755)
        if final.exists():  # a refresh (bypass_cache): the new outcome replaces the old one
            old = self.cache_dir / f".{key}.old{os.getpid()}.{threading.get_ident()}"
            with contextlib.suppress(OSError):
                os.replace(final, old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, final)
        except OSError:  # another process stored the same key first
            shutil.rmtree(tmp, ignore_errors=True)
        self._evict(keep=final)

    def _evict(self, keep: Path | None = None) -> None:
        evict_build_cache(self.cache_dir, max_entries=self.max_entries, limits=self.cache_limits, keep=keep)

    def compile(self, candidate: str | Candidate, entry: str, *, task_args: TaskArgs | None = None,
                timeout_s: float = 120.0, cancel: threading.Event | None = None,
                use_cache: bool = True) -> CompileResult:
        """Compile a candidate. `entry` is the task's kernel entry (op projects and direct-launch files name
        their own); `task_args` (the task's tensor names and dtypes) give the DTYPE_<ARG> macros. With
        use_cache=False (a request's bypass_cache) the compile runs again and its outcome replaces the entry."""
        start = time.monotonic()
        cand = candidate if isinstance(candidate, Candidate) else Candidate.from_source(candidate)
        args = task_args or TaskArgs()
        if not _ENTRY_RE.match(entry or ""):
            return CompileResult(status=result_pb2.REJECTED, message=f"the task's kernel entry {entry!r} is not a C "
                                 "identifier")
        if any("\0" in t for _, t in cand.files):
            return CompileResult(status=result_pb2.REJECTED, message="the source contains a NUL byte")
        try:
            check_defines(cand.defines)
        except CandidateError as e:
            return CompileResult(status=result_pb2.REJECTED, message=str(e))
        source = cand.source if cand.single else "\0".join(f"{n}\0{t}" for n, t in cand.files)
        # The plan (source rewriting, kind) is a pure function of the candidate, entry and task args; its kind is
        # remembered so that a compile-cache hit needs no plan at all (planning costs ~10 ms of Python).
        plan_id = hashlib.sha256("\0".join([source, str(cand.single), entry, args.key(), *cand.defines])
                                 .encode("utf-8", "surrogatepass")).hexdigest()
        kind = self._kinds.get(plan_id) if use_cache else None
        p: Plan | None = None
        if kind is None:
            try:
                p = plan(cand, entry, args)
            except ShapeError as e:
                return CompileResult(status=result_pb2.REJECTED, message=str(e), seconds=time.monotonic() - start)
            kind = p.kind
            with self._guard:
                if len(self._kinds) >= 8192:
                    self._kinds.clear()
                self._kinds[plan_id] = kind
        extra = [] if kind == "single" and task_args is None else [kind, args.key()]
        if cand.defines:
            extra.append("defines\0" + "\0".join(cand.defines))
        key = cache_key(source + ("" if self.use_pch else "\0nopch"), entry, self.twin, *extra)
        with self._lock_for(key):
            hit = self._load(key) if use_cache else None
            if hit is not None:
                (self.cache_dir / key).touch()
                hit.seconds = time.monotonic() - start
                return hit
            if p is None:
                try:
                    p = plan(cand, entry, args)
                except ShapeError as e:
                    return CompileResult(status=result_pb2.REJECTED, message=str(e), seconds=time.monotonic() - start)
            p.defines = cand.defines
            work = self.sandbox.make_workdir("compile")
            try:
                result = self._build(work, p, key, timeout_s, cancel, start)
                result.seconds = time.monotonic() - start
                return result
            finally:
                self.sandbox.remove_workdir(work)

    def _build(self, work: Path, p: Plan, key: str, timeout_s: float, cancel: threading.Event | None,
               start: float) -> CompileResult:
        entry = p.entry
        files = dict(p.files)
        _add_entry_span(files, entry)
        for rel, text in files.items():
            dest = work / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text)
        for d in {(work / rel).parent for rel in files}:  # the sandbox uid reads what we wrote
            while d != work and d.is_relative_to(work):
                d.chmod(0o755)
                d = d.parent
        # One compile, or one per core type when the kernel needs its core type at compile time (percore.py).
        r = percore.compile_candidate(self.twin, self.sandbox, work, p, files, BINARY_FILE, use_pch=self.use_pch,
                                      limits=self.limits, timeout_s=timeout_s, cancel=cancel)
        stderr = r.stderr.decode("utf-8", errors="replace")
        log = stderr[-8000:]
        if r.signal == signal.SIGSYS:
            return CompileResult(status=result_pb2.SANDBOX_VIOLATION, message=f"compiler stopped: {r.violation()}",
                                 seconds=time.monotonic() - start, log_tail=log)
        diags = parse_diagnostics(stderr, entry, p)
        built = r.returncode == 0 and not r.timed_out and not r.cancelled and (work / BINARY_FILE).exists()
        early = pre_lockdown_code(work / BINARY_FILE) if built else None
        if early is not None:
            result = CompileResult(status=result_pb2.SANDBOX_VIOLATION, diagnostics=diags, log_tail=log,
                                   key=key, message=early)
            self._store(key, result, None)
            return result
        if built:
            result = CompileResult(status=result_pb2.OK, diagnostics=diags, log_tail=log, key=key,
                                   message="compiled", entry=entry, shape=p.kind)
            self._store(key, result, work / BINARY_FILE, p.launch)
            result.binary = self.cache_dir / key / BINARY_FILE
            return result
        lim = r.limits
        verdict = blame.classify(blame.Evidence(
            returncode=r.returncode, signal=r.signal, timed_out=r.timed_out, cancelled=r.cancelled, stderr=stderr,
            setup_failed=r.setup_failed, timeout_s=timeout_s, cpu_seconds=lim.cpu_seconds,
            memory_bytes=lim.address_space_bytes, file_size_bytes=lim.file_size_bytes))
        if not verdict.candidate:  # ours (or a cancel): never cached, retried elsewhere by the controller
            return CompileResult(status=verdict.status, message=verdict.reason, seconds=time.monotonic() - start,
                                 log_tail=log)
        diags += [d for d in asm_diagnostics(stderr, p) if d.message not in {x.message for x in diags}]
        if any(d.severity == "error" for d in diags):
            message = _summary(diags) if verdict.reason == blame.COMPILER_ERRORS else (
                f"{verdict.reason}: {_summary(diags)}")
        else:
            message = verdict.reason
            diags.append(result_pb2.CompilerDiagnostic(severity="error", line=0, column=0, message=verdict.reason))
        result = CompileResult(status=result_pb2.COMPILE_ERROR, diagnostics=diags, log_tail=log, key=key,
                               message=message)
        self._store(key, result, None)
        return result
