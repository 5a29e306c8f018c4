"""`hawk sim run`: compile, run and verify one kernel on the Ascend C twin.

    hawk sim run KERNEL.cpp --task NAME [--task-file FILE] [--hardware SOC] [--json] [--sets N] [--seed S]
    hawk sim run OP_PROJECT_DIR | PROJECT.tar.gz | KERNEL.asc --task NAME [--define NAME[=VALUE] ...] ...

KERNEL is any accepted candidate shape (docs/kernel-contract.md section 9): one C++ file (also a direct-launch
file with `<<<>>>` and main()), an asc-devkit `.asc` file, or a directory / tarball (.tar, .tar.gz, .tgz) holding a
CANN op project (op_host/, op_kernel/) or a direct-launch file set.

Exit status 0 only when the kernel compiled, ran and matched the reference on every input set; 1 for a
candidate failure (the summary or the JSON Result says which); 2 for bad arguments or input files; 4 for an
internal error (docs/cli.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


class StageView:
    """The stages of one `sim run` as they happen, on stderr (stdout keeps the result, or only JSON).

    On a terminal a spinner shows the running stage with its live elapsed time and each finished stage stays as
    a line; elsewhere one line per finished stage (and per verified input set). Every time shown is wall time
    measured here, so the stages add up to the run's wall time."""

    def __init__(self, stream: IO[str] | None = None, *, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self.seconds: dict[str, float] = {}
        self._done = 0
        self._progress: Any = None
        self._task: Any = None
        try:
            tty = self.stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        if enabled and tty:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                      console=Console(file=self.stream), transient=True)

    @contextmanager
    def stage(self, name: str, doing: str) -> Iterator[dict[str, str]]:
        """Time one stage; the body may set note["text"] (shown after the time, e.g. "cached")."""
        note: dict[str, str] = {}
        if self._progress is not None:
            if not self._progress.live.is_started:
                self._progress.start()
            self._task = self._progress.add_task(doing)
        start = time.monotonic()
        try:
            yield note
        finally:  # a stage that raised gets no line: the error message is the one line to show
            took = time.monotonic() - start
            self.seconds[name] = self.seconds.get(name, 0.0) + took
            if self._progress is not None and self._task is not None:
                self._progress.remove_task(self._task)
                self._task = None
        self._done += 1
        self.line(f"{name:<8} {took:7.2f} s" + (f"  {note['text']}" if note.get("text") else ""))

    def update(self, doing: str) -> None:
        """Say what the running stage is doing now (a terminal shows it; logs get the stage's end line)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=doing)

    def line(self, text: str) -> None:
        if not self.enabled:
            return
        text = f"[{time.monotonic() - self.started:7.1f}s] {text}"
        try:
            if self._progress is not None:
                self._progress.console.print(text, markup=False, highlight=False)
            else:
                self.stream.write(text + "\n")
                self.stream.flush()
        except (BrokenPipeError, ValueError):
            self.enabled = False

    def close(self) -> None:
        if self._progress is not None and self._progress.live.is_started:
            self._progress.stop()
        if self._done:
            self.line("total    " + f"{time.monotonic() - self.started:7.2f} s")


def _default_work_root() -> Path:
    return Path(os.environ.get("HAWK_SIM_WORK_ROOT") or Path(tempfile.gettempdir()) / f"hawk-simnpu-{os.getuid()}")


def _load_task(args: argparse.Namespace):
    from npu_agent.taskspec import TaskError, load_task_file

    try:
        if args.task:
            from tasks.catalogue import find  # the built-in catalogue: CLI only, never the agent's imports

            task = find(args.task, [args.task_file] if args.task_file else [])
        elif args.task_file:
            defs = load_task_file(args.task_file)
            if len(defs) != 1:
                names = ", ".join(d.name for d in defs)
                raise SystemExit(f"hawk sim run: {args.task_file} defines {len(defs)} tasks ({names}); pick one "
                                 "with --task")
            task = defs[0]
        else:
            raise SystemExit("hawk sim run: name a task with --task (and/or --task-file)")
        if args.test_dims:
            task = task.reduced()
        try:  # a syntax error in the reference is the task file's fault: say so before compiling the kernel
            compile(task.spec.reference_source, f"<reference of {task.spec.name}>", "exec")
        except (SyntaxError, ValueError) as e:
            raise SystemExit(f"hawk sim run: task {task.spec.name}: reference line {getattr(e, 'lineno', '?')}: "
                             f"{getattr(e, 'msg', e)}") from None
    except (TaskError, KeyError, OSError) as e:
        raise SystemExit(f"hawk sim run: {e}") from None
    return task


def run_kernel(args: argparse.Namespace, view: StageView | None = None):
    """The whole `sim run` flow; returns a hawk.v1.Result. A scratch record never outlives the run, whatever
    way it ends (candidate failure, a twin error, Ctrl-C); ones left by a killed run are removed at start."""
    _clean_stale_records()
    scratch: list[Path] = []
    view = view or StageView(enabled=False)
    try:
        return _run_kernel(args, scratch, view)
    finally:
        view.close()
        for path in scratch:
            path.unlink(missing_ok=True)


def _run_kernel(args: argparse.Namespace, scratch: list[Path], view: StageView):
    from hawk.v1 import result_pb2
    from npu_agent import taskspec
    from npu_agent.candidate import Candidate, CandidateError
    from npu_agent.hardware import UnknownHardwareProfile
    from npu_agent.sandbox import SandboxError
    from npu_agent.simnpu import Twin
    from npu_agent.simnpu.runner import profile_from_stats

    try:
        candidate = Candidate.from_path(Path(args.kernel))
    except OSError as e:
        raise SystemExit(f"hawk sim run: cannot read the kernel {args.kernel}: {e.strerror}") from None
    except (CandidateError, UnicodeDecodeError) as e:
        raise SystemExit(f"hawk sim run: {args.kernel}: {e}") from None
    if args.define:
        try:
            candidate = candidate.with_defines(args.define)
        except CandidateError as e:
            raise SystemExit(f"hawk sim run: --define: {e}") from None
    taskdef = _load_task(args)
    spec = taskdef.spec
    try:
        with view.stage("twin", "twin: preparing (built once per version)"):
            twin = Twin(args.hardware, work_root=Path(args.work_root) if args.work_root else _default_work_root())
    except (UnknownHardwareProfile, SandboxError) as e:  # a profile name, or a work root the sandbox cannot use
        raise SystemExit(f"hawk sim run: {e}") from None
    res = result_pb2.Result(source_hash=candidate.hash(), task_hash=taskdef.hash,
                            hardware_profile=twin.hardware.name, backend="simnpu",
                            backend_version=f"simnpu-{twin.build.version}")
    with view.stage("compile", f"compile: {Path(args.kernel).name}") as note:
        built = twin.compile(candidate, spec.kernel_entry, task=spec, timeout_s=args.timeout)
        note["text"] = ("cached; " if built.cached else "") + ("ok" if built.ok else "failed")
    res.diagnostics.extend(built.diagnostics)
    res.stage_timings.add(stage=result_pb2.COMPILING, seconds=view.seconds["compile"])
    if not built.ok:
        res.status, res.message, res.log_tail = built.status, built.message, built.log_tail
        return res
    sets = args.sets or spec.verify_sets or taskspec.DEFAULT_VERIFY_SETS
    seeds = [args.seed + i for i in range(sets)] if args.seed is not None else taskspec.fresh_seeds(sets)
    last: dict[str, Any] = {"set": 0}
    set_started = [time.monotonic()]

    def run_once(inputs, outputs):
        last["set"] += 1
        prep = time.monotonic() - set_started[0]
        view.update(f"verify: set {last['set']}/{sets}: twin run")
        record = _record_path(args, scratch) if "run" not in last else None
        r = twin.run(built.binary, spec, inputs, timeout_s=args.timeout, record_to=record)
        last["run"] = r
        if record is not None:
            last["recorded"] = r  # the cycle model profiles the run that wrote the record
        # host: drawing inputs and the reference (and comparing the set before), numpy in this process
        view.line(f"verify   set {last['set']}/{sets}: twin run {r.seconds:.2f} s, host {prep:.2f} s"
                  + ("" if r.ok else f": {result_pb2.Status.Name(r.status)}"))
        if not r.ok:
            raise _Stop(r)
        view.update(f"verify: set {last['set']}/{sets}: comparing, then the next set's inputs and reference")
        set_started[0] = time.monotonic()
        return r.outputs

    stopped: _Stop | None = None
    with view.stage("verify", f"verify: set 1/{sets}: inputs and reference") as note:
        try:
            reports = taskspec.verify(spec, run_once, seeds)
            note["text"] = (f"{len(reports)} set(s), " + ("mismatch" if reports[-1].mismatch_count else "correct"))
        except _Stop as stop:
            note["text"], stopped = "failed", stop
    if stopped is not None:
        r = stopped.run
        res.status, res.message, res.log_tail = r.status, r.message, r.log_tail
        if r.exception is not None:
            res.hardware_exception.CopyFrom(r.exception)
        res.stage_timings.add(stage=result_pb2.VERIFYING, seconds=view.seconds["verify"])
        return res
    r = last["run"]
    res.numeric.CopyFrom(reports[-1])
    res.numeric.sets_checked = len(reports)
    res.log_tail = "\n".join(f"twin warning: {w}" for w in r.warnings)
    res.stage_timings.add(stage=result_pb2.VERIFYING, seconds=view.seconds["verify"])
    if reports[-1].mismatch_count:
        n = reports[-1]
        res.status = result_pb2.WRONG_ANSWER
        res.message = (f"output {n.output_name} differs from the reference on set {n.set_index}: {n.mismatch_count} of "
                       f"{n.element_count} elements out of tolerance (first at {n.first_mismatch_index}: expected "
                       f"{n.first_expected:g}, got {n.first_actual:g})")
        return res
    res.status = result_pb2.OK
    shapes = [result_pb2.TensorShape(name=t.name, shape=list(t.shape)) for t in (*spec.inputs, *spec.outputs)]
    res.size_coverage.verified.add(tensors=shapes, sets=len(reports))
    res.size_coverage.timed.extend(shapes)
    res.size_coverage.timed_run_verified = True
    res.size_coverage.reason = "hawk sim run verifies and times at the task's own size (the first set is timed)"
    skipped = list(reports[-1].not_compared)
    res.message = (f"correct on {len(reports)} input sets ({r.message})"
                   + (f"; not compared (scratch): {', '.join(skipped)}" if skipped else ""))
    res.profile.CopyFrom(profile_from_stats(r.stats, twin.hardware, r.seconds))
    with view.stage("profile", "profile: the cycle model replays the run") as note:
        _cycle_model(args, res, last.get("recorded", r), spec, twin.hardware)
        note["text"] = f"{res.profile.time_us:.2f} us simulated" if res.profile.time_us else ""
    res.stage_timings.add(stage=result_pb2.PROFILING, seconds=view.seconds["profile"])
    return res


# --- cycle model hook (npu_agent/simnpu/timing, docs/cycle-model.md) ---------------------------------------
RECORD_PREFIX = "hawk-record-"


def _record_path(args: argparse.Namespace, scratch: list[Path]) -> Path:
    """Where the first run writes its record: --record, else a scratch file (named after this process, listed
    in `scratch` for removal; --profile-out gets the msprof files, not the raw record), so the printed profile
    always comes from the cycle model and never from the host's wall clock."""
    if args.record:
        return Path(args.record)

    fd, path = tempfile.mkstemp(prefix=f"{RECORD_PREFIX}{os.getpid()}-", suffix=".bin")
    os.close(fd)
    scratch.append(Path(path))
    return Path(path)


