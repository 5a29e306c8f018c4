"""Heartbeats on an Evaluate stream: a message at least every `interval_s` while a candidate is queued or runs.

Without them a client cannot tell a long verification from a frozen agent (SIGSTOP, a hung host) until its RPC
deadline, minutes later. The pipeline's stages block its thread in backend calls, so the events are produced
on a helper thread and the handler thread emits a heartbeat whenever nothing else came within the interval.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

from hawk.v1 import agent_pb2

_END = object()


def with_heartbeats(events: Iterator[agent_pb2.EvaluateEvent], interval_s: float, stage: Callable[[], int]
                    ) -> Iterator[agent_pb2.EvaluateEvent]:
    """`events`, plus a heartbeat Progress (at the current `stage()`) after every `interval_s` of silence.

    interval_s <= 0 passes `events` through. Closing the returned iterator early stops consuming `events`;
    the caller cancels the evaluation (its cancel event) so the producer ends promptly.
    """
    if interval_s <= 0:
        yield from events
        return
    q: queue.Queue = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for event in events:
                q.put(event)
                if stop.is_set():
                    break
        except BaseException as e:  # re-raised on the handler thread, where gRPC reports it
            q.put(e)
        finally:
            if stop.is_set():
                events.close()  # type: ignore[attr-defined]
            q.put(_END)

    thread = threading.Thread(target=produce, name="hawk-eval", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = q.get(timeout=interval_s)
            except queue.Empty:
                yield agent_pb2.EvaluateEvent(progress=agent_pb2.Progress(
                    stage=stage(), message="alive", at_unix=time.time(), heartbeat=True))
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
