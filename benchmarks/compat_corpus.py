"""Measure how much public Ascend C the twin runs unchanged: one `hawk sim run` per kernel of a corpus manifest.

The corpus itself (kernels fetched from public repositories, their task files and the manifest) lives OUTSIDE
this repository and is never committed; this script contains no fetched code. To rerun:

1. bring the public repositories onto the machine (e.g. Huawei's asc-devkit, NPUKernelBench, MultiKernelBench);
2. build a corpus directory: every kernel's files copied unchanged to `<corpus>/kernels/<id>/`, a task file
   (docs/tasks.md) per kernel and a manifest `<corpus>/manifest.toml` (format below);
3. run, niced, one kernel at a time:

       .venv/bin/python benchmarks/compat_corpus.py /work/corpus/manifest.toml --out /work/corpus/table.md
       .venv/bin/python benchmarks/compat_corpus.py --only mkb_add asc_softmax --glued   # a subset, both layers

Manifest: one `[[kernel]]` table per kernel; paths are relative to the manifest's folder::

    [[kernel]]
    id = "mkb_add"                         # unique
    repo = "owner/name"                    # where it was published
    commit = "<40 hex>"
    paths = ["path/in/repo", ...]          # the published files it was taken from
    shape = "project"                      # project | direct | asc | single
    run = "kernels/mkb_add/AddCustom"      # what is handed to `hawk sim run` (dir, .tar.gz, .cpp or .asc)
    task_file = "tasks/mkb.toml"
    task = "mkb_add"
    glued = "glued/mkb_add.cpp"            # optional: a hand-glued one-file variant (second layer, --glued)
    defines = ["SCENARIO_NUM=0"]           # optional: what the sample's own build passes as -D (`--define`)
    note = "..."                           # optional

"Compiled unchanged" is yes when `hawk sim run` got past compilation (any status but COMPILE_ERROR, or a CLI
refusal of the candidate shape); "ran correct" is yes only for status OK.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MANIFEST = Path("/work/corpus/manifest.toml")
NOT_COMPILED = {"COMPILE_ERROR", "CLI_ERROR", "TIMEOUT_COMPILE"}


@dataclass
class Outcome:
    """One `hawk sim run` of one kernel (or of its glued variant)."""

    status: str
    message: str
    seconds: float
    compiled: bool = field(init=False)
    correct: bool = field(init=False)

    def __post_init__(self) -> None:
        self.compiled = self.status not in NOT_COMPILED
        self.correct = self.status == "OK"


def _first_line(text: str, limit: int = 220) -> str:
    """The first informative line of a message (compiler errors first), shortened for a table cell."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if "error" in ln.lower():
            return ln[:limit]
    return (lines[0] if lines else "")[:limit]


def _hawk() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "hawk"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "npu_agent.cli"]


def run_one(path: Path, task_file: Path, task: str, timeout: float, extra: list[str]) -> Outcome:
    """Run one candidate through `hawk sim run --json` in its own niced subprocess."""
    cmd = ["nice", "-n", "10", *_hawk(), "sim", "run", str(path), "--task-file", str(task_file), "--task", task,
           "--json", "--sets", "1", "--timeout", str(int(timeout)), *extra]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout * 3 + 30, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return Outcome("TIMEOUT", f"no answer within {timeout * 3 + 30:.0f} s", time.monotonic() - t0)
    dt = time.monotonic() - t0
    try:
        res = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return Outcome("CLI_ERROR", _first_line(proc.stderr or proc.stdout or f"exit {proc.returncode}"), dt)
    status = res.get("status", "STATUS_UNSPECIFIED")
    msg = res.get("message", "")
    diags = [d for d in res.get("diagnostics", []) if d.get("severity", "ERROR") in ("ERROR", "FATAL")]
    if status == "COMPILE_ERROR" and diags:
        d = diags[0]
        msg = f"{d.get('file', '')}:{d.get('line', '')}: {d.get('message', '')}"
    elif status == "HARDWARE_EXCEPTION" and res.get("hardwareException"):
        hx = res["hardwareException"]
        msg = f"{hx.get('kind', '')} {hx.get('api', '')} line {hx.get('sourceLine', '?')}: {hx.get('message', msg)}"
    return Outcome(status, _first_line(msg or proc.stderr), dt)


def load_manifest(path: Path) -> list[dict]:
    with path.open("rb") as f:
        kernels = tomllib.load(f).get("kernel", [])
    for k in kernels:
        for key in ("id", "repo", "shape", "run", "task_file", "task"):
            if key not in k:
                raise SystemExit(f"{path}: kernel {k.get('id', '?')}: missing '{key}'")
    return kernels


