// CANN's op implementation registration (IMPL_OP, IMPL_OP_OPTILING, IMPL_OP_INFERSHAPE: hawk/tiling.h) with the
// InferShape/InferDataType contexts it registers functions for (hawk/opdef.h).
#include "kernel_operator.h"
#include "hawk/opdef.h"
