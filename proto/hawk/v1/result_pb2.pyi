from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_UNSPECIFIED: _ClassVar[Status]
    OK: _ClassVar[Status]
    COMPILE_ERROR: _ClassVar[Status]
    HARDWARE_EXCEPTION: _ClassVar[Status]
    WRONG_ANSWER: _ClassVar[Status]
    TIMEOUT: _ClassVar[Status]
    SANDBOX_VIOLATION: _ClassVar[Status]
    REJECTED: _ClassVar[Status]
    INTERNAL: _ClassVar[Status]
    CANCELLED: _ClassVar[Status]
    RUNTIME_ERROR: _ClassVar[Status]

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_UNSPECIFIED: _ClassVar[Stage]
    QUEUED: _ClassVar[Stage]
    COMPILING: _ClassVar[Stage]
    VERIFYING: _ClassVar[Stage]
    PROFILING: _ClassVar[Stage]
    DONE: _ClassVar[Stage]

class CoreType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CORE_TYPE_UNSPECIFIED: _ClassVar[CoreType]
    AIV: _ClassVar[CoreType]
    AIC: _ClassVar[CoreType]

class Pipe(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PIPE_UNSPECIFIED: _ClassVar[Pipe]
    SCALAR: _ClassVar[Pipe]
    MTE1: _ClassVar[Pipe]
    MTE2: _ClassVar[Pipe]
    MTE3: _ClassVar[Pipe]
    VECTOR: _ClassVar[Pipe]
    CUBE: _ClassVar[Pipe]
    FIXPIPE: _ClassVar[Pipe]
STATUS_UNSPECIFIED: Status
OK: Status
COMPILE_ERROR: Status
HARDWARE_EXCEPTION: Status
WRONG_ANSWER: Status
TIMEOUT: Status
SANDBOX_VIOLATION: Status
REJECTED: Status
INTERNAL: Status
CANCELLED: Status
RUNTIME_ERROR: Status
STAGE_UNSPECIFIED: Stage
QUEUED: Stage
COMPILING: Stage
VERIFYING: Stage
PROFILING: Stage
DONE: Stage
CORE_TYPE_UNSPECIFIED: CoreType
AIV: CoreType
AIC: CoreType
PIPE_UNSPECIFIED: Pipe
SCALAR: Pipe
MTE1: Pipe
MTE2: Pipe
MTE3: Pipe
VECTOR: Pipe
CUBE: Pipe
FIXPIPE: Pipe

class CompilerDiagnostic(_message.Message):
    __slots__ = ("severity", "line", "column", "message", "file")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    severity: str
    line: int
    column: int
    message: str
    file: str
    def __init__(self, severity: _Optional[str] = ..., line: _Optional[int] = ..., column: _Optional[int] = ..., message: _Optional[str] = ..., file: _Optional[str] = ...) -> None: ...

class HardwareException(_message.Message):
    __slots__ = ("code", "error_code", "kind", "message", "block_id", "core_type", "source_line", "api")
    CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    CORE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LINE_FIELD_NUMBER: _ClassVar[int]
    API_FIELD_NUMBER: _ClassVar[int]
    code: str
    error_code: str
    kind: str
    message: str
    block_id: int
    core_type: CoreType
    source_line: int
    api: str
    def __init__(self, code: _Optional[str] = ..., error_code: _Optional[str] = ..., kind: _Optional[str] = ..., message: _Optional[str] = ..., block_id: _Optional[int] = ..., core_type: _Optional[_Union[CoreType, str]] = ..., source_line: _Optional[int] = ..., api: _Optional[str] = ...) -> None: ...

class NumericReport(_message.Message):
    __slots__ = ("output_name", "set_index", "max_abs_error", "max_rel_error", "mismatch_count", "element_count", "first_mismatch_index", "first_expected", "first_actual", "non_finite", "sets_checked", "not_compared")
    OUTPUT_NAME_FIELD_NUMBER: _ClassVar[int]
    SET_INDEX_FIELD_NUMBER: _ClassVar[int]
    MAX_ABS_ERROR_FIELD_NUMBER: _ClassVar[int]
    MAX_REL_ERROR_FIELD_NUMBER: _ClassVar[int]
    MISMATCH_COUNT_FIELD_NUMBER: _ClassVar[int]
    ELEMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_MISMATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    FIRST_EXPECTED_FIELD_NUMBER: _ClassVar[int]
    FIRST_ACTUAL_FIELD_NUMBER: _ClassVar[int]
    NON_FINITE_FIELD_NUMBER: _ClassVar[int]
    SETS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    NOT_COMPARED_FIELD_NUMBER: _ClassVar[int]
    output_name: str
    set_index: int
    max_abs_error: float
    max_rel_error: float
    mismatch_count: int
    element_count: int
    first_mismatch_index: int
    first_expected: float
    first_actual: float
    non_finite: bool
    sets_checked: int
    not_compared: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, output_name: _Optional[str] = ..., set_index: _Optional[int] = ..., max_abs_error: _Optional[float] = ..., max_rel_error: _Optional[float] = ..., mismatch_count: _Optional[int] = ..., element_count: _Optional[int] = ..., first_mismatch_index: _Optional[int] = ..., first_expected: _Optional[float] = ..., first_actual: _Optional[float] = ..., non_finite: _Optional[bool] = ..., sets_checked: _Optional[int] = ..., not_compared: _Optional[_Iterable[str]] = ...) -> None: ...

