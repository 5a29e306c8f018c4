"""Device slots: each NPU (or each twin device) runs one candidate at a time, so profiles are not disturbed.

Leases are granted first come, first served (TVM's one-session-per-device model), and a waiter that is
cancelled leaves the queue without taking a slot. Waiting is event-driven: a release wakes the head waiter at
once, and `interrupt()` (called when an evaluation is cancelled) wakes every waiter to look at its cancel
event, so the slow poll is only a backstop for a cancel that came without one. The scheduler keeps a few
evaluations queued here beyond the devices (its prefetch), so this wake-up is on every evaluation's path.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class DevicePool:
    """N exclusive device slots with a FIFO wait queue. Thread-safe."""

    def __init__(self, count: int, on_change: Callable[[int, int], None] | None = None) -> None:
        if count < 1:
            raise ValueError("an agent needs at least one device")
        self.count = count
        self._free: list[int] = list(range(count - 1, -1, -1))  # pop() hands out device 0 first
        self._waiters: deque[threading.Event] = deque()
        self._lock = threading.Lock()
        self._on_change = on_change  # (busy, waiting) -> None, for metrics

    @property
    def busy(self) -> int:
        with self._lock:
            return self.count - len(self._free)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiters)

    def _notify(self) -> None:
        if self._on_change is not None:
            self._on_change(self.count - len(self._free), len(self._waiters))

    def acquire(self, cancel: threading.Event | None = None, poll_s: float = 0.5) -> int | None:
        """Wait for a free device in arrival order; None when `cancel` was set first."""
        with self._lock:
            if self._free and not self._waiters:
                dev = self._free.pop()
                self._notify()
                return dev
            me = threading.Event()  # only for a wait (an Event costs ~10 us, a null evaluation ~300)
            self._waiters.append(me)
            self._notify()
        while True:
            me.wait(poll_s)
            with self._lock:
                me.clear()  # under the lock that every set() takes: a wake-up set after this is not lost
                if self._free and self._waiters and self._waiters[0] is me:
                    self._waiters.popleft()
                    dev = self._free.pop()
                    self._wake_head()
                    self._notify()
                    return dev
                if cancel is not None and cancel.is_set():
                    self._waiters.remove(me)
                    self._wake_head()
                    self._notify()
                    return None

    def interrupt(self) -> None:
        """Wake every waiter to look at its cancel event (an evaluation was cancelled while waiting)."""
        with self._lock:
            for w in self._waiters:
                w.set()

    def _wake_head(self) -> None:
        if self._free and self._waiters:
            self._waiters[0].set()

    def release(self, device_id: int) -> None:
        with self._lock:
            if device_id in self._free or not 0 <= device_id < self.count:
                raise ValueError(f"device {device_id} is not leased")
            self._free.append(device_id)
            self._wake_head()
            self._notify()

    @contextmanager
    def lease(self, cancel: threading.Event | None = None) -> Iterator[int | None]:
        """`with pool.lease(cancel) as dev:` -- dev is None when cancelled while waiting."""
        dev = self.acquire(cancel)
        try:
            yield dev
        finally:
            if dev is not None:
                self.release(dev)
