"""Every built-in task's kernels (baseline and expert) at their test dims: a functional run and a timing-only run
on the twin must record the same entries (docs/twin-speed.md), and each run's data-dependence report is printed.
Exit status 1 when a record differs or a run fails.

    .venv/bin/python benchmarks/check_timing_only.py [TASK ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hawk.v1 import result_pb2  # noqa: E402
from npu_agent import taskspec  # noqa: E402
from npu_agent.simnpu import Twin  # noqa: E402
from tasks import catalogue  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tasks", nargs="*", help="task names (default: all built-in tasks)")
    args = ap.parse_args()
    # The twin build is reused from HAWK_SIM_WORK_ROOT when set (a fresh build takes a minute); records go to a
    # temporary directory removed at the end.
    work = os.environ.get("HAWK_SIM_WORK_ROOT")
    root = Path(tempfile.mkdtemp(prefix="hawk-check-timing-"))
    root.chmod(0o711)
    try:
        twin = Twin("ascend910b2", work_root=Path(work) if work else root / "twin")
        bad = 0
        for t in catalogue.all_tasks():
            if args.tasks and t.spec.name not in args.tasks:
                continue
            spec = t.reduced().spec
            for kind, path in (("baseline", t.baseline), ("expert", t.expert)):
                if path is None:
                    continue
                name = f"{t.spec.name}/{kind}"
                c = twin.compile(path.read_text(), spec.kernel_entry, task=spec)
                if c.status != result_pb2.OK:
                    print(f"{name}: compile failed: {c.message[:120]}")
                    bad += 1
                    continue
                f = twin.run(c.binary, spec, taskspec.generate_inputs(spec, 1), record_to=root / "functional.bin")
                tt = twin.run(c.binary, spec, {}, timing_only=True, record_to=root / "timing.bin")
                if not (f.ok and tt.ok):
                    print(f"{name}: run failed: {f.message[:120]} / {tt.message[:120]}")
                    bad += 1
                    continue
                same = np.array_equal(f.record.entries, tt.record.entries)
                bad += not same
                print(f"{name}: {len(f.record)} entries, {'same' if same else 'DIFFERENT'} in the timing-only run; "
                      f"data_dependent: {f.data_dependent or '-'}", flush=True)
        return 1 if bad else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