class PipeStat(_message.Message):
    __slots__ = ("pipe", "busy_cycles", "ratio")
    PIPE_FIELD_NUMBER: _ClassVar[int]
    BUSY_CYCLES_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    pipe: Pipe
    busy_cycles: int
    ratio: float
    def __init__(self, pipe: _Optional[_Union[Pipe, str]] = ..., busy_cycles: _Optional[int] = ..., ratio: _Optional[float] = ...) -> None: ...

class CoreTypeProfile(_message.Message):
    __slots__ = ("core_type", "blocks", "total_cycles", "pipes")
    CORE_TYPE_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CYCLES_FIELD_NUMBER: _ClassVar[int]
    PIPES_FIELD_NUMBER: _ClassVar[int]
    core_type: CoreType
    blocks: int
    total_cycles: int
    pipes: _containers.RepeatedCompositeFieldContainer[PipeStat]
    def __init__(self, core_type: _Optional[_Union[CoreType, str]] = ..., blocks: _Optional[int] = ..., total_cycles: _Optional[int] = ..., pipes: _Optional[_Iterable[_Union[PipeStat, _Mapping]]] = ...) -> None: ...

class BlockProfile(_message.Message):
    __slots__ = ("block_id", "core_type", "total_cycles", "pipes")
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    CORE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CYCLES_FIELD_NUMBER: _ClassVar[int]
    PIPES_FIELD_NUMBER: _ClassVar[int]
    block_id: int
    core_type: CoreType
    total_cycles: int
    pipes: _containers.RepeatedCompositeFieldContainer[PipeStat]
    def __init__(self, block_id: _Optional[int] = ..., core_type: _Optional[_Union[CoreType, str]] = ..., total_cycles: _Optional[int] = ..., pipes: _Optional[_Iterable[_Union[PipeStat, _Mapping]]] = ...) -> None: ...

class Bottleneck(_message.Message):
    __slots__ = ("kind", "pipe", "ratio", "explanation")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Bottleneck.Kind]
        PIPE_BOUND: _ClassVar[Bottleneck.Kind]
        LATENCY_BOUND: _ClassVar[Bottleneck.Kind]
        LAUNCH_BOUND: _ClassVar[Bottleneck.Kind]
    KIND_UNSPECIFIED: Bottleneck.Kind
    PIPE_BOUND: Bottleneck.Kind
    LATENCY_BOUND: Bottleneck.Kind
    LAUNCH_BOUND: Bottleneck.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    PIPE_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    kind: Bottleneck.Kind
    pipe: Pipe
    ratio: float
    explanation: str
    def __init__(self, kind: _Optional[_Union[Bottleneck.Kind, str]] = ..., pipe: _Optional[_Union[Pipe, str]] = ..., ratio: _Optional[float] = ..., explanation: _Optional[str] = ...) -> None: ...

class BufferPeak(_message.Message):
    __slots__ = ("buffer", "peak_bytes", "capacity_bytes")
    BUFFER_FIELD_NUMBER: _ClassVar[int]
    PEAK_BYTES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    buffer: str
    peak_bytes: int
    capacity_bytes: int
    def __init__(self, buffer: _Optional[str] = ..., peak_bytes: _Optional[int] = ..., capacity_bytes: _Optional[int] = ...) -> None: ...

