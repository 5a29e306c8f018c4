"""A real hawk.v1.Registry gRPC server for agent tests: it records calls and holds leases in memory.

This is the agent's peer in the tests (the controller's real Registry comes in a later issue), not a mock
of agent code: the agent talks to it over gRPC exactly as it will talk to the controller.
"""

from __future__ import annotations

import threading
import uuid
from concurrent import futures

import grpc

from hawk.v1 import registry_pb2, registry_pb2_grpc


class RecordingRegistry(registry_pb2_grpc.RegistryServicer):
    def __init__(self, heartbeat_interval_s: float = 0.1) -> None:
        self.heartbeat_interval_s = heartbeat_interval_s
        self.calls: list[tuple[str, object]] = []
        self.leases: dict[str, registry_pb2.RegisterRequest] = {}
        self.changed = threading.Condition()

    def _record(self, name: str, request) -> None:
        with self.changed:
            self.calls.append((name, request))
            self.changed.notify_all()

    def count(self, name: str) -> int:
        with self.changed:
            return sum(1 for n, _ in self.calls if n == name)

    def requests(self, name: str) -> list:
        with self.changed:
            return [r for n, r in self.calls if n == name]

    def wait_for(self, name: str, count: int = 1, timeout_s: float = 20.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: sum(1 for n, _ in self.calls if n == name) >= count,
                                         timeout=timeout_s)

    def forget_all(self) -> None:
        """As after a controller restart: every lease becomes unknown."""
        with self.changed:
            self.leases.clear()

    def Register(self, request, context):
        lease = uuid.uuid4().hex
        with self.changed:
            self.leases[lease] = request
        self._record("Register", request)
        return registry_pb2.RegisterResponse(lease_id=lease, heartbeat_interval_s=self.heartbeat_interval_s,
                                             expiry_s=10 * self.heartbeat_interval_s)

    def Heartbeat(self, request, context):
        self._record("Heartbeat", request)
        with self.changed:
            known = request.lease_id in self.leases
        return registry_pb2.HeartbeatResponse(known=known)

    def Deregister(self, request, context):
        with self.changed:
            self.leases.pop(request.lease_id, None)
        self._record("Deregister", request)
        return registry_pb2.DeregisterResponse()


class RegistryServer:
    """RecordingRegistry on 127.0.0.1 (port 0 unless given)."""

    def __init__(self, servicer: RecordingRegistry | None = None, port: int = 0) -> None:
        self.servicer = servicer or RecordingRegistry()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        registry_pb2_grpc.add_RegistryServicer_to_server(self.servicer, self.server)
        self.port = self.server.add_insecure_port(f"127.0.0.1:{port}")
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(0).wait()
