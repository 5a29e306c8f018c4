// Compatibility header: ge::TypeUtils and ge::GetSizeByDataType live in hawk/ge_type_utils.h, which
// kernel_operator.h (precompiled, force-included) already provides.
#include "kernel_operator.h"