class PathBytes(_message.Message):
    __slots__ = ("path", "bytes")
    PATH_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    path: str
    bytes: int
    def __init__(self, path: _Optional[str] = ..., bytes: _Optional[int] = ...) -> None: ...

class Hotspot(_message.Message):
    __slots__ = ("line", "pipe", "cycles", "calls", "api")
    LINE_FIELD_NUMBER: _ClassVar[int]
    PIPE_FIELD_NUMBER: _ClassVar[int]
    CYCLES_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    API_FIELD_NUMBER: _ClassVar[int]
    line: int
    pipe: Pipe
    cycles: int
    calls: int
    api: str
    def __init__(self, line: _Optional[int] = ..., pipe: _Optional[_Union[Pipe, str]] = ..., cycles: _Optional[int] = ..., calls: _Optional[int] = ..., api: _Optional[str] = ...) -> None: ...

class Floor(_message.Message):
    __slots__ = ("cycles", "time_us", "limiter", "achieved_fraction", "explanation", "below_floor")
    CYCLES_FIELD_NUMBER: _ClassVar[int]
    TIME_US_FIELD_NUMBER: _ClassVar[int]
    LIMITER_FIELD_NUMBER: _ClassVar[int]
    ACHIEVED_FRACTION_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    BELOW_FLOOR_FIELD_NUMBER: _ClassVar[int]
    cycles: int
    time_us: float
    limiter: str
    achieved_fraction: float
    explanation: str
    below_floor: bool
    def __init__(self, cycles: _Optional[int] = ..., time_us: _Optional[float] = ..., limiter: _Optional[str] = ..., achieved_fraction: _Optional[float] = ..., explanation: _Optional[str] = ..., below_floor: _Optional[bool] = ...) -> None: ...

