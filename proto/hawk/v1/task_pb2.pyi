from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DTYPE_UNSPECIFIED: _ClassVar[DType]
    FLOAT16: _ClassVar[DType]
    BFLOAT16: _ClassVar[DType]
    FLOAT32: _ClassVar[DType]
    INT8: _ClassVar[DType]
    INT16: _ClassVar[DType]
    INT32: _ClassVar[DType]
    UINT8: _ClassVar[DType]
    INT64: _ClassVar[DType]
    BOOL: _ClassVar[DType]
DTYPE_UNSPECIFIED: DType
FLOAT16: DType
BFLOAT16: DType
FLOAT32: DType
INT8: DType
INT16: DType
INT32: DType
UINT8: DType
INT64: DType
BOOL: DType

class Distribution(_message.Message):
    __slots__ = ("kind", "low", "high", "mean", "std", "fixed_tensor_hash")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Distribution.Kind]
        UNIFORM: _ClassVar[Distribution.Kind]
        NORMAL: _ClassVar[Distribution.Kind]
        INTEGERS: _ClassVar[Distribution.Kind]
        FIXED: _ClassVar[Distribution.Kind]
    KIND_UNSPECIFIED: Distribution.Kind
    UNIFORM: Distribution.Kind
    NORMAL: Distribution.Kind
    INTEGERS: Distribution.Kind
    FIXED: Distribution.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    STD_FIELD_NUMBER: _ClassVar[int]
    FIXED_TENSOR_HASH_FIELD_NUMBER: _ClassVar[int]
    kind: Distribution.Kind
    low: float
    high: float
    mean: float
    std: float
    fixed_tensor_hash: str
    def __init__(self, kind: _Optional[_Union[Distribution.Kind, str]] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., mean: _Optional[float] = ..., std: _Optional[float] = ..., fixed_tensor_hash: _Optional[str] = ...) -> None: ...

class TensorSpec(_message.Message):
    __slots__ = ("name", "shape", "dtype", "distribution", "not_compared", "inplace_of")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    NOT_COMPARED_FIELD_NUMBER: _ClassVar[int]
    INPLACE_OF_FIELD_NUMBER: _ClassVar[int]
    name: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    dtype: DType
    distribution: Distribution
    not_compared: bool
    inplace_of: str
    def __init__(self, name: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ..., dtype: _Optional[_Union[DType, str]] = ..., distribution: _Optional[_Union[Distribution, _Mapping]] = ..., not_compared: _Optional[bool] = ..., inplace_of: _Optional[str] = ...) -> None: ...

class Tolerance(_message.Message):
    __slots__ = ("dtype", "atol", "rtol")
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    ATOL_FIELD_NUMBER: _ClassVar[int]
    RTOL_FIELD_NUMBER: _ClassVar[int]
    dtype: DType
    atol: float
    rtol: float
    def __init__(self, dtype: _Optional[_Union[DType, str]] = ..., atol: _Optional[float] = ..., rtol: _Optional[float] = ...) -> None: ...

class TaskSpec(_message.Message):
    __slots__ = ("name", "category", "description", "inputs", "outputs", "reference_source", "reference_entry", "tolerances", "kernel_entry", "default_block_dim", "attributes", "verify_sets", "version", "work", "verify_task")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_ENTRY_FIELD_NUMBER: _ClassVar[int]
    TOLERANCES_FIELD_NUMBER: _ClassVar[int]
    KERNEL_ENTRY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_BLOCK_DIM_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    VERIFY_SETS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WORK_FIELD_NUMBER: _ClassVar[int]
    VERIFY_TASK_FIELD_NUMBER: _ClassVar[int]
    name: str
    category: str
    description: str
    inputs: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    outputs: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    reference_source: str
    reference_entry: str
    tolerances: _containers.RepeatedCompositeFieldContainer[Tolerance]
    kernel_entry: str
    default_block_dim: int
    attributes: _containers.ScalarMap[str, str]
    verify_sets: int
    version: int
    work: Work
    verify_task: TaskSpec
    def __init__(self, name: _Optional[str] = ..., category: _Optional[str] = ..., description: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ..., reference_source: _Optional[str] = ..., reference_entry: _Optional[str] = ..., tolerances: _Optional[_Iterable[_Union[Tolerance, _Mapping]]] = ..., kernel_entry: _Optional[str] = ..., default_block_dim: _Optional[int] = ..., attributes: _Optional[_Mapping[str, str]] = ..., verify_sets: _Optional[int] = ..., version: _Optional[int] = ..., work: _Optional[_Union[Work, _Mapping]] = ..., verify_task: _Optional[_Union[TaskSpec, _Mapping]] = ...) -> None: ...

class Work(_message.Message):
    __slots__ = ("gm_bytes", "vector_element_ops", "vector_dtype", "cube_macs", "cube_dtype")
    GM_BYTES_FIELD_NUMBER: _ClassVar[int]
    VECTOR_ELEMENT_OPS_FIELD_NUMBER: _ClassVar[int]
    VECTOR_DTYPE_FIELD_NUMBER: _ClassVar[int]
    CUBE_MACS_FIELD_NUMBER: _ClassVar[int]
    CUBE_DTYPE_FIELD_NUMBER: _ClassVar[int]
    gm_bytes: int
    vector_element_ops: int
    vector_dtype: DType
    cube_macs: int
    cube_dtype: DType
    def __init__(self, gm_bytes: _Optional[int] = ..., vector_element_ops: _Optional[int] = ..., vector_dtype: _Optional[_Union[DType, str]] = ..., cube_macs: _Optional[int] = ..., cube_dtype: _Optional[_Union[DType, str]] = ...) -> None: ...

class FixedTensor(_message.Message):
    __slots__ = ("sha256", "dtype", "shape", "data")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    dtype: DType
    shape: _containers.RepeatedScalarFieldContainer[int]
    data: bytes
    def __init__(self, sha256: _Optional[str] = ..., dtype: _Optional[_Union[DType, str]] = ..., shape: _Optional[_Iterable[int]] = ..., data: _Optional[bytes] = ...) -> None: ...

class TaskRef(_message.Message):
    __slots__ = ("task_hash",)
    TASK_HASH_FIELD_NUMBER: _ClassVar[int]
    task_hash: str
    def __init__(self, task_hash: _Optional[str] = ...) -> None: ...
