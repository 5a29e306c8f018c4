"""Helpers shared by the agent tests: a small task and ways to watch an evaluation while it runs."""

from __future__ import annotations

import threading

from hawk.v1 import agent_pb2, result_pb2, task_pb2
from npu_agent.client import AgentClient


def add_task(n: int = 256, name: str = "add_f32", verify_sets: int = 0) -> task_pb2.TaskSpec:
    """z = x + y on float32 vectors: small enough for the twin, real enough to verify."""
    return task_pb2.TaskSpec(
        name=name, category="elementwise", kernel_entry="add_custom", verify_sets=verify_sets,
        inputs=[task_pb2.TensorSpec(name="x", shape=[n], dtype=task_pb2.FLOAT32),
                task_pb2.TensorSpec(name="y", shape=[n], dtype=task_pb2.FLOAT32)],
        outputs=[task_pb2.TensorSpec(name="z", shape=[n], dtype=task_pb2.FLOAT32)],
        reference_source="def reference(x, y):\n    return x + y\n", reference_entry="reference",
        default_block_dim=1)


def events_of(client: AgentClient, task_hash: str, source: str, **kw) -> tuple[list[agent_pb2.Progress],
                                                                                  result_pb2.Result]:
    """Run one evaluation; its progress events and final Result."""
    progress: list[agent_pb2.Progress] = []
    result = client.evaluate(task_hash, source, on_progress=progress.append, **kw)
    return progress, result


class Background:
    """Runs client.evaluate in a thread, so a test can act while the evaluation is in flight."""

    def __init__(self, client: AgentClient, task_hash: str, source: str, **kw) -> None:
        self.stages: list[int] = []
        self.seen = threading.Condition()
        self.result: result_pb2.Result | None = None
        self.error: BaseException | None = None

        def on_progress(p: agent_pb2.Progress) -> None:
            with self.seen:
                self.stages.append(p.stage)
                self.seen.notify_all()

        def run() -> None:
            try:
                self.result = client.evaluate(task_hash, source, on_progress=on_progress, **kw)
            except BaseException as e:  # surfaced by join()
                self.error = e
            with self.seen:
                self.seen.notify_all()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def wait_stage(self, stage: int, occurrence: int = 1, timeout_s: float = 30.0) -> None:
        """Block until the evaluation reported `stage` (the n-th time); fails the test otherwise."""
        with self.seen:
            ok = self.seen.wait_for(lambda: self.stages.count(stage) >= occurrence or self.result is not None
                                    or self.error is not None, timeout=timeout_s)
        assert ok and self.stages.count(stage) >= occurrence, \
            f"never reached {result_pb2.Stage.Name(stage)}: {self.stages}, {self.result or self.error}"

    def join(self, timeout_s: float = 60.0) -> result_pb2.Result:
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "evaluation did not finish"
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result