class Profile(_message.Message):
    __slots__ = ("total_cycles", "time_us", "clock_mhz", "block_dim", "core_types", "blocks", "bottleneck", "buffer_peaks", "bytes_moved", "hotspots", "floor", "model")
    TOTAL_CYCLES_FIELD_NUMBER: _ClassVar[int]
    TIME_US_FIELD_NUMBER: _ClassVar[int]
    CLOCK_MHZ_FIELD_NUMBER: _ClassVar[int]
    BLOCK_DIM_FIELD_NUMBER: _ClassVar[int]
    CORE_TYPES_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    BOTTLENECK_FIELD_NUMBER: _ClassVar[int]
    BUFFER_PEAKS_FIELD_NUMBER: _ClassVar[int]
    BYTES_MOVED_FIELD_NUMBER: _ClassVar[int]
    HOTSPOTS_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    total_cycles: int
    time_us: float
    clock_mhz: float
    block_dim: int
    core_types: _containers.RepeatedCompositeFieldContainer[CoreTypeProfile]
    blocks: _containers.RepeatedCompositeFieldContainer[BlockProfile]
    bottleneck: Bottleneck
    buffer_peaks: _containers.RepeatedCompositeFieldContainer[BufferPeak]
    bytes_moved: _containers.RepeatedCompositeFieldContainer[PathBytes]
    hotspots: _containers.RepeatedCompositeFieldContainer[Hotspot]
    floor: Floor
    model: str
    def __init__(self, total_cycles: _Optional[int] = ..., time_us: _Optional[float] = ..., clock_mhz: _Optional[float] = ..., block_dim: _Optional[int] = ..., core_types: _Optional[_Iterable[_Union[CoreTypeProfile, _Mapping]]] = ..., blocks: _Optional[_Iterable[_Union[BlockProfile, _Mapping]]] = ..., bottleneck: _Optional[_Union[Bottleneck, _Mapping]] = ..., buffer_peaks: _Optional[_Iterable[_Union[BufferPeak, _Mapping]]] = ..., bytes_moved: _Optional[_Iterable[_Union[PathBytes, _Mapping]]] = ..., hotspots: _Optional[_Iterable[_Union[Hotspot, _Mapping]]] = ..., floor: _Optional[_Union[Floor, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class StageTiming(_message.Message):
    __slots__ = ("stage", "seconds")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    stage: Stage
    seconds: float
    def __init__(self, stage: _Optional[_Union[Stage, str]] = ..., seconds: _Optional[float] = ...) -> None: ...

class TensorShape(_message.Message):
    __slots__ = ("name", "shape")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, name: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ...) -> None: ...

class VerifiedSize(_message.Message):
    __slots__ = ("tensors", "sets")
    TENSORS_FIELD_NUMBER: _ClassVar[int]
    SETS_FIELD_NUMBER: _ClassVar[int]
    tensors: _containers.RepeatedCompositeFieldContainer[TensorShape]
    sets: int
    def __init__(self, tensors: _Optional[_Iterable[_Union[TensorShape, _Mapping]]] = ..., sets: _Optional[int] = ...) -> None: ...

class SizeCoverage(_message.Message):
    __slots__ = ("verified", "timed", "timed_run_verified", "reason", "data_dependent")
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    TIMED_FIELD_NUMBER: _ClassVar[int]
    TIMED_RUN_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DATA_DEPENDENT_FIELD_NUMBER: _ClassVar[int]
    verified: _containers.RepeatedCompositeFieldContainer[VerifiedSize]
    timed: _containers.RepeatedCompositeFieldContainer[TensorShape]
    timed_run_verified: bool
    reason: str
    data_dependent: str
    def __init__(self, verified: _Optional[_Iterable[_Union[VerifiedSize, _Mapping]]] = ..., timed: _Optional[_Iterable[_Union[TensorShape, _Mapping]]] = ..., timed_run_verified: _Optional[bool] = ..., reason: _Optional[str] = ..., data_dependent: _Optional[str] = ...) -> None: ...

class Result(_message.Message):
    __slots__ = ("evaluation_id", "status", "message", "diagnostics", "hardware_exception", "numeric", "profile", "stage_timings", "agent_id", "device_id", "cached", "source_hash", "task_hash", "hardware_profile", "backend", "backend_version", "log_tail", "attempts", "agents_tried", "size_coverage")
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    HARDWARE_EXCEPTION_FIELD_NUMBER: _ClassVar[int]
    NUMERIC_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    STAGE_TIMINGS_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_HASH_FIELD_NUMBER: _ClassVar[int]
    TASK_HASH_FIELD_NUMBER: _ClassVar[int]
    HARDWARE_PROFILE_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    BACKEND_VERSION_FIELD_NUMBER: _ClassVar[int]
    LOG_TAIL_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    AGENTS_TRIED_FIELD_NUMBER: _ClassVar[int]
    SIZE_COVERAGE_FIELD_NUMBER: _ClassVar[int]
    evaluation_id: str
    status: Status
    message: str
    diagnostics: _containers.RepeatedCompositeFieldContainer[CompilerDiagnostic]
    hardware_exception: HardwareException
    numeric: NumericReport
    profile: Profile
    stage_timings: _containers.RepeatedCompositeFieldContainer[StageTiming]
    agent_id: str
    device_id: int
    cached: bool
    source_hash: str
    task_hash: str
    hardware_profile: str
    backend: str
    backend_version: str
    log_tail: str
    attempts: int
    agents_tried: _containers.RepeatedScalarFieldContainer[str]
    size_coverage: SizeCoverage
    def __init__(self, evaluation_id: _Optional[str] = ..., status: _Optional[_Union[Status, str]] = ..., message: _Optional[str] = ..., diagnostics: _Optional[_Iterable[_Union[CompilerDiagnostic, _Mapping]]] = ..., hardware_exception: _Optional[_Union[HardwareException, _Mapping]] = ..., numeric: _Optional[_Union[NumericReport, _Mapping]] = ..., profile: _Optional[_Union[Profile, _Mapping]] = ..., stage_timings: _Optional[_Iterable[_Union[StageTiming, _Mapping]]] = ..., agent_id: _Optional[str] = ..., device_id: _Optional[int] = ..., cached: _Optional[bool] = ..., source_hash: _Optional[str] = ..., task_hash: _Optional[str] = ..., hardware_profile: _Optional[str] = ..., backend: _Optional[str] = ..., backend_version: _Optional[str] = ..., log_tail: _Optional[str] = ..., attempts: _Optional[int] = ..., agents_tried: _Optional[_Iterable[str]] = ..., size_coverage: _Optional[_Union[SizeCoverage, _Mapping]] = ...) -> None: ...