def _clean_stale_records(directory: Path | None = None, max_age_s: float = 86400.0) -> int:
    """Remove scratch records of runs that died without cleaning up: ours whose process is gone, and
    unattributed ones older than `max_age_s`. Returns how many were removed."""
    import time

    removed = 0
    root = Path(directory or tempfile.gettempdir())
    try:
        candidates = list(root.glob(f"{RECORD_PREFIX}*.bin"))
    except OSError:
        return 0
    for path in candidates:
        try:
            st = path.lstat()
            if st.st_uid != os.geteuid():
                continue
            pid_text = path.name[len(RECORD_PREFIX):].split("-", 1)[0]
            if pid_text.isdigit() and "-" in path.name[len(RECORD_PREFIX):]:
                stale = not _alive(int(pid_text))
            else:
                stale = time.time() - st.st_mtime > max_age_s
            if stale:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cycle_model(args: argparse.Namespace, res, run, spec, hardware) -> None:
    """Replace the functional profile with the cycle model's; write msprof files for --profile-out."""
    if run.record_path is None:
        return
    from npu_agent.simnpu.timing import simulate, simulate_file, write_msprof

    sim = simulate(run.record, hardware) if run.record is not None else simulate_file(run.record_path, hardware)
    res.profile.CopyFrom(sim.profile(spec, run.stats))
    if getattr(args, "profile_out", None):
        write_msprof(sim, args.profile_out, op_name=spec.name, op_type=spec.kernel_entry)


