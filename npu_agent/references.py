"""Task references run out of the agent process: a sandboxed Python (``reference_runner.py``) per evaluation.

A task's numpy reference is code from whoever uploaded the task, so the agent never executes it itself: it
runs in the agent's Sandbox as the unprivileged sandbox uid, with CPU, memory and file-size limits and a
deadline, one process for all input sets of an evaluation. Starting Python with numpy costs 0.15-0.4 s, so the
process is started before its job (``_Prestarted``): after each evaluation (and each PutTask check) the next one
is started in the background with the limits the task's evaluations need, waits on a FIFO with numpy imported,
serves exactly one job and exits; the isolation, uid, limits and deadlines are those of a process started for
the job. Inputs
go in and outputs come back as .npy files, loaded with ``allow_pickle=False`` and checked against the task.

Blame: a reference that raises, times out or exceeds a limit is the task's fault (:class:`ReferenceFailed`,
the evaluation ends REJECTED, PutTask INVALID_ARGUMENT); a sandbox that cannot start the runner is the
agent's (:class:`ReferenceUnavailable`, INTERNAL, never cached).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import signal
import stat
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from hawk.v1 import task_pb2
from npu_agent import taskspec
from npu_agent.sandbox import NOBODY, Limits, Sandbox, SandboxError, SandboxResult

log = logging.getLogger(__name__)

RUNNER = Path(__file__).resolve().parent / "reference_runner.py"
_STARTUP_S = 5.0              # on top of a reference's deadline: starting Python + numpy on a loaded host
_BASE_MEMORY = 1 << 30        # address space of Python + numpy (+ OpenBLAS buffers) before any tensor
_NPY_HEADER = 4096
_MAX_RETURN_ITEMSIZE = 8      # a reference may compute in float64/int64; more than that per element is refused
_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


class ReferenceRunError(Exception):
    """A reference run did not produce outputs; `message` is one line naming the task."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReferenceFailed(ReferenceRunError):
    """The task's reference raised, timed out, exceeded a limit or returned the wrong thing: the task's fault."""


class ReferenceUnavailable(ReferenceRunError):
    """The sandbox could not run the reference at all: the agent's fault (INTERNAL)."""


class ReferenceCancelled(ReferenceRunError):
    """The caller cancelled while the reference ran."""


class ReferenceBusy(ReferenceRunError):
    """Too many reference checks already run (PutTask answers RESOURCE_EXHAUSTED)."""


@dataclass(frozen=True)
class ReferenceSettings:
    """Deadlines and limits of reference processes (agent flags --reference-*)."""

    timeout_s: float = 60.0        # one evaluation: every input set in one process
    check_timeout_s: float = 10.0  # PutTask: loading the reference module
    check_concurrency: int = 2     # PutTask checks at once; more are refused, never queued on a handler thread
    memory_bytes: int = 0          # address space; 0: 1 GiB + 8x the bytes of one input set and its outputs
    prestart: bool = True          # keep a reference process started (numpy imported) for the next evaluation
    idle_s: float = 300.0          # a pre-started process unused this long is retired
    max_idle: int = 2              # pre-started processes waiting at once (one per recent task size)


def _reachable(path: Path, uid: int, roots: tuple[Path, ...] = ()) -> bool:
    """Whether `uid` (other than the owner) may walk to `path` and read it, judged by mode bits alone. With
    `roots` (the sandbox binds them into a private mount namespace, whose parents are fresh 0755 dirs) only the
    components from a root down count: a 0700 home or temp dir above a bound prefix is no obstacle."""
    try:
        for d in [*reversed(path.parents), path]:
            if roots and not any(d == r or r in d.parents for r in roots):
                continue
            st = d.stat()
            if st.st_uid == uid:
                continue
            need = stat.S_IXOTH if stat.S_ISDIR(st.st_mode) else stat.S_IROTH
            if not st.st_mode & need:
                return False
    except OSError:
        return False
    return True


def _bound(interpreter: Path) -> tuple[Path, ...]:
    return tuple(Path(p) for p in readonly_paths(interpreter))


