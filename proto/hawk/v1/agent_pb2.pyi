from hawk.v1 import result_pb2 as _result_pb2
from hawk.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AgentInfo(_message.Message):
    __slots__ = ("agent_id", "backend", "backend_version", "hardware_profile", "device_count", "compile_workers", "max_concurrent_evaluations", "max_source_bytes", "max_message_bytes", "agent_version", "protocol_version", "busy_devices", "queued", "draining", "hardware", "heartbeat_interval_s", "isolation", "single_tenant", "max_batch_evaluations")
    class HardwareEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class IsolationEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bool
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    BACKEND_VERSION_FIELD_NUMBER: _ClassVar[int]
    HARDWARE_PROFILE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMPILE_WORKERS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_SOURCE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    BUSY_DEVICES_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    HARDWARE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_S_FIELD_NUMBER: _ClassVar[int]
    ISOLATION_FIELD_NUMBER: _ClassVar[int]
    SINGLE_TENANT_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    backend: str
    backend_version: str
    hardware_profile: str
    device_count: int
    compile_workers: int
    max_concurrent_evaluations: int
    max_source_bytes: int
    max_message_bytes: int
    agent_version: str
    protocol_version: str
    busy_devices: int
    queued: int
    draining: bool
    hardware: _containers.ScalarMap[str, str]
    heartbeat_interval_s: float
    isolation: _containers.ScalarMap[str, bool]
    single_tenant: bool
    max_batch_evaluations: int
    def __init__(self, agent_id: _Optional[str] = ..., backend: _Optional[str] = ..., backend_version: _Optional[str] = ..., hardware_profile: _Optional[str] = ..., device_count: _Optional[int] = ..., compile_workers: _Optional[int] = ..., max_concurrent_evaluations: _Optional[int] = ..., max_source_bytes: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., agent_version: _Optional[str] = ..., protocol_version: _Optional[str] = ..., busy_devices: _Optional[int] = ..., queued: _Optional[int] = ..., draining: _Optional[bool] = ..., hardware: _Optional[_Mapping[str, str]] = ..., heartbeat_interval_s: _Optional[float] = ..., isolation: _Optional[_Mapping[str, bool]] = ..., single_tenant: _Optional[bool] = ..., max_batch_evaluations: _Optional[int] = ...) -> None: ...

class PutTaskRequest(_message.Message):
    __slots__ = ("tasks", "tensors")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    TENSORS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.TaskSpec]
    tensors: _containers.RepeatedCompositeFieldContainer[_task_pb2.FixedTensor]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_task_pb2.TaskSpec, _Mapping]]] = ..., tensors: _Optional[_Iterable[_Union[_task_pb2.FixedTensor, _Mapping]]] = ...) -> None: ...

class PutTaskResponse(_message.Message):
    __slots__ = ("tasks", "already_present")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    ALREADY_PRESENT_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.TaskRef]
    already_present: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_task_pb2.TaskRef, _Mapping]]] = ..., already_present: _Optional[_Iterable[str]] = ...) -> None: ...

class EvaluateOptions(_message.Message):
    __slots__ = ("compile_timeout_s", "verify_timeout_s", "profile_timeout_s", "verify_sets", "skip_profile", "bypass_cache", "include_log_tail", "include_block_profiles")
    COMPILE_TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    VERIFY_TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    PROFILE_TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    VERIFY_SETS_FIELD_NUMBER: _ClassVar[int]
    SKIP_PROFILE_FIELD_NUMBER: _ClassVar[int]
    BYPASS_CACHE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_LOG_TAIL_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_BLOCK_PROFILES_FIELD_NUMBER: _ClassVar[int]
    compile_timeout_s: float
    verify_timeout_s: float
    profile_timeout_s: float
    verify_sets: int
    skip_profile: bool
    bypass_cache: bool
    include_log_tail: bool
    include_block_profiles: bool
    def __init__(self, compile_timeout_s: _Optional[float] = ..., verify_timeout_s: _Optional[float] = ..., profile_timeout_s: _Optional[float] = ..., verify_sets: _Optional[int] = ..., skip_profile: _Optional[bool] = ..., bypass_cache: _Optional[bool] = ..., include_log_tail: _Optional[bool] = ..., include_block_profiles: _Optional[bool] = ...) -> None: ...