class _Stop(Exception):
    def __init__(self, run) -> None:
        super().__init__(run.message)
        self.run = run


def _run(args: argparse.Namespace) -> int:
    from google.protobuf import json_format

    from hawk.v1 import result_pb2
    from npu_agent.result_text import describe

    res = run_kernel(args, StageView(enabled=not args.quiet))
    if args.json:
        sys.stdout.write(json_format.MessageToJson(res, indent=2) + "\n")
    else:
        print(describe(res, args.kernel))
    return 0 if res.status == result_pb2.OK else 1


def add_sim_commands(sub: argparse._SubParsersAction) -> None:
    from npu_agent.cli import int_range, seconds_arg

    p = sub.add_parser("sim", help="run kernels on the Ascend C twin")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    run = verbs.add_parser("run", help="compile, run and verify one kernel on the twin")
    run.add_argument("kernel", help="the candidate: an Ascend C source (.cpp, .asc), or an op project / file set as a "
                     "directory or tarball (docs/kernel-contract.md section 9)")
    run.add_argument("--task", help="task name (from --task-file, else the built-in catalogue)")
    run.add_argument("--task-file", help="a task file (docs/tasks.md)")
    run.add_argument("--hardware", default="ascend910b2", help="hardware profile (default ascend910b2)")
    run.add_argument("--json", action="store_true", help="print the hawk.v1.Result as JSON (only JSON on stdout)")
    run.add_argument("--quiet", "-q", action="store_true", help="no stage lines on stderr")
    run.add_argument("--sets", type=int_range(1, 1000), default=0,
                     help="verification input sets, 1..1000 (default: the task's)")
    run.add_argument("--seed", type=int_range(0, 2**63 - 1 - 1000),
                     help="seed of the first input set, 0..2^63-1001 (default: fresh random seeds)")
    run.add_argument("--test-dims", action="store_true", help="run the task at its reduced test_dims")
    run.add_argument("--timeout", type=seconds_arg(0, 86400), default=60.0,
                     help="seconds per compile and per run, more than 0 and at most 86400 (default 60)")
    run.add_argument("--record", help="write the instruction record of the first run to this file")
    run.add_argument("--profile-out", help="simulate the run with the cycle model and write msprof-style "
                     "OpBasicInfo.csv, PipeUtilization.csv and trace.json (Perfetto) into this directory")
    run.add_argument("--define", "-D", action="append", default=[], metavar="NAME[=VALUE]",
                     help="a preprocessor definition the candidate's own build passes (e.g. SCENARIO_NUM=2 from an "
                     "asc-devkit sample's CMakeLists); repeatable")
    run.add_argument("--work-root", help="twin build and compile cache (default $HAWK_SIM_WORK_ROOT or a temp dir)")
    run.set_defaults(handler=_run)