def _interpreter(uid: int | None, mount_namespace: bool) -> tuple[Path | None, str]:
    """A Python of the agent's own version that `uid` can run; None and the reason when there is none."""
    own = Path(os.path.realpath(sys.executable))
    if uid is None or _reachable(own, uid, _bound(Path(sys.executable)) if mount_namespace else ()):
        return Path(sys.executable), ""
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for cand in (Path("/usr/bin") / ver, Path("/usr/local/bin") / ver):
        if cand.is_file() and _reachable(Path(os.path.realpath(cand)), uid,
                                         _bound(cand) if mount_namespace else ()):
            return cand, ""
    return None, (f"no {ver} the sandbox uid {uid} can run: {own} is not reachable for it and neither "
                  f"/usr/bin/{ver} nor /usr/local/bin/{ver} exists")


def numpy_path() -> Path:
    """The directory numpy is imported from (its site-packages)."""
    return Path(np.__file__).resolve().parent.parent


def readonly_paths(interpreter: Path) -> tuple[str, ...]:
    """Host paths a reference process reads: its Python's prefix (the agent's venv and base prefix when it is
    the agent's own interpreter), numpy's site-packages, the runner's directory."""
    real = Path(os.path.realpath(interpreter))
    paths = {str(real.parent.parent), str(numpy_path()), str(RUNNER.parent)}
    if real == Path(os.path.realpath(sys.executable)):
        paths |= {sys.prefix, sys.base_prefix}
    return tuple(sorted(p for p in paths if Path(p).parent != Path(p)))  # never "/" (the sandbox binds system dirs)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ReferenceRunner:
    """Runs task references in `sandbox`. One per agent; thread-safe."""

    def __init__(self, sandbox: Sandbox, settings: ReferenceSettings | None = None) -> None:
        self.sandbox = sandbox
        self.settings = settings or ReferenceSettings()
        self._checks = threading.BoundedSemaphore(max(1, self.settings.check_concurrency))
        self._idle: dict[Limits, _Prestarted] = {}  # pre-started processes by the limits they were started with
        self._idle_lock = threading.Lock()
        self._closed = False
        uid = NOBODY if sandbox.capabilities.drops_privileges else None
        mount_ns = sandbox.capabilities.mount_namespace
        self.python, self.problem = _interpreter(uid, mount_ns)
        if self.python is None:
            log.warning("task references cannot run: %s", self.problem)
        elif uid is not None and not _reachable(numpy_path() / "numpy" / "__init__.py", uid,
                                                _bound(self.python) if mount_ns else ()):
            self.problem = (f"numpy at {numpy_path()} is not readable for the sandbox's unprivileged uids; install "
                            "the agent under a world-readable prefix")
            log.warning("task references cannot run: %s", self.problem)

    # ------------------------------------------------------------------------------------------- API
    def check(self, spec: task_pb2.TaskSpec) -> None:
        """PutTask's check: the reference module loads and defines its entry (short deadline, bounded)."""
        if not self._checks.acquire(blocking=False):
            raise ReferenceBusy(f"{self.settings.check_concurrency} task reference checks are already running on "
                                "this agent (--reference-check-concurrency); retry later")
        try:
            self._run(spec, [], timeout_s=self.settings.check_timeout_s, cancel=None, prestart=False)
        finally:
            self._checks.release()
        if self.settings.prestart:  # the task's first evaluation finds its reference process started
            first = spec.verify_task if spec.HasField("verify_task") else spec  # the size verified first
            self._prestart(self._limits(first, self.settings.timeout_s), self.settings.timeout_s)

    def run(self, spec: task_pb2.TaskSpec, input_sets: Sequence[Mapping[str, np.ndarray]], *,
            cancel: threading.Event | None = None, timeout_s: float | None = None) -> list[dict[str, np.ndarray]]:
        """Reference outputs (storage dtypes) for every input set, from one sandboxed process."""
        return self._run(spec, input_sets, timeout_s=timeout_s or self.settings.timeout_s, cancel=cancel)

    def start(self, spec: task_pb2.TaskSpec, input_sets: Sequence[Mapping[str, np.ndarray] | Future], *,
              cancel: threading.Event | None = None) -> PendingReference:
        """`run` in a background thread, so the reference overlaps the kernel's first run. A set may be a Future
        (still being drawn): the reference starts once all are drawn, the kernel as soon as its own is."""
        return PendingReference(self, spec, input_sets, cancel)

    # ----------------------------------------------------------------------------------------- inside
    def _limits(self, spec: task_pb2.TaskSpec, timeout_s: float) -> Limits:
        set_bytes = sum(taskspec.num_elements(t) * _MAX_RETURN_ITEMSIZE for t in (*spec.inputs, *spec.outputs))
        largest = max((taskspec.num_elements(t) for t in spec.outputs), default=1) * _MAX_RETURN_ITEMSIZE
        memory = self.settings.memory_bytes or _BASE_MEMORY + 8 * set_bytes
        return Limits(cpu_seconds=math.ceil(timeout_s + _STARTUP_S), address_space_bytes=memory,
                      file_size_bytes=max(largest + _NPY_HEADER, 1 << 20), processes=64, open_files=64)

    def _sandbox_run(self, argv: list[str], work: Path, limits: Limits, timeout_s: float,
                     cancel: threading.Event | None) -> SandboxResult:
        """The one call into the sandbox (the reference profile and read-only paths go here)."""
        return self.sandbox.run(argv, cwd=work, limits=limits, timeout_s=timeout_s, env=dict(_ENV), cancel=cancel,
                                profile="reference", readonly_paths=readonly_paths(Path(argv[0])))

    def _run(self, spec: task_pb2.TaskSpec, input_sets: Sequence[Mapping[str, np.ndarray]], *, timeout_s: float,
             cancel: threading.Event | None, prestart: bool = True) -> list[dict[str, np.ndarray]]:
        name = spec.name
        if self.python is None or self.problem:
            raise ReferenceUnavailable(f"task {name}: the reference cannot run on this agent: {self.problem}")
        limits = self._limits(spec, timeout_s)
        proc = self._take(limits, timeout_s, prestart=prestart and self.settings.prestart)
        try:
            try:
                (proc.work / "reference.py").write_text(spec.reference_source, encoding="utf-8")
                for i, inputs in enumerate(input_sets):
                    for k, t in enumerate(spec.inputs):
                        np.save(proc.work / f"in{i}_{k}.npy",
                                taskspec.to_compute(np.asarray(inputs[t.name]), t.dtype), allow_pickle=False)
                tmp = proc.work / "manifest.json.tmp"
                tmp.write_text(json.dumps({
                    "task": name, "entry": spec.reference_entry, "inputs": [t.name for t in spec.inputs],
                    "sets": len(input_sets), "numpy_path": str(numpy_path()),
                    "timeout_s": timeout_s}), encoding="utf-8")
                os.replace(tmp, proc.work / "manifest.json")
            except OSError as e:
                raise ReferenceUnavailable(f"task {name}: cannot write the reference inputs: {e}") from None
            # The task's deadline starts at the hand-over (a slow start is not the task's fault).
            r = proc.hand_over(cancel, timeout_s + _STARTUP_S)
            if isinstance(r, BaseException):
                raise ReferenceUnavailable(f"task {name}: the reference sandbox failed to start: {r}") from None
            sets_done = self._verdict(spec, r, timeout_s, len(input_sets))
            return [self._outputs(spec, proc.work, i, sets_done[i]) for i in range(len(input_sets))]
        finally:
            if proc.fresh(float("inf")):  # never handed over (an input could not be written): end it unused
                proc.discard()
            else:
                proc.release()

    def _take(self, limits: Limits, timeout_s: float, *, prestart: bool) -> _Prestarted:
        """A reference process for a job with these limits: a pre-started one when one waits (the same isolation and
        limits, only started earlier), else one started now; then another is started for the next job."""
        with self._idle_lock:
            proc = self._idle.pop(limits, None)
        # (A margin below idle_s: the process's own idle timer must never race the hand-over.)
        if proc is not None and (not proc.fresh(max(0.0, self.settings.idle_s - 2 * _STARTUP_S))
                                 or proc.python != self.python):
            proc.discard()
            proc = None
        if proc is None:
            proc = self._start(limits, timeout_s)
        if prestart:
            self._prestart(limits, timeout_s)
        return proc

    def _start(self, limits: Limits, timeout_s: float) -> _Prestarted:
        try:
            work = self.sandbox.make_workdir("reference")
        except OSError as e:
            raise ReferenceUnavailable(f"the reference work dir cannot be created: {e}") from None
        try:
            shutil.copyfile(RUNNER, work / "runner.py")
            os.mkfifo(work / "go", 0o644)
            return _Prestarted(self, work, limits, hard_timeout_s=self.settings.idle_s + timeout_s + 2 * _STARTUP_S)
        except OSError as e:
            self.sandbox.remove_workdir(work)
            raise ReferenceUnavailable(f"the reference process cannot be prepared: {e}") from None

    def _prestart(self, limits: Limits, timeout_s: float) -> None:
        """Start the next job's process in the background (one per limits; the oldest retired past max_idle)."""
        old: list[_Prestarted] = []
        with self._idle_lock:
            if self._closed or limits in self._idle:
                return
        try:
            proc = self._start(limits, timeout_s)
        except ReferenceUnavailable as e:
            log.warning("cannot pre-start a reference process: %s", e.message)
            return
        with self._idle_lock:
            if self._closed or limits in self._idle:
                old.append(proc)
            else:
                self._idle[limits] = proc
                while len(self._idle) > max(0, self.settings.max_idle):
                    old.append(self._idle.pop(next(iter(self._idle))))
        for p in old:
            p.discard()

    def close(self) -> None:
        """Retire the pre-started processes (agent shutdown)."""
        with self._idle_lock:
            self._closed = True
            idle, self._idle = list(self._idle.values()), {}
        for p in idle:
            p.discard()

    def _verdict(self, spec: task_pb2.TaskSpec, r: SandboxResult, timeout_s: float, n: int) -> list[dict]:
        """Per-set progress messages when the reference finished; raises with the right blame otherwise."""
        name = spec.name
        setup = r.setup_failed  # set by sandboxes that report their own start-up failures
        if setup:
            raise ReferenceUnavailable(f"task {name}: the reference sandbox failed to start: {setup}")
        if r.cancelled:
            raise ReferenceCancelled(f"task {name}: reference cancelled")
        messages: list[dict] = []
        for line in r.result.splitlines():
            try:
                m = json.loads(line)
            except ValueError:
                m = None
            messages.append(m if isinstance(m, dict) else {})
        if not messages or messages[0] != {"started": True}:
            # Nothing of the task ran yet: Python or numpy did not start in the sandbox.
            why = "did not start within its deadline" if r.timed_out else (
                f"did not start ({_exit_text(r)}): {_one_line(r.stderr.decode('utf-8', 'replace')[-600:])}")
            raise ReferenceUnavailable(f"task {name}: the sandboxed reference process {why}")
        errors = [m["error"] for m in messages if isinstance(m.get("error"), str)]
        sets = [m for m in messages if isinstance(m.get("set"), int)]
        where = f" (after {len(sets)} of {n} input sets)" if n else ""
        if errors:
            raise ReferenceFailed(f"task {name}: reference failed: {_one_line(errors[0])}")
        if r.timed_out or r.signal == signal.SIGALRM:  # the sandbox's deadline, or the runner's own alarm
            raise ReferenceFailed(f"task {name}: reference exceeded its {timeout_s:g} s deadline{where}")
        violation = r.violation()
        if violation:
            raise ReferenceFailed(f"task {name}: reference stopped: {violation}{where}")
        if r.signal is not None or not any(m.get("done") is True for m in messages):
            raise ReferenceFailed(f"task {name}: reference process ended ({_exit_text(r)}) before finishing{where}"
                                  + _stderr_hint(r))
        by_set = {m["set"]: m for m in sets}
        if sorted(by_set) != list(range(n)):
            raise ReferenceFailed(f"task {name}: reference process reported input sets {sorted(by_set)}, "
                                  f"expected 0..{n - 1}")
        return [by_set[i] for i in range(n)]

    def _outputs(self, spec: task_pb2.TaskSpec, work: Path, i: int, done: dict) -> dict[str, np.ndarray]:
        """One set's returned values, matched to the task's outputs and checked (same rules as in-process)."""
        name = spec.name
        returned = done.get("returned")
        none = done.get("none") if isinstance(done.get("none"), list) else []
        if not isinstance(returned, int) or returned < 0:
            raise ReferenceFailed(f"task {name}: reference process reported no result count for input set {i}")
        outputs = list(spec.outputs)
        compared = [t for t in outputs if not t.not_compared]
        if returned == len(compared) and len(compared) != len(outputs):
            outputs = compared
        if returned != len(outputs):
            raise ReferenceFailed(
                f"task {name}: reference returned {returned} values, expected {len(spec.outputs)}"
                + (f" (or the {len(compared)} compared ones)" if len(compared) != len(spec.outputs) else ""))
        out: dict[str, np.ndarray] = {}
        for j, t in enumerate(outputs):
            if j in none:
                if t.not_compared:
                    continue
                raise ReferenceFailed(f"task {name}: reference returned None for output {t.name}")
            arr = _load(work / f"out{i}_{j}.npy", taskspec.num_elements(t), f"task {name}: reference output {t.name}")
            what = f"task {name}: reference output {t.name} (input set {i})"
            if arr.dtype.kind not in "biuf":
                raise ReferenceFailed(f"{what} has dtype {arr.dtype}; expected numbers for "
                                      f"{taskspec.dtype_name(t.dtype)}")
            if arr.size != taskspec.num_elements(t):
                raise ReferenceFailed(f"{what} has shape {list(arr.shape)} ({arr.size} elements); the task declares "
                                      f"{list(t.shape)} {taskspec.dtype_name(t.dtype)}")
            out[t.name] = taskspec.from_compute(arr.reshape(tuple(t.shape)), t.dtype)
        return out