class SourceFile(_message.Message):
    __slots__ = ("path", "content")
    PATH_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    path: str
    content: str
    def __init__(self, path: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class EvaluateRequest(_message.Message):
    __slots__ = ("evaluation_id", "task_hash", "source", "options", "campaign", "files", "defines")
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_HASH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    DEFINES_FIELD_NUMBER: _ClassVar[int]
    evaluation_id: str
    task_hash: str
    source: str
    options: EvaluateOptions
    campaign: str
    files: _containers.RepeatedCompositeFieldContainer[SourceFile]
    defines: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, evaluation_id: _Optional[str] = ..., task_hash: _Optional[str] = ..., source: _Optional[str] = ..., options: _Optional[_Union[EvaluateOptions, _Mapping]] = ..., campaign: _Optional[str] = ..., files: _Optional[_Iterable[_Union[SourceFile, _Mapping]]] = ..., defines: _Optional[_Iterable[str]] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("stage", "message", "at_unix", "heartbeat")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AT_UNIX_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    stage: _result_pb2.Stage
    message: str
    at_unix: float
    heartbeat: bool
    def __init__(self, stage: _Optional[_Union[_result_pb2.Stage, str]] = ..., message: _Optional[str] = ..., at_unix: _Optional[float] = ..., heartbeat: _Optional[bool] = ...) -> None: ...

class EvaluateEvent(_message.Message):
    __slots__ = ("progress", "result")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    progress: Progress
    result: _result_pb2.Result
    def __init__(self, progress: _Optional[_Union[Progress, _Mapping]] = ..., result: _Optional[_Union[_result_pb2.Result, _Mapping]] = ...) -> None: ...

class CancelRequest(_message.Message):
    __slots__ = ("evaluation_id",)
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    evaluation_id: str
    def __init__(self, evaluation_id: _Optional[str] = ...) -> None: ...

class CancelResponse(_message.Message):
    __slots__ = ("found",)
    FOUND_FIELD_NUMBER: _ClassVar[int]
    found: bool
    def __init__(self, found: _Optional[bool] = ...) -> None: ...

class EvaluateBatchRequest(_message.Message):
    __slots__ = ("evaluations", "progress")
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    evaluations: _containers.RepeatedCompositeFieldContainer[EvaluateRequest]
    progress: bool
    def __init__(self, evaluations: _Optional[_Iterable[_Union[EvaluateRequest, _Mapping]]] = ..., progress: _Optional[bool] = ...) -> None: ...

class ItemRefused(_message.Message):
    __slots__ = ("evaluation_id", "code", "message")
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    evaluation_id: str
    code: int
    message: str
    def __init__(self, evaluation_id: _Optional[str] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class ItemProgress(_message.Message):
    __slots__ = ("evaluation_id", "progress")
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    evaluation_id: str
    progress: Progress
    def __init__(self, evaluation_id: _Optional[str] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ...) -> None: ...

class BatchHeartbeat(_message.Message):
    __slots__ = ("at_unix", "running")
    AT_UNIX_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    at_unix: float
    running: int
    def __init__(self, at_unix: _Optional[float] = ..., running: _Optional[int] = ...) -> None: ...

class EvaluateBatchEvent(_message.Message):
    __slots__ = ("results", "refused", "progress", "heartbeat")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_result_pb2.Result]
    refused: _containers.RepeatedCompositeFieldContainer[ItemRefused]
    progress: _containers.RepeatedCompositeFieldContainer[ItemProgress]
    heartbeat: BatchHeartbeat
    def __init__(self, results: _Optional[_Iterable[_Union[_result_pb2.Result, _Mapping]]] = ..., refused: _Optional[_Iterable[_Union[ItemRefused, _Mapping]]] = ..., progress: _Optional[_Iterable[_Union[ItemProgress, _Mapping]]] = ..., heartbeat: _Optional[_Union[BatchHeartbeat, _Mapping]] = ...) -> None: ...
