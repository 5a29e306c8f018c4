// CANN's op prototype registration (OpDef, OP_ADD, ParamType/DataType/Format/Attr, SetInferShape,
// SetInferDataType, AICore().SetTiling/AddConfig): recorded and checked against the task (hawk/opdef.h).
#include "kernel_operator.h"
#include "hawk/opdef.h"
