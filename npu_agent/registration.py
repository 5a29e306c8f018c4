"""The agent as a client of the controller's hawk.v1.Registry: Register, Heartbeat, Deregister.

Liveness in TVM's tracker was only "the TCP connection is up"; here the agent reports busy devices, queue
and drain state on every heartbeat, re-registers when the registry forgot it (restart, expiry), and keeps
retrying with backoff while the registry is unreachable, so a controller restart never needs agent restarts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import grpc

from hawk.v1 import agent_pb2, registry_pb2, registry_pb2_grpc
from npu_agent.client import TlsConfig, make_channel, token_metadata

log = logging.getLogger(__name__)


class Registration:
    """A background thread keeping this agent registered at `registry` until `stop()`."""

    def __init__(self, registry: str, address: str, info: Callable[[], agent_pb2.AgentInfo], *,
                 labels: dict[str, str] | None = None, token: str | None = None, tls: TlsConfig | None = None,
                 retry_max_s: float = 30.0, call_timeout_s: float = 10.0) -> None:
        self.registry = registry
        self.address = address
        self._info = info
        self.labels = dict(labels or {})
        self._metadata = token_metadata(token)
        self._channel = make_channel(registry, tls)
        self._stub = registry_pb2_grpc.RegistryStub(self._channel)
        self.retry_max_s = retry_max_s
        self.call_timeout_s = call_timeout_s
        self.lease_id: str | None = None
        self.interval_s = 5.0
        self.registered = threading.Event()  # set while a lease is held (tests and logs use it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hawk-registration", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _register(self) -> bool:
        try:
            resp = self._stub.Register(
                registry_pb2.RegisterRequest(address=self.address, info=self._info(), labels=self.labels),
                timeout=self.call_timeout_s, metadata=self._metadata)
        except grpc.RpcError as e:
            log.warning("registry %s: Register failed: %s %s", self.registry, e.code().name, e.details())
            return False
        self.lease_id = resp.lease_id
        self.interval_s = max(0.05, resp.heartbeat_interval_s or 5.0)
        self.registered.set()
        log.info("registered at %s as %s (lease %s, heartbeat every %.3g s)", self.registry, self.address,
                 resp.lease_id, self.interval_s)
        return True

    def _heartbeat(self, draining: bool = False) -> bool | None:
        """True when the lease is known, False when the registry forgot it, None when it is unreachable."""
        info = self._info()
        try:
            resp = self._stub.Heartbeat(registry_pb2.HeartbeatRequest(
                lease_id=self.lease_id or "", busy_devices=info.busy_devices, queued=info.queued,
                draining=draining or info.draining), timeout=self.call_timeout_s, metadata=self._metadata)
        except grpc.RpcError as e:
            log.warning("registry %s: Heartbeat failed: %s %s", self.registry, e.code().name, e.details())
            return None
        return resp.known

    def _loop(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            if self.lease_id is None:
                if self._register():
                    backoff = 0.5
                    continue
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.retry_max_s)
                continue
            if self._stop.wait(self.interval_s):
                break
            known = self._heartbeat()
            if known is False:
                log.warning("registry %s no longer knows lease %s; registering again", self.registry, self.lease_id)
                self.lease_id = None
                self.registered.clear()

    def stop(self, reason: str = "drain") -> None:
        """Stop heartbeating and Deregister (best effort: the registry expires the lease anyway)."""
        self._stop.set()
        self._thread.join(timeout=self.call_timeout_s + 1)
        if self.lease_id is not None:
            self._heartbeat(draining=True)
            try:
                self._stub.Deregister(registry_pb2.DeregisterRequest(lease_id=self.lease_id, reason=reason),
                                      timeout=self.call_timeout_s, metadata=self._metadata)
                log.info("deregistered from %s (%s)", self.registry, reason)
            except grpc.RpcError as e:
                log.warning("registry %s: Deregister failed: %s %s", self.registry, e.code().name, e.details())
            self.lease_id = None
            self.registered.clear()
        self._channel.close()
