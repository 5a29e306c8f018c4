"""The hawk.v1.Registry gRPC service: agents join and leave a running farm through the scheduler.

With a router (a sharded scheduler actor, controller/scheduler_actor.py), an agent whose shard key is not this
scheduler's is registered with the shard of its key, and its lease id (`KEY/...`) routes its heartbeats there.
"""

from __future__ import annotations

import hmac
from typing import Protocol

import grpc

from controller.agent_rpc import Credentials
from controller.scheduler import Scheduler
from hawk.v1 import agent_pb2, registry_pb2, registry_pb2_grpc


class Router(Protocol):
    own: str

    def shard_of(self, info: agent_pb2.AgentInfo, labels: dict[str, str]) -> str: ...

    async def register(self, shard: str, address: str, info: agent_pb2.AgentInfo,
                       labels: dict[str, str]) -> tuple[str, float, float]: ...

    async def heartbeat(self, lease_id: str, draining: bool) -> bool: ...

    async def deregister(self, lease_id: str, reason: str) -> bool: ...


class RegistryServicer(registry_pb2_grpc.RegistryServicer):
    """With a farm token, every call must carry it (agents send the token they serve with): otherwise anyone
    reaching this port could register an address of theirs and receive candidates and the token."""

    def __init__(self, scheduler: Scheduler, token: str = "", router: Router | None = None) -> None:
        self.scheduler = scheduler
        self.router = router
        self._expected = f"Bearer {token}".encode() if token else None

    async def _authorize(self, context: grpc.aio.ServicerContext) -> None:
        if self._expected is None:
            return
        given = dict(context.invocation_metadata() or ()).get("authorization", "")
        if not hmac.compare_digest(given.encode(), self._expected):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong token (authorization: Bearer)")

    async def Register(self, request: registry_pb2.RegisterRequest, context: grpc.aio.ServicerContext):  # noqa: N802
        await self._authorize(context)
        host, _, port = request.address.rpartition(":")
        if not host or not port.isdigit():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"address {request.address!r} is not host:port")
        if request.info.device_count < 1:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "info.device_count must be at least 1")
        if not request.info.hardware_profile:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "info.hardware_profile is empty")
        labels = dict(request.labels)
        if self.router is not None:
            try:
                shard = self.router.shard_of(request.info, labels)
                if shard != self.router.own:
                    lease, beat, expiry = await self.router.register(shard, request.address, request.info, labels)
                    return registry_pb2.RegisterResponse(lease_id=lease, heartbeat_interval_s=beat, expiry_s=expiry)
            except ValueError as e:  # a group label that cannot name a shard
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        lease = self.scheduler.register(request.address, request.info, labels)
        return registry_pb2.RegisterResponse(lease_id=lease, heartbeat_interval_s=self.scheduler.heartbeat_interval_s,
                                             expiry_s=self.scheduler.expiry_s)

    def _routed(self, lease_id: str) -> bool:
        return self.router is not None and "/" in lease_id

    async def Heartbeat(self, request: registry_pb2.HeartbeatRequest, context):  # noqa: N802
        await self._authorize(context)
        if self._routed(request.lease_id):
            assert self.router is not None
            return registry_pb2.HeartbeatResponse(known=await self.router.heartbeat(request.lease_id,
                                                                                   request.draining))
        return registry_pb2.HeartbeatResponse(known=self.scheduler.heartbeat(request.lease_id, request.draining))

    async def Deregister(self, request: registry_pb2.DeregisterRequest, context):  # noqa: N802
        await self._authorize(context)
        if self._routed(request.lease_id):
            assert self.router is not None
            await self.router.deregister(request.lease_id, request.reason)
        else:
            self.scheduler.deregister(request.lease_id, request.reason)
        return registry_pb2.DeregisterResponse()


async def start_registry_server(scheduler: Scheduler, address: str, credentials: Credentials | None = None,
                                router: Router | None = None) -> tuple[grpc.aio.Server, int]:
    """Serve the Registry on host:port (port 0 picks one); returns the server and the bound port.

    With the controller's certificate it serves TLS, requiring client certificates signed by `tls_ca` when
    one is given (the agents' mutual TLS); with a token it requires the token.
    """
    c = credentials or Credentials()
    server = grpc.aio.server()
    registry_pb2_grpc.add_RegistryServicer_to_server(RegistryServicer(scheduler, c.token, router), server)
    if c.tls_cert and c.tls_key:
        creds = grpc.ssl_server_credentials([(c.tls_key, c.tls_cert)], root_certificates=c.tls_ca,
                                            require_client_auth=c.tls_ca is not None)
        port = server.add_secure_port(address, creds)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot bind the registry to {address}")
    await server.start()
    return server, port