def _yn(b: bool) -> str:
    return "yes" if b else "no"


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def table(rows: list[tuple[dict, Outcome, Outcome | None]]) -> str:
    """The markdown table plus totals (and the glued layer's columns when it ran)."""
    glued = any(g is not None for _, _, g in rows)
    head = "| repo | kernel | shape | compiled unchanged | ran correct | status | first error |"
    sep = "|---|---|---|---|---|---|---|"
    if glued:
        head += " glued compiled | glued correct | glued status | glued first error |"
        sep += "---|---|---|---|"
    out = [head, sep]
    for k, o, g in rows:
        line = (f"| {k['repo']} | {k['id']} | {k['shape']} | {_yn(o.compiled)} | {_yn(o.correct)} | {o.status} | "
                f"{_cell(o.message if not o.correct else '')} |")
        if glued:
            line += (f" {_yn(g.compiled)} | {_yn(g.correct)} | {g.status} | {_cell(g.message if not g.correct else '')} |"
                     if g else " - | - | - | - |")
        out.append(line)
    n = len(rows)

    def pct(c: int, total: int) -> str:
        return f"{c}/{total} ({100.0 * c / total:.0f}%)" if total else "0/0"

    out.append("")
    out.append(f"**Unchanged**: compiled {pct(sum(o.compiled for _, o, _ in rows), n)}, "
               f"ran correct {pct(sum(o.correct for _, o, _ in rows), n)}.")
    gl = [g for _, _, g in rows if g is not None]
    if gl:
        out.append(f"**Hand-glued** ({len(gl)} kernels with a glued variant): compiled "
                   f"{pct(sum(g.compiled for g in gl), len(gl))}, ran correct {pct(sum(g.correct for g in gl), len(gl))}.")
    by_shape: dict[str, list[Outcome]] = {}
    for k, o, _ in rows:
        by_shape.setdefault(k["shape"], []).append(o)
    out.append("")
    out.append("| shape | kernels | compiled unchanged | ran correct |")
    out.append("|---|---|---|---|")
    for s, os_ in sorted(by_shape.items()):
        out.append(f"| {s} | {len(os_)} | {pct(sum(o.compiled for o in os_), len(os_))} | "
                   f"{pct(sum(o.correct for o in os_), len(os_))} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("manifest", nargs="?", type=Path, default=DEFAULT_MANIFEST)
    ap.add_argument("--only", nargs="*", help="kernel ids to run (default: all)")
    ap.add_argument("--glued", action="store_true", help="also run each kernel's hand-glued variant")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per compile and per run (default 120)")
    ap.add_argument("--hardware", default=None, help="hardware profile (default: hawk's)")
    ap.add_argument("--out", type=Path, help="also write the table here")
    ap.add_argument("--json-out", type=Path, help="write the raw outcomes as JSON here")
    args = ap.parse_args(argv)

    if not args.manifest.is_file():
        # The corpus is public code that is never committed: a machine without one has nothing to measure. Not an
        # error, so `make bench` runs the other benchmarks.
        print(f"compat_corpus: no corpus manifest at {args.manifest}; build one as docs/compatibility.md says "
              "(Rerun) and pass its path", file=sys.stderr)
        return 0
    base = args.manifest.resolve().parent
    try:
        kernels = load_manifest(args.manifest)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SystemExit(f"compat_corpus: cannot read the manifest {args.manifest}: {e}") from None
    if args.only:
        kernels = [k for k in kernels if k["id"] in set(args.only)]
    extra = ["--hardware", args.hardware] if args.hardware else []
    os.environ.setdefault("HAWK_SIM_WORK_ROOT", "/tmp/hawk-sim-compat")
    rows: list[tuple[dict, Outcome, Outcome | None]] = []
    for k in kernels:
        defines = [a for d in k.get("defines", []) for a in ("--define", str(d))]
        o = run_one(base / k["run"], base / k["task_file"], k["task"], args.timeout, extra + defines)
        g = None
        if args.glued and k.get("glued"):
            g = run_one(base / k["glued"], base / k["task_file"], k["task"], args.timeout, extra)
        rows.append((k, o, g))
        print(f"{k['id']:<40} {o.status:<20} {o.seconds:6.1f}s {o.message[:90]}"
              + (f"\n{'  glued':<40} {g.status:<20} {g.seconds:6.1f}s {g.message[:90]}" if g else ""),
              file=sys.stderr, flush=True)
    md = table(rows)
    sys.stdout.write(md)
    if args.out:
        args.out.write_text(md)
    if args.json_out:
        args.json_out.write_text(json.dumps(
            [{"id": k["id"], "repo": k["repo"], "shape": k["shape"], "status": o.status, "message": o.message,
              "compiled": o.compiled, "correct": o.correct,
              **({"glued_status": g.status, "glued_message": g.message, "glued_compiled": g.compiled,
                  "glued_correct": g.correct} if g else {})} for k, o, g in rows], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
