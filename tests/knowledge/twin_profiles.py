"""Passing-kernel observations from real twin profiles (tests/knowledge/data/twin_profiles.json).

The file holds the hawk.v1.Result of every built-in baseline and expert kernel run on the twin at two sizes
(tests/knowledge/record_twin_profiles.py re-records it). Each row becomes an Observation exactly as the
controller builds one (Observation.from_result with the kernel's source and the task's spec), so retrieval is
measured on the profiles the twin really reports.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from google.protobuf import json_format

from hawk.v1 import result_pb2
from knowledge.observation import Observation
from tasks import catalogue

DATA = Path(__file__).parent / "data" / "twin_profiles.json"
ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def observations() -> tuple[Observation, ...]:
    rows = json.loads(DATA.read_text(encoding="utf-8"))["rows"]
    out = []
    for row in rows:
        result = json_format.ParseDict(row["result"], result_pb2.Result())
        task = catalogue.get_task(row["task"]).with_dims(**row["dims"])
        source = (ROOT / row["source"]).read_text(encoding="utf-8")
        obs = Observation.from_result(result, source, task.spec)
        obs.task = f"{row['task']}/{row['kind']}/{row['size']}"
        out.append(obs)
    return tuple(out)


def by_bottleneck(prefix: str) -> list[Observation]:
    return [o for o in observations() if o.bottleneck.startswith(prefix)]
