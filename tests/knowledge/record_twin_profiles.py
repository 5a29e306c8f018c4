"""Record the twin's profiles of the built-in baseline and expert kernels at test size, for retrieval tests.

    .venv/bin/python -m tests.knowledge.record_twin_profiles [task ...]

Writes tests/knowledge/data/twin_profiles.json: one row per passing kernel and size with the real
hawk.v1.Result (status OK, the twin's profile) in protobuf JSON, the task, the kernel kind and the dims. Two
sizes per kernel: the task's test_dims (mostly launch-bound) and a large size (the full dims, halved along the
largest dim while the problem exceeds LARGE_LIMIT elements, so the cube tasks finish in seconds), where
the pipes, not the launch, bound the time. The retrieval tests turn
them into Observations with Observation.from_result, exactly as the controller does, so the passing-kernel
queries they rank for are what the twin really reports, not hand-written numbers.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
from pathlib import Path

from google.protobuf import json_format

from hawk.v1 import result_pb2
from npu_agent.backends.base import Backend
from npu_agent.taskspec import TaskDef
from tasks import catalogue
from tasks.evaluate import Compiled, twin_backend

OUT = Path(__file__).parent / "data" / "twin_profiles.json"
ROOT = Path(__file__).resolve().parents[2]
LARGE_LIMIT = 2 ** 30


def large_dims(dims: dict[str, int]) -> dict[str, int]:
    out = dict(dims)
    while math.prod(out.values()) > LARGE_LIMIT:
        k = max(out, key=lambda d: out[d])
        out[k] //= 2
    return out


def record(backend: Backend, name: str, kind: str, size: str, task: TaskDef, path: Path) -> dict | None:
    """The row of one kernel at one size, None (with the reason on stderr) when it does not pass."""
    check = Compiled(backend, path.read_text(encoding="utf-8"), task.spec).check([11], profile=True)
    if not check.ok or check.profile is None:
        print(f"{name} {kind} {size}: {check.status} {check.message[:100]}", file=sys.stderr)
        return None
    r = result_pb2.Result(evaluation_id=f"{name}-{kind}-{size}", status=result_pb2.OK,
                          hardware_profile="ascend910b2", profile=check.profile)
    r.profile.ClearField("blocks")  # per-block rows are not used by knowledge; keeps the file small
    b = check.profile.bottleneck
    print(f"{name} {kind} {size}: {result_pb2.Bottleneck.Kind.Name(b.kind)}:{result_pb2.Pipe.Name(b.pipe)} "
          f"floor {check.profile.floor.limiter} {check.profile.floor.achieved_fraction:.2f}", flush=True)
    return {"task": name, "kind": kind, "size": size, "dims": task.dims,
            "source": str(path.resolve().relative_to(ROOT)), "result": json_format.MessageToDict(r)}


def main(names: list[str]) -> None:
    root = Path(tempfile.mkdtemp(prefix="hawk-retr-profiles-"))
    root.chmod(0o711)
    backend = twin_backend(work_root=root)
    rows = []
    try:
        for t in catalogue.all_tasks():
            if names and t.name not in names:
                continue
            for size, task in (("test", t.reduced()), ("large", t.with_dims(**large_dims(t.dims)))):
                for kind, path in (("baseline", task.baseline), ("expert", task.expert)):
                    if path is not None:
                        row = record(backend, t.name, kind, size, task, path)
                        if row:
                            rows.append(row)
    finally:
        backend.close()
        shutil.rmtree(root, ignore_errors=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    sizes = f"test = test_dims; large = full dims halved until at most {LARGE_LIMIT} elements"
    text = json.dumps({"hardware": "ascend910b2", "sizes": sizes, "rows": rows}, indent=1)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"{len(rows)} profiles -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