class _Prestarted:
    """One sandboxed reference process, started before its job: Python and numpy imported, blocked reading the FIFO
    ``go`` in its work dir. It serves one job (hand_over, then release) or is discarded unused; never reused. It runs
    with the same sandbox, profile, uid and limits as a process started at hand-over; its wall deadline while
    waiting is `hard_timeout_s`, and from the hand-over the job's own deadline (enforced through the cancel hook)."""

    def __init__(self, runner: ReferenceRunner, work: Path, limits: Limits, *, hard_timeout_s: float) -> None:
        self.work = work
        self.created = time.monotonic()
        self.python = runner.python  # the interpreter it runs (the runner's may change: then it is not used)
        self._sandbox = runner.sandbox
        self._fifo = os.open(work / "go", os.O_RDWR | os.O_NONBLOCK)  # RDWR never blocks and keeps the FIFO open
        self._cancel: threading.Event | _Either | None = None
        self._deadline: float | None = None
        self._serving = False
        self.deadline_hit = False
        self._lock = threading.Lock()
        self._discarded = False
        self._discarded_at: float | None = None  # told to exit unused; killed if it has not within _STARTUP_S
        self._cleaned = False
        self._done = threading.Event()
        self._result: SandboxResult | BaseException | None = None
        argv = [str(runner.python), "-I", "-B", "runner.py", "manifest.json", "go", str(numpy_path()),
                f"{runner.settings.idle_s:g}"]
        self._thread = threading.Thread(target=self._run, args=(runner, argv, limits, hard_timeout_s),
                                        name="hawk-reference-process", daemon=True)
        self._thread.start()

    def _run(self, runner: ReferenceRunner, argv: list[str], limits: Limits, timeout_s: float) -> None:
        try:
            self._result = runner._sandbox_run(argv, self.work, limits, timeout_s, self)  # type: ignore[arg-type]
        except (SandboxError, ValueError, OSError) as e:
            self._result = e
        finally:
            with self._lock:
                self._done.set()
                cleanup = self._discarded
            if cleanup:
                self.release()

    def is_set(self) -> bool:
        """The sandbox's cancel hook: discarded unused, the caller cancelled, or the job's deadline passed."""
        if self._cancel is not None and self._cancel.is_set():
            return True
        if self._deadline is not None and time.monotonic() > self._deadline:
            self.deadline_hit = True
            return True
        discarded = self._discarded_at
        return discarded is not None and not self._serving and time.monotonic() - discarded > _STARTUP_S

    def fresh(self, idle_s: float) -> bool:
        """Still waiting, with its whole job deadline ahead of it."""
        return not self._done.is_set() and time.monotonic() - self.created < idle_s

    def hand_over(self, cancel: threading.Event | _Either | None, deadline_s: float) -> SandboxResult | BaseException:
        """Start the job written to the work dir; wait for the process to end; its result (a job past its deadline
        reads as timed out, as for a process started with that deadline)."""
        self._cancel = cancel
        self._deadline = time.monotonic() + deadline_s
        try:
            os.write(self._fifo, b"go\n")
            self._serving = True
        except OSError as e:
            return e
        self._done.wait()
        r = self._result
        if isinstance(r, SandboxResult) and r.cancelled and self.deadline_hit and not (cancel and cancel.is_set()):
            r = replace(r, cancelled=False, timed_out=True)
        assert r is not None
        return r

    def discard(self) -> None:
        """Retire a process that got no job: told to exit (killed if it does not); its work dir goes once it has
        ended. A process that never got "go" ran no task code."""
        with self._lock:
            self._discarded = True
            cleanup = self._done.is_set()
            if not self._serving:
                with contextlib.suppress(OSError):
                    os.write(self._fifo, b"exit\n")
                self._discarded_at = time.monotonic()
        if cleanup:
            self.release()

    def release(self) -> None:
        """After the process ended: close the FIFO and remove the work dir (its uid is released with it)."""
        with self._lock:
            if self._cleaned:
                return
            self._cleaned = True
        os.close(self._fifo)
        self._sandbox.remove_workdir(self.work)


