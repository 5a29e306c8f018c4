"""The hawk.v1.Registry gRPC service: agents join and leave a running farm through the scheduler."""

from __future__ import annotations

import grpc

from controller.scheduler import Scheduler
from hawk.v1 import registry_pb2, registry_pb2_grpc


class RegistryServicer(registry_pb2_grpc.RegistryServicer):
    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    async def Register(self, request: registry_pb2.RegisterRequest, context: grpc.aio.ServicerContext):  # noqa: N802
        host, _, port = request.address.rpartition(":")
        if not host or not port.isdigit():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"address {request.address!r} is not host:port")
        if request.info.device_count < 1:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "info.device_count must be at least 1")
        if not request.info.hardware_profile:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "info.hardware_profile is empty")
        lease = self.scheduler.register(request.address, request.info)
        return registry_pb2.RegisterResponse(lease_id=lease, heartbeat_interval_s=self.scheduler.heartbeat_interval_s,
                                             expiry_s=self.scheduler.expiry_s)

    async def Heartbeat(self, request: registry_pb2.HeartbeatRequest, context):  # noqa: N802
        return registry_pb2.HeartbeatResponse(known=self.scheduler.heartbeat(request.lease_id, request.draining))

    async def Deregister(self, request: registry_pb2.DeregisterRequest, context):  # noqa: N802
        self.scheduler.deregister(request.lease_id, request.reason)
        return registry_pb2.DeregisterResponse()


async def start_registry_server(scheduler: Scheduler, address: str) -> tuple[grpc.aio.Server, int]:
    """Serve the Registry on host:port (port 0 picks one); returns the server and the bound port."""
    server = grpc.aio.server()
    registry_pb2_grpc.add_RegistryServicer_to_server(RegistryServicer(scheduler), server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot bind the registry to {address}")
    await server.start()
    return server, port