class _Either:
    """Set when either event is (the Sandbox only polls ``is_set``)."""

    def __init__(self, a: threading.Event, b: threading.Event | None) -> None:
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.a.is_set() or (self.b is not None and self.b.is_set())


class PendingReference:
    """A reference run under way. `input_set(i)` is set i's inputs (drawn in the background, see start); `get(i)`
    waits for set i's reference outputs; `waited` is the time callers spent waiting (the pipeline adds it to the
    candidate's deadline); `close()` stops a run nobody needs any more."""

    def __init__(self, runner: ReferenceRunner, spec: task_pb2.TaskSpec,
                 input_sets: Sequence[Mapping[str, np.ndarray] | Future], cancel: threading.Event | None) -> None:
        self._sets = list(input_sets)
        self.waited = 0.0
        self._stop = threading.Event()
        self._done = threading.Event()
        self._result: list[dict[str, np.ndarray]] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(runner, spec, _Either(self._stop, cancel)),
                                        name="hawk-reference", daemon=True)
        self._thread.start()

    def input_set(self, i: int) -> Mapping[str, np.ndarray]:
        """Set i's inputs, once drawn (raises what drawing them raised)."""
        s = self._sets[i]
        return s.result() if isinstance(s, Future) else s

    @property
    def inputs(self) -> list[Mapping[str, np.ndarray]]:
        return [self.input_set(i) for i in range(len(self._sets))]

    def _run(self, runner: ReferenceRunner, spec: task_pb2.TaskSpec, cancel: _Either) -> None:
        try:
            inputs = self.inputs  # every set drawn: the reference runs them all in one process
            self._result = runner.run(spec, inputs, cancel=cancel)  # type: ignore[arg-type]
        except BaseException as e:  # handed to the waiting caller
            self._error = e
        finally:
            self._done.set()

    def get(self, i: int) -> dict[str, np.ndarray]:
        t0 = time.monotonic()
        self._done.wait()
        self.waited += time.monotonic() - t0
        if self._error is not None:
            raise self._error
        return self._result[i]

    def close(self) -> None:
        self._stop.set()


def _load(path: Path, elements: int, what: str) -> np.ndarray:
    """Load an output file the sandboxed process wrote: a regular file (no symlink, FIFO), bounded, no pickle."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ReferenceFailed(f"{what}: the reference process wrote no output file") from None
    except OSError as e:
        raise ReferenceFailed(f"{what}: output file unusable ({e.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReferenceFailed(f"{what}: output is not a regular file")
        cap = elements * _MAX_RETURN_ITEMSIZE + _NPY_HEADER
        if st.st_size > cap:
            raise ReferenceFailed(f"{what}: output file has {st.st_size} bytes, more than {cap} for "
                                  f"{elements} elements")
        try:
            return np.load(f, allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise ReferenceFailed(f"{what}: not a readable .npy array ({_one_line(str(e), 120)})") from None


def _exit_text(r: SandboxResult) -> str:
    if r.signal is not None:
        try:
            return f"killed by {signal.Signals(r.signal).name}"
        except ValueError:
            return f"killed by signal {r.signal}"
    return f"exit code {r.returncode}"


def _stderr_hint(r: SandboxResult) -> str:
    lines = [ln for ln in r.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return f": {_one_line(lines[-1], 200)}" if lines else ""
